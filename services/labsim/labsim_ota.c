/* labsim_ota - flash emulation and the OTA responder for simulated boards
 * (the extension seam of labsim_board.h).
 *
 * Each board gets a 4 MB flash file laid out as firmware/bench/partitions.csv
 * (nvs, otadata, factory, ota_0, ota_1). The board runs the real responder
 * core (firmware/core/ota_responder.c) on top of it; after a verified END the
 * boot slot switches and the board reboots into the new image, whose app
 * description gives the version in the boot report. A new image must
 * confirm itself (here: once it has heard a peer on the radio, as the bench
 * firmware does) within `confirm_timeout`, or the next boot rolls back to the
 * previous slot, as ESP-IDF's bootloader does with rollback enabled. A board
 * with `ota_no_confirm = true` never confirms (the rollback test). A board
 * with `ota_firmware = "before-compression"` runs responder firmware from
 * before compressed pushes: its BEGIN decoder took exactly 14 + vlen bytes,
 * so the longer BEGIN of a compressed push is malformed to it, dropped
 * without an answer (what ota-initiator's fallback to a plain push is for).
 * A board with `pairing = "none"` was flashed without the lab's pairing
 * keys (a stranger's board in radio range): it pairs with nobody and nobody
 * pairs with it, so what it sends reaches the others unencrypted from an
 * unpaired MAC.
 *
 * The flash file is a NOR chip (firmware/sim/nor_flash.h: erase sets 0xFF,
 * programming ANDs) and the responder writes through ESP-IDF's OTA write
 * path (firmware/sim/sim_ota.h, esp_ota_ops.c of v5.5) called exactly as the
 * bench firmware's glue calls it (firmware/bench/main/bench_ota.c), so a
 * wrong argument there fails here too. NVS is stood in by one erased-then-
 * programmed sector holding the progress blob (NVS's page format is not
 * modelled). */
#include "services/labsim/labsim_board.h"
#include "bus/bus_clock.h"
#include "firmware/sim/app_image.h"
#include "firmware/sim/nor_flash.h"
#include "firmware/sim/sim_ota.h"
#include "firmware/sim/sim_sig.h"
#include "services/ota-initiator/ota_pair.h"
#include "ota_responder.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLASH_SIZE (4u << 20)
#define NVS_OFF 0x9000u
#define OTADATA_OFF 0xd000u
#define FACTORY_OFF 0x10000u
#define FACTORY_SIZE 0xF0000u
#define OTA0_OFF 0x100000u
#define OTA1_OFF 0x280000u
#define OTA_SLOT_SIZE 0x180000u
#define OTADATA_MAGIC 0x4F544144u

enum { SLOT_FACTORY = 0, SLOT_OTA0 = 1, SLOT_OTA1 = 2 };
static const char *const s_slot_name[] = { "factory", "ota_0", "ota_1" };
static const uint32_t s_slot_off[] = { FACTORY_OFF, OTA0_OFF, OTA1_OFF };

typedef enum { IMG_VALID = 0, IMG_PENDING = 1 } img_state_t;

typedef struct {
    uint32_t magic;
    uint8_t boot;         /* slot the bootloader starts */
    uint8_t prev;         /* slot to roll back to */
    uint8_t state;        /* img_state_t of boot */
    uint8_t attempts;     /* boots of a PENDING image */
} otadata_t;

typedef struct {
    labsim_board_t *board;
    nor_flash_t *flash;
    sim_ota_t ota;                /* ESP-IDF's OTA write path over FLASH */
    sim_sig_t *sig;               /* the lab's public key (ota/keys/ota-sign.pub) */
    char keys[512];               /* the lab's key directory: pairing "provisioned over USB" */
    int nothers;                  /* the other boards of the lab */
    char other_name[OTA_PAIR_MAX_BOARDS][64];
    uint8_t other_mac[OTA_PAIR_MAX_BOARDS][6];
    uint32_t handle;
    char path[600];
    otadata_t od;
    uint8_t running;
    char factory_version[33];
    char version[33];
    /* the responder's flash session */
    uint8_t target;
    ota_responder_t resp;
    bool no_confirm;
    bool before_compression;      /* ota_firmware = "before-compression" */
    bool unprovisioned;           /* pairing = "none": flashed without the lab's keys */
    uint32_t confirm_ms;
    bool confirmed;
    uint64_t boot_us;
} lsim_ota_t;

static int
s_pread (lsim_ota_t *o, uint32_t off, void *data, size_t len)
{
    return nor_flash_read (o->flash, off, data, len);
}

/* A small record in a sector of its own, as otadata and NVS rewrite theirs:
 * erase the sector, then program. */
static int
s_rewrite_sector (lsim_ota_t *o, uint32_t off, const void *data, size_t len)
{
    if (len > NOR_FLASH_SECTOR || nor_flash_erase (o->flash, off, NOR_FLASH_SECTOR))
        return -1;
    return nor_flash_program (o->flash, off, data, len);
}

static void
s_save_otadata (lsim_ota_t *o)
{
    s_rewrite_sector (o, OTADATA_OFF, &o->od, sizeof o->od);
}

/* Version from the app description of the image in SLOT; empty when the
 * slot holds no valid image. */
static void
s_slot_version (lsim_ota_t *o, uint8_t slot, char *out, size_t len)
{
    uint8_t hdr[32 + 80];
    out[0] = 0;
    if (s_pread (o, s_slot_off[slot], hdr, sizeof hdr) || hdr[0] != 0xE9)
        return;
    uint32_t magic = (uint32_t) hdr[32] | (uint32_t) hdr[33] << 8 | (uint32_t) hdr[34] << 16
                     | (uint32_t) hdr[35] << 24;
    if (magic != 0xABCD5432u)
        return;
    snprintf (out, len, "%.32s", (const char *) hdr + 48);
}

/* --- ota_flash_t on the flash file --------------------------------------- */
static uint32_t f_slot (void *ctx) { (void) ctx; return OTA_SLOT_SIZE; }

static uint8_t
s_next_slot (lsim_ota_t *o)
{
    return o->running == SLOT_OTA0 ? SLOT_OTA1 : SLOT_OTA0;
}

/* The calls below mirror bench_ota.c one to one (same arguments). */
static int
f_begin (void *ctx, uint32_t size)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (size > OTA_SLOT_SIZE)
        return -1;
    o->target = s_next_slot (o);
    /* Sequential writes: each sector is erased as the writes reach it. */
    return sim_ota_begin (&o->ota, s_slot_off[o->target], OTA_SLOT_SIZE, SIM_OTA_SEQUENTIAL, &o->handle) ? -1 : 0;
}

static int
f_resume (void *ctx, uint32_t size, uint32_t offset)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    (void) size;
    o->target = s_next_slot (o);
    return sim_ota_resume (&o->ota, s_slot_off[o->target], OTA_SLOT_SIZE, SIM_OTA_SEQUENTIAL, offset, &o->handle)
               ? -1
               : 0;
}

static int
f_write (void *ctx, const uint8_t *data, size_t len)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    return sim_ota_write (&o->ota, o->handle, data, len) ? -1 : 0;
}

/* esp_ota_end validates the staged image (esp_image_verify). */
static int
f_end (void *ctx)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (sim_ota_end (&o->ota, o->handle)) {
        if (o->ota.why[0]) {
            char line[160];
            snprintf (line, sizeof line, "ota: esp_ota_end: image verification failed: %s", o->ota.why);
            board_core_log (labsim_board_core (o->board), line);
        }
        return -1;
    }
    return 0;
}

static int
f_set_boot (void *ctx)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    o->od.prev = o->running;
    o->od.boot = o->target;
    o->od.state = IMG_PENDING;
    o->od.attempts = 0;
    s_save_otadata (o);
    return 0;
}

static int
f_read (void *ctx, uint32_t off, void *buf, size_t len)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (off > OTA_SLOT_SIZE || len > OTA_SLOT_SIZE - off)
        return -1;
    return nor_flash_read (o->flash, s_slot_off[s_next_slot (o)] + off, buf, len);
}

static void
f_abort (void *ctx)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    sim_ota_abort (&o->ota, o->handle);
}

static int
f_kv_get (void *ctx, void *buf, size_t len)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (len > 0x4000 || s_pread (o, NVS_OFF, buf, len))
        return -1;
    return ((ota_progress_t *) buf)->magic == OTA_PROGRESS_MAGIC ? 0 : -1;
}

static int
f_kv_set (void *ctx, const void *buf, size_t len)
{
    return s_rewrite_sector ((lsim_ota_t *) ctx, NVS_OFF, buf, len);
}

/* --- boot, confirmation, rollback ----------------------------------------- */
static void
s_poll (void *ctx, board_core_t *core, uint64_t now_us)
{
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (o->od.state != IMG_PENDING || o->confirmed)
        return;
    if (!o->no_confirm && board_core_stats (core)->radio_rx > 0) {
        o->confirmed = true;
        o->od.state = IMG_VALID;
        s_save_otadata (o);
        board_core_log (core, "ota: new image confirmed, rollback cancelled");
        return;
    }
    if (now_us - o->boot_us > (uint64_t) o->confirm_ms * 1000u) {
        o->confirmed = true;      /* stop checking; the next boot rolls back */
        board_core_log (core, "ota: new image did not confirm itself in time; rebooting to roll back");
        labsim_board_reboot (o->board, "wdt");
    }
}

/* What provisioning over USB left on the board: the lab's PMK, and each
 * other lab board it shares an LMK with as an encrypted ESP-NOW peer and as
 * an initiator it takes OTA from. Read at every boot, as the firmware reads
 * NVS (so `labctl keys` then a reboot pairs a running simulated board). */
static void
s_pair (lsim_ota_t *o, board_core_t *core)
{
    labsim_espnow_t *en = labsim_board_espnow (o->board);
    uint8_t key[OTA_PAIR_KEY_LEN];
    if (o->unprovisioned || ota_pair_pmk (o->keys, key)) {
        board_core_log (core, "pairing: none provisioned; OTA pushes are refused");
        return;
    }
    labsim_espnow_set_pmk (en, key);
    int paired = 0;
    for (int i = 0; i < o->nothers; i++) {
        if (ota_pair_lmk (o->keys, labsim_board_name (o->board), o->other_name[i], key))
            continue;
        if (labsim_espnow_add_peer (en, o->other_mac[i], true, key) != LABSIM_ESPNOW_OK
            || ota_responder_pair (&o->resp, o->other_mac[i])) {
            board_core_log (core, "pairing: cannot add an encrypted peer (peer table full?)");
            continue;
        }
        paired++;
    }
    if (!paired)
        board_core_log (core, "pairing: no paired board; OTA pushes are refused");
}

/* The responder of firmware from before compressed pushes: the same core,
 * behind the BEGIN length check its decoder had (14 + vlen bytes exactly;
 * anything else malformed, dropped, unanswered). */
static void
s_radio_before_compression (void *ctx, board_core_t *core, const uint8_t src[BOARD_MAC_LEN], int8_t rssi,
                            const espnow_hdr_t *hdr, const uint8_t *payload, size_t len)
{
    (void) core;
    (void) rssi;
    (void) hdr;
    lsim_ota_t *o = (lsim_ota_t *) ctx;
    if (len >= 14 && payload[0] == OTA_OP_BEGIN && len != 14u + payload[13])
        return;
    ota_responder_on_msg (&o->resp, src, payload, len);
}

static void
s_on_boot (labsim_board_t *board, void *app)
{
    lsim_ota_t *o = (lsim_ota_t *) app;
    board_core_t *core = labsim_board_core (board);
    const char *note = NULL;
    sim_ota_reboot (&o->ota);          /* open OTA handles lived in RAM */
    if (s_pread (o, OTADATA_OFF, &o->od, sizeof o->od) || o->od.magic != OTADATA_MAGIC) {
        memset (&o->od, 0, sizeof o->od);
        o->od.magic = OTADATA_MAGIC;
        o->od.boot = SLOT_FACTORY;
    }
    if (o->od.state == IMG_PENDING) {
        if (o->od.attempts >= 1) {
            /* It had its chance and did not confirm: the bootloader goes back. */
            o->od.boot = o->od.prev;
            o->od.state = IMG_VALID;
            o->od.attempts = 0;
            note = "ota: rollback: the new image never confirmed itself; booted the previous one";
        }
        else
            o->od.attempts++;
        s_save_otadata (o);
    }
    o->running = o->od.boot;
    o->confirmed = o->od.state != IMG_PENDING;
    o->boot_us = bus_mono_ns () / 1000u;
    s_slot_version (o, o->running, o->version, sizeof o->version);
    if (!o->version[0])
        snprintf (o->version, sizeof o->version, "%s", o->factory_version);
    board_core_set_identity (core, o->version, s_slot_name[o->running], note ? "rollback" : NULL);
    if (note)
        board_core_log (core, note);
    ota_flash_t fl = { o, f_slot, f_begin, f_resume, f_write, f_end, f_set_boot, f_abort, f_kv_get, f_kv_set,
                       f_read, sim_sig_ops (o->sig) };
    ota_responder_init (&o->resp, core, &fl);
    if (o->before_compression)
        board_core_set_handler (core, ESPNOW_T_OTA, s_radio_before_compression, o);
    s_pair (o, core);
    board_core_add_poller (core, s_poll, o);
}

/* `labsim flash BOARD IMAGE`: the USB path, straight into factory. */
static int
s_on_flash (labsim_board_t *board, void *app, const char *image, char *err, size_t errlen)
{
    lsim_ota_t *o = (lsim_ota_t *) app;
    int in = open (image, O_RDONLY);
    if (in < 0) {
        snprintf (err, errlen, "cannot read %s: %s", image, strerror (errno));
        return -1;
    }
    /* As esptool's write_flash: erase the region, then program it. */
    uint8_t buf[65536];
    uint32_t off = 0;
    ssize_t n;
    while ((n = read (in, buf, sizeof buf)) > 0 && off + (uint32_t) n <= FACTORY_SIZE) {
        uint32_t span = ((uint32_t) n + NOR_FLASH_SECTOR - 1) & ~(NOR_FLASH_SECTOR - 1);
        nor_flash_erase (o->flash, FACTORY_OFF + off, span);
        nor_flash_program (o->flash, FACTORY_OFF + off, buf, (size_t) n);
        off += (uint32_t) n;
    }
    close (in);
    if (n > 0) {
        snprintf (err, errlen, "%s does not fit the factory partition", image);
        return -1;
    }
    memset (&o->od, 0, sizeof o->od);
    o->od.magic = OTADATA_MAGIC;
    o->od.boot = SLOT_FACTORY;
    s_save_otadata (o);
    labsim_board_reboot (board, "poweron");
    return 0;
}

int
labsim_board_ext_attach (labsim_board_t *board, lab_config_t *cfg, zconfig_t *node, char *err,
                         size_t errlen)
{
    lsim_ota_t *o = (lsim_ota_t *) calloc (1, sizeof (lsim_ota_t));
    o->board = board;
    char runtime[512];
    if (lab_config_runtime_dir (cfg, runtime, sizeof runtime)) {
        free (o);
        snprintf (err, errlen, "no runtime directory");
        return -1;
    }
    snprintf (o->path, sizeof o->path, "%s/boards/%s.flash", runtime, labsim_board_name (board));
    o->flash = nor_flash_open (o->path, FLASH_SIZE, err, errlen);
    if (!o->flash) {
        free (o);
        return -1;
    }
    sim_ota_init (&o->ota, o->flash);
    /* The bench firmware has the lab's public key built in; a simulated
     * board reads it from the lab's key directory when it first needs it. */
    snprintf (o->keys, sizeof o->keys, "%s", zconfig_get (lab_config_root (cfg), "ota/keys", "var/keys"));
    char pub[1024];
    snprintf (pub, sizeof pub, "%s/%s", o->keys, "ota-sign.pub");
    o->sig = sim_sig_new (pub);
    /* The other boards of the lab (name and MAC), for the pairing. */
    for (zconfig_t *b = zconfig_child (zconfig_locate (lab_config_root (cfg), "boards")); b && o->nothers < OTA_PAIR_MAX_BOARDS;
         b = zconfig_next (b)) {
        const char *mac = zconfig_get (b, "mac", "");
        unsigned m[6];
        /* A board flashed without the lab's keys is nobody's peer. */
        if (!strcmp (zconfig_name (b), labsim_board_name (board))
            || !strcmp (zconfig_get (b, "pairing", "lab"), "none")
            || sscanf (mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
            continue;
        snprintf (o->other_name[o->nothers], sizeof o->other_name[0], "%s", zconfig_name (b));
        for (int k = 0; k < 6; k++)
            o->other_mac[o->nothers][k] = (uint8_t) m[k];
        o->nothers++;
    }
    snprintf (o->factory_version, sizeof o->factory_version, "%s",
              zconfig_get (node, "version", "1.0.0"));
    o->no_confirm = !strcmp (zconfig_get (node, "ota_no_confirm", "false"), "true");
    const char *fw = zconfig_get (node, "ota_firmware", "current");
    if (strcmp (fw, "current") && strcmp (fw, "before-compression")) {
        snprintf (err, errlen, "ota_firmware must be current or before-compression, not '%s'", fw);
        return -1;
    }
    o->before_compression = !strcmp (fw, "before-compression");
    const char *pairing = zconfig_get (node, "pairing", "lab");
    if (strcmp (pairing, "lab") && strcmp (pairing, "none")) {
        snprintf (err, errlen, "pairing must be lab or none, not '%s'", pairing);
        return -1;
    }
    o->unprovisioned = !strcmp (pairing, "none");
    long ms = 5000;
    if (lab_config_duration_ms (cfg, zconfig_locate (lab_config_root (cfg), "labsim/ota"),
                                "confirm_timeout", 5000, &ms, err, errlen))
        return -1;
    o->confirm_ms = (uint32_t) ms;
    labsim_board_set_app (board, o, s_on_boot, s_on_flash);
    return 0;
}

void
labsim_board_ext_detach (labsim_board_t *board)
{
    lsim_ota_t *o = (lsim_ota_t *) labsim_board_app (board);
    if (!o)
        return;
    nor_flash_destroy (&o->flash);
    sim_sig_destroy (&o->sig);
    free (o);
    labsim_board_set_app (board, NULL, NULL, NULL);
}
