/* ota_service - see ota_service.h. */
#include "services/ota-initiator/ota_service.h"
#include "bus/bus_json.h"
#include "services/ota-initiator/ota_deflate.h"
#include "services/ota-initiator/ota_engine.h"
#include "services/ota-initiator/ota_multi.h"
#include "services/ota-initiator/ota_image.h"
#include "services/ota-initiator/ota_sign.h"
#include "bus/bus_client.h"
#include "espnow_hdr.h"
#include "link_frame.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOBS_MAX 8
#define SLOT_SIZE (1536u * 1024u)
#define BOOT_WAIT_MS 30000
#define CONFIRM_GRACE_MS 8000   /* longer than a board's confirm timeout */
/* No answer at all to a compressed BEGIN for this long: the board may run
 * firmware from before compressed pushes (to it the longer BEGIN is
 * malformed and gets no answer), so the push goes on plain. */
#define PLAIN_FALLBACK_MS 4000

typedef enum { J_PUSHING, J_BOOTING, J_DONE, J_FAILED } job_phase_t;

/* One board of a push to several (a job with `multi`). */
typedef struct {
    char name[64];
    uint8_t mac[6];
    job_phase_t phase;
    char error[256];
    char booted[33];
    uint64_t pushed_ms, done_ms, boot_deadline_ms, next_probe_ms, version_seen_ms;
} tgt_t;

typedef struct {
    bool used;
    char id[64];
    char image[256];
    char target[64], via[64];
    char target_mac[18];
    uint8_t mac[6];
    uint16_t session;
    bool force;
    bool compress;           /* the chunks carry the image deflated */
    bool fell_back;          /* asked compressed, went plain (no answer to it) */
    uint32_t stream_size;    /* bytes the chunks carry */
    char sig_hex[2 * OTA_SIG_TRAILER_LEN + 1];   /* the trailer ota-initiator signed with, kept for a resume */
    ota_image_t img;
    ota_engine_t *eng;
    job_phase_t phase;
    char error[256];
    char booted[33];
    bool rolled_back;
    uint64_t start_ms, done_ms, boot_deadline_ms, next_pub_ms, pushed_ms;
    uint64_t next_probe_ms, version_seen_ms;
    double elapsed_s;
    struct _ota_service_t *svc;
    /* A push to several boards: the coordinator and each board's result
     * (ota_multi.h); eng is NULL then. */
    ota_multi_t *multi;
    int ntgt;
    tgt_t tgt[OTA_MULTI_MAX];
} job_t;

struct _ota_service_t {
    lab_config_t *cfg;
    bus_client_t *bus;
    char image_dir[512], job_dir[600], keys_dir[512];
    bool compress;           /* ota/compress: the default for a push */
    job_t jobs[JOBS_MAX];
};

static uint64_t s_ms (void) { return bus_mono_ns () / 1000000ull; }

static const char *
s_phase_name (job_t *j)
{
    if (j->phase == J_DONE)
        return "done";
    if (j->phase == J_FAILED)
        return "failed";
    if (j->phase == J_BOOTING)
        return "rebooting";
    if (j->multi)
        return "sending";
    switch (ota_engine_state (j->eng)) {
        case OTA_ENG_BEGIN: return "begin";
        case OTA_ENG_ENDING: return "verifying";
        default: return "sending";
    }
}

/* A push to several boards (the section at the end). */
static size_t s_multi_fill (job_t *j, uint64_t now, Lab__OtaJobState *s, Lab__OtaBoardResult *res,
                            Lab__OtaBoardResult **ptrs);
static job_t *s_multi_start (ota_service_t *self, job_t *j, job_t *fresh, const char *via, char *err,
                             size_t errlen);
static void s_multi_frame (ota_service_t *self, job_t *j, const char *board, const Lab__BoardFrame *f,
                           uint64_t now);
static void s_multi_line (ota_service_t *self, job_t *j, const char *board, const char *text);
static void s_multi_tick (ota_service_t *self, job_t *j, uint64_t now);
static bool s_busy (ota_service_t *self, const char *board, const char **job);

/* --- persistence ---------------------------------------------------------- */
static void
s_job_save (job_t *j)
{
    char path[800], tmp[810];
    snprintf (path, sizeof path, "%s/%s.job", j->svc->job_dir, j->id);
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return;
    fprintf (f, "id=%s\nimage=%s\ntarget=%s\nvia=%s\nsession=%u\nforce=%d\nphase=%d\ncompress=%d\n", j->id,
             j->image, j->target, j->via, j->session, j->force, (int) j->phase, j->compress);
    if (j->sig_hex[0])
        fprintf (f, "sig=%s\n", j->sig_hex);
    fclose (f);
    rename (tmp, path);   /* atomic: a crash leaves the old or the new record */
}

static void
s_job_forget (job_t *j)
{
    char path[800];
    snprintf (path, sizeof path, "%s/%s.job", j->svc->job_dir, j->id);
    unlink (path);
}

/* --- publishing ------------------------------------------------------------ */
static void
s_publish (ota_service_t *self, job_t *j)
{
    uint64_t now = s_ms ();
    ota_engine_stats_t st = { 0 };
    if (j->eng)
        ota_engine_stats (j->eng, now, &st);
    Lab__OtaJobState s = LAB__OTA_JOB_STATE__INIT;
    s.job = j->id;
    s.image = j->image;
    s.target = j->target;
    s.via = j->via;
    s.state = (char *) s_phase_name (j);
    s.image_size = j->img.size;
    s.bytes_acked = j->phase >= J_BOOTING ? j->img.size : st.bytes_acked;
    s.percent = j->phase >= J_BOOTING && j->phase != J_FAILED ? 100.0 : st.percent;
    s.rate_bps = st.rate_bps;
    s.eta_s = j->phase == J_PUSHING ? st.eta_s : 0;
    s.retransmissions = st.retransmissions;
    s.image_crc32 = j->eng ? ota_engine_crc (j->eng) : 0;
    s.version = j->img.version;
    s.booted_version = j->booted;
    s.error = j->error;
    s.elapsed_s = (double) ((j->done_ms ? j->done_ms : now) - j->start_ms) / 1000.0;
    s.crc_ok = j->phase == J_BOOTING || j->phase == J_DONE;
    s.push_s = j->pushed_ms ? (double) (j->pushed_ms - j->start_ms) / 1000.0 : 0;
    s.signature_ok = s.crc_ok;
    s.compressed = j->compress;
    s.stream_size = j->stream_size ? j->stream_size : j->img.size;
    Lab__OtaBoardResult res[OTA_MULTI_MAX], *ptrs[OTA_MULTI_MAX];
    if (j->multi)
        s_multi_fill (j, now, &s, res, ptrs);
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_OTA;
    env.ota = &s;
    char topic[128];
    snprintf (topic, sizeof topic, "state.ota.%s", j->id);
    bus_client_publish (self->bus, topic, &env);
}

static void
s_alert (ota_service_t *self, job_t *j, const char *kind, const char *severity, const char *text)
{
    Lab__Alert a = LAB__ALERT__INIT;
    a.severity = (char *) severity;
    a.kind = (char *) kind;
    a.subject = j->id;
    a.text = (char *) text;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &a;
    char topic[160];
    snprintf (topic, sizeof topic, "evt.alert.%s.%s", kind, j->id);
    bus_client_publish (self->bus, topic, &env);
}

static void
s_finish (ota_service_t *self, job_t *j, job_phase_t phase, const char *error)
{
    j->phase = phase;
    j->done_ms = s_ms ();
    if (error)
        snprintf (j->error, sizeof j->error, "%s", error);
    s_publish (self, j);
    char text[512];
    if (phase == J_DONE)
        snprintf (text, sizeof text, "OTA %s: %u bytes -> %s, booted %s and confirmed, %.1f s", j->id,
                  j->img.size, j->target, j->booted, (double) (j->done_ms - j->start_ms) / 1000.0);
    else
        snprintf (text, sizeof text, "OTA %s to %s failed: %s", j->id, j->target, j->error);
    zsys_info ("ota-initiator: %s", text);
    s_alert (self, j, phase == J_DONE ? "ota_done" : "ota_failed", phase == J_DONE ? "info" : "error", text);
    s_job_forget (j);
    ota_engine_destroy (&j->eng);
    ota_multi_destroy (&j->multi);
    ota_image_free (&j->img);
    /* The slot stays readable by status until reused. */
}

/* --- the transport: serial-bridge `espnow VIA TARGET HEX` ------------------ */
/* Streamed to serial-bridge: the ESP-NOW frame travels as a binary
 * BoardFrame on cmd.espnow.<via> (the LINK_T_ESPNOW_SEND body: target MAC,
 * then the frame), never as hex text, and nothing waits for a reply per
 * chunk. What the stream loses (a full queue, a bridge restart) the engine
 * repairs from the ACKs, as it repairs loss on the air; its pacing at the
 * serial line rate keeps the queues short. */
static int
s_send_to (void *ctx, const uint8_t dst[6], const uint8_t *msg, size_t len)
{
    job_t *j = (job_t *) ctx;
    uint8_t body[6 + ESPNOW_MAX_FRAME];
    static uint32_t seq;
    memcpy (body, dst, 6);
    size_t n = espnow_frame_encode (body + 6, ESPNOW_MAX_FRAME, ESPNOW_T_OTA, ++seq, msg, len);
    if (!n)
        return -1;
    Lab__BoardFrame f = LAB__BOARD_FRAME__INIT;
    f.board = j->via;
    f.type = LINK_T_ESPNOW_SEND;
    f.payload.data = body;
    f.payload.len = 6 + n;
    f.direction = 1;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BOARD_FRAME;
    env.board_frame = &f;
    char topic[128];
    snprintf (topic, sizeof topic, "cmd.espnow.%s", j->via);
    return bus_client_publish (j->svc->bus, topic, &env) == 0 ? 0 : -1;
}

static int
s_send (void *ctx, const uint8_t *msg, size_t len)
{
    return s_send_to (ctx, ((job_t *) ctx)->mac, msg, len);
}

static int
s_parse_mac (const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf (s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t) v[i];
    return 0;
}

/* The board's MAC from the config, and a default initiator (the first other board). */
static int
s_board (ota_service_t *self, const char *name, char *mac, size_t maclen, char *other, size_t otherlen)
{
    int found = -1;
    other[0] = 0;
    for (zconfig_t *sec = zconfig_child (lab_config_root (self->cfg)); sec; sec = zconfig_next (sec)) {
        if (strcmp (zconfig_name (sec), "boards"))
            continue;
        for (zconfig_t *b = zconfig_child (sec); b; b = zconfig_next (b)) {
            if (!strcmp (zconfig_name (b), name)) {
                snprintf (mac, maclen, "%s", zconfig_get (b, "mac", ""));
                found = 0;
            }
            else if (!other[0])
                snprintf (other, otherlen, "%s", zconfig_name (b));
        }
    }
    return found;
}

/* 8N1: ten bits a byte. */
static long
s_baud (ota_service_t *self, const char *board)
{
    for (zconfig_t *sec = zconfig_child (lab_config_root (self->cfg)); sec; sec = zconfig_next (sec))
        if (!strcmp (zconfig_name (sec), "boards"))
            for (zconfig_t *b = zconfig_child (sec); b; b = zconfig_next (b))
                if (!strcmp (zconfig_name (b), board))
                    return atol (zconfig_get (b, "baud", "921600"));
    return 921600;
}

/* An image pushed unsigned is signed here with the lab's key (read from the
 * key directory, never from the request). ECDSA signatures differ on every
 * run, so a resumed job reuses the trailer it stored (SIG_HEX): the
 * responder resumes only the very same image. */
static int
s_sign (ota_service_t *self, job_t *j, const char *sig_hex, char *err, size_t errlen)
{
    if (ota_sign_is_signed (j->img.data, j->img.size))
        return 0;
    uint8_t trailer[OTA_SIG_TRAILER_LEN];
    ota_sig_trailer_t t;
    bool reuse = sig_hex && strlen (sig_hex) == 2 * OTA_SIG_TRAILER_LEN;
    for (size_t i = 0; reuse && i < OTA_SIG_TRAILER_LEN; i++) {
        unsigned v;
        reuse = sscanf (sig_hex + 2 * i, "%2x", &v) == 1;
        trailer[i] = (uint8_t) v;
    }
    if (!reuse || ota_sig_trailer_decode (trailer, j->img.size + OTA_SIG_TRAILER_LEN, &t)) {
        ota_sign_t *key = ota_sign_load (self->keys_dir, err, errlen);
        if (!key)
            return -1;
        int rc = ota_sign_trailer (key, j->img.data, j->img.size, trailer, err, errlen);
        ota_sign_destroy (&key);
        if (rc)
            return -1;
    }
    if (j->img.size + OTA_SIG_TRAILER_LEN > SLOT_SIZE) {
        snprintf (err, errlen, "image and signature are %u bytes; the OTA slot holds %u",
                  j->img.size + OTA_SIG_TRAILER_LEN, SLOT_SIZE);
        return -1;
    }
    j->img.data = (uint8_t *) realloc (j->img.data, j->img.size + OTA_SIG_TRAILER_LEN);
    memcpy (j->img.data + j->img.size, trailer, OTA_SIG_TRAILER_LEN);
    j->img.size += OTA_SIG_TRAILER_LEN;
    for (size_t i = 0; i < OTA_SIG_TRAILER_LEN; i++)
        snprintf (j->sig_hex + 2 * i, 3, "%02x", trailer[i]);
    return 0;
}

/* A compressed push: the signed image (trailer included: the signature
 * covers the plain image, which is what the responder writes) deflated in
 * independent blocks, cut so that every block starts a chunk. zlib at a
 * given level is deterministic, so a resumed job sends the same stream. */
static int
s_compress (job_t *j, char *err, size_t errlen)
{
    ota_deflate_t *dz = ota_deflate_new (j->img.data, j->img.size, 0, 9);
    uint32_t *starts = NULL;
    uint32_t n = dz ? ota_deflate_chunk_starts (dz, OTA_CHUNK_MAX, &starts) : 0;
    uint8_t shift = 0;
    while (dz && (1u << shift) < ota_deflate_block_size (dz))
        shift++;
    int rc = !n ? -1
             : j->multi ? ota_multi_set_stream (j->multi, ota_deflate_data (dz), (uint32_t) ota_deflate_size (dz),
                                                starts, n, shift)
                        : ota_engine_set_stream (j->eng, ota_deflate_data (dz), (uint32_t) ota_deflate_size (dz),
                                                 starts, n, shift);
    if (rc == 0)
        j->stream_size = (uint32_t) ota_deflate_size (dz);
    else
        snprintf (err, errlen, "cannot deflate the image");
    free (starts);
    ota_deflate_destroy (&dz);
    return rc;
}

/* The options of a push through J's initiator board: paced a touch over
 * its line rate, so the UART never idles for want of data. */
static ota_engine_opts_t
s_engine_opts (ota_service_t *self, const job_t *j)
{
    ota_engine_opts_t eo = { OTA_WINDOW, 300, 500, 30000, 0, 0 };
    eo.link_bytes_per_s = (uint32_t) (s_baud (self, j->via) / 10 * 1.03);
    return eo;
}

/* The engine of a single-board push, sending the plain image (s_compress
 * gives it the deflated stream). */
static ota_engine_t *
s_engine_new (ota_service_t *self, job_t *j)
{
    ota_engine_opts_t eo = s_engine_opts (self, j);
    return ota_engine_new (j->img.data, j->img.size, j->session, j->img.version, &eo, s_send, j);
}

/* What a push hears from a board: its frames (ACKs on the initiator, boot
 * reports on a target) and, for a target, its log lines. */
static void
s_listen (ota_service_t *self, const char *board, bool lines)
{
    char topic[128];
    snprintf (topic, sizeof topic, "tel.frame.%s", board);
    bus_client_subscribe (self->bus, topic);
    if (lines) {
        snprintf (topic, sizeof topic, "tel.serial.%s", board);
        bus_client_subscribe (self->bus, topic);
    }
}

/* A compressed push nobody answers: start again plain, with a new session
 * so nothing of the compressed one is taken for it. A board that is simply
 * off gets plain BEGINs until the engine gives up, as before. */
static void
s_fall_back_to_plain (ota_service_t *self, job_t *j)
{
    ota_engine_destroy (&j->eng);
    j->session = (uint16_t) (j->session % 65534 + 1);
    j->eng = s_engine_new (self, j);
    j->compress = false;
    j->fell_back = true;
    j->stream_size = j->img.size;
    s_job_save (j);
    zsys_warning ("ota-initiator: %s: %s did not answer a compressed BEGIN in %d s; pushing plain "
                  "(firmware from before compressed pushes?)", j->id, j->target, PLAIN_FALLBACK_MS / 1000);
}

static job_t *
s_job_start (ota_service_t *self, const char *image, const char *target, const char *via, bool force,
             bool compress, uint16_t session, const char *id, const char *sig_hex, char *err, size_t errlen)
{
    const char *other_job;
    if (!strchr (target, ',') && s_busy (self, target, &other_job)) {
        snprintf (err, errlen, "%s is already taking a push (%s); one push per board at a time",
                  target, other_job);
        return NULL;
    }
    job_t *j = NULL;
    for (int i = 0; i < JOBS_MAX && !j; i++)
        if (!self->jobs[i].used || self->jobs[i].phase >= J_DONE)
            j = &self->jobs[i];
    if (!j) {
        snprintf (err, errlen, "too many jobs");
        return NULL;
    }
    char other[64];
    char mac[32];
    if (strchr (target, ',')) {
        job_t fresh = { 0 };
        fresh.svc = self;
        snprintf (fresh.target, sizeof fresh.target, "%s", target);
        if (ota_image_load (&fresh.img, self->image_dir, image, SLOT_SIZE, force, err, errlen))
            return NULL;
        if (s_sign (self, &fresh, sig_hex, err, errlen)) {
            ota_image_free (&fresh.img);
            return NULL;
        }
        snprintf (fresh.image, sizeof fresh.image, "%s", image);
        fresh.force = force;
        fresh.compress = compress;
        fresh.session = session ? session : (uint16_t) (1 + (bus_now_ns () / 1000 % 65534));
        if (id)
            snprintf (fresh.id, sizeof fresh.id, "%s", id);
        else
            snprintf (fresh.id, sizeof fresh.id, "ota-multi-%u", fresh.session);
        return s_multi_start (self, j, &fresh, via, err, errlen);
    }
    if (s_board (self, target, mac, sizeof mac, other, sizeof other)) {
        snprintf (err, errlen, "no board '%s' in the config", target);
        return NULL;
    }
    job_t fresh = { 0 };
    fresh.svc = self;
    if (s_parse_mac (mac, fresh.mac)) {
        snprintf (err, errlen, "board %s has no mac in the config", target);
        return NULL;
    }
    snprintf (fresh.target_mac, sizeof fresh.target_mac, "%s", mac);
    if (!via || !*via)
        via = other;
    if (!*via || !strcmp (via, target)) {
        snprintf (err, errlen, "need another board as the initiator (--via)");
        return NULL;
    }
    if (ota_image_load (&fresh.img, self->image_dir, image, SLOT_SIZE, force, err, errlen))
        return NULL;
    if (s_sign (self, &fresh, sig_hex, err, errlen)) {
        ota_image_free (&fresh.img);
        return NULL;
    }
    snprintf (fresh.image, sizeof fresh.image, "%s", image);
    snprintf (fresh.target, sizeof fresh.target, "%s", target);
    snprintf (fresh.via, sizeof fresh.via, "%s", via);
    fresh.force = force;
    fresh.session = session ? session : (uint16_t) (1 + (bus_now_ns () / 1000 % 65534));
    if (id)
        snprintf (fresh.id, sizeof fresh.id, "%s", id);
    else
        snprintf (fresh.id, sizeof fresh.id, "ota-%s-%u", target, fresh.session);
    fresh.used = true;
    fresh.phase = J_PUSHING;
    fresh.start_ms = s_ms ();
    *j = fresh;
    j->eng = s_engine_new (self, j);
    j->compress = compress;
    j->stream_size = j->img.size;
    if (compress && s_compress (j, err, errlen)) {
        ota_engine_destroy (&j->eng);
        ota_image_free (&j->img);
        j->used = false;
        return NULL;
    }
    s_job_save (j);
    s_listen (self, j->via, false);
    s_listen (self, j->target, true);
    zsys_info ("ota-initiator: %s: %s %s (%u bytes, %s %u bytes) -> %s via %s", j->id, j->img.project,
               j->img.version, j->img.size, j->compress ? "compressed" : "plain", j->stream_size, j->target, j->via);
    return j;
}

static void
s_resume_jobs (ota_service_t *self)
{
    DIR *d = opendir (self->job_dir);
    struct dirent *e;
    while (d && (e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len < 5 || strcmp (e->d_name + len - 4, ".job"))
            continue;
        char path[1200], line[512];
        snprintf (path, sizeof path, "%s/%s", self->job_dir, e->d_name);
        FILE *f = fopen (path, "r");
        if (!f)
            continue;
        char id[64] = "", image[256] = "", target[64] = "", via[64] = "", sig[2 * OTA_SIG_TRAILER_LEN + 1] = "";
        unsigned session = 0;
        int force = 0, phase = 0, compress = 0;   /* a job file without compress= was a plain push */
        while (fgets (line, sizeof line, f)) {
            line[strcspn (line, "\n")] = 0;
            if (!strncmp (line, "id=", 3)) snprintf (id, sizeof id, "%s", line + 3);
            else if (!strncmp (line, "image=", 6)) snprintf (image, sizeof image, "%s", line + 6);
            else if (!strncmp (line, "target=", 7)) snprintf (target, sizeof target, "%s", line + 7);
            else if (!strncmp (line, "via=", 4)) snprintf (via, sizeof via, "%s", line + 4);
            else if (!strncmp (line, "session=", 8)) session = (unsigned) atoi (line + 8);
            else if (!strncmp (line, "force=", 6)) force = atoi (line + 6);
            else if (!strncmp (line, "phase=", 6)) phase = atoi (line + 6);
            else if (!strncmp (line, "sig=", 4)) snprintf (sig, sizeof sig, "%s", line + 4);
            else if (!strncmp (line, "compress=", 9)) compress = atoi (line + 9);
        }
        fclose (f);
        char err[512];
        (void) phase;
        if (!id[0] || !session || !s_job_start (self, image, target, via, force, compress != 0, (uint16_t) session, id, sig, err, sizeof err)) {
            zsys_warning ("ota-initiator: cannot resume %s: %s", e->d_name, id[0] ? err : "malformed job file");
            unlink (path);
        }
        else
            zsys_info ("ota-initiator: resuming %s", id);
    }
    if (d)
        closedir (d);
}

/* --- frames from the boards ------------------------------------------------- */
static void
s_on_frame (ota_service_t *self, const char *board, const Lab__BoardFrame *f)
{
    uint64_t now = s_ms ();
    for (int i = 0; i < JOBS_MAX; i++) {
        job_t *j = &self->jobs[i];
        if (!j->used || j->phase >= J_DONE)
            continue;
        if (j->multi) {
            s_multi_frame (self, j, board, f, now);
            continue;
        }
        if (f->type == LINK_T_ESPNOW_RX && !strcmp (board, j->via) && f->payload.len > 8
            && !memcmp (f->payload.data, j->mac, 6) && j->eng) {
            espnow_hdr_t h;
            const uint8_t *p;
            if (espnow_frame_decode (f->payload.data + 8, f->payload.len - 8, &h, &p) == 0
                && h.type == ESPNOW_T_OTA)
                ota_engine_on_msg (j->eng, p, h.len, now);
        }
        else if (f->type == LINK_T_BOOT && !strcmp (board, j->target) && j->phase == J_BOOTING) {
            link_boot_t boot;
            if (link_boot_decode (f->payload.data, f->payload.len, &boot))
                continue;
            snprintf (j->booted, sizeof j->booted, "%s", boot.version);
            if (!strcmp (boot.reset_reason, "rollback")) {
                char e[200];
                snprintf (e, sizeof e, "%s never confirmed %s and rolled back to %s", j->target,
                          j->img.version, boot.version);
                j->rolled_back = true;
                s_finish (self, j, J_FAILED, e);
            }
            s_publish (self, j);
        }
    }
}

static void
s_on_line (ota_service_t *self, const char *board, const char *text)
{
    for (int i = 0; i < JOBS_MAX; i++) {
        job_t *j = &self->jobs[i];
        if (j->used && j->multi && j->phase < J_DONE)
            s_multi_line (self, j, board, text);
        else if (j->used && j->phase == J_BOOTING && !strcmp (board, j->target)
            && strstr (text, "new image confirmed") && !strcmp (j->booted, j->img.version))
            s_finish (self, j, J_DONE, NULL);
    }
}

/* Asks serial-bridge which version BOARD runs. True once it has run WANT
 * (copied into BOOTED) for longer than the confirm window: an image that
 * did not confirm itself would have rolled back by then. *SEEN_MS tracks
 * since when. */
static bool
s_probe_confirmed (ota_service_t *self, const char *board, const char *want, char *booted, size_t blen,
                   uint64_t *seen_ms, uint64_t now)
{
    const char *args[] = { board };
    Lab__CommandReply *r = NULL;
    bool confirmed = false;
    if (bus_client_call (self->bus, "serial-bridge", "status", 1, args, 500, &r) == BUS_OK && r->message) {
        const char *v = strstr (r->message, "version ");
        char running[40] = "";
        if (v)
            snprintf (running, sizeof running, "%.*s", (int) strcspn (v + 8, " ,\n"), v + 8);
        if (!strcmp (running, want)) {
            snprintf (booted, blen, "%s", running);
            if (!*seen_ms)
                *seen_ms = now;
            else
                confirmed = now - *seen_ms > CONFIRM_GRACE_MS;
        }
        else
            *seen_ms = 0;
    }
    if (r)
        lab__command_reply__free_unpacked (r, NULL);
    return confirmed;
}

static void
s_tick (ota_service_t *self)
{
    uint64_t now = s_ms ();
    for (int i = 0; i < JOBS_MAX; i++) {
        job_t *j = &self->jobs[i];
        if (!j->used || j->phase >= J_DONE)
            continue;
        if (j->multi)
            s_multi_tick (self, j, now);
        else if (j->phase == J_PUSHING) {
            ota_engine_state_t st = ota_engine_tick (j->eng, now);
            ota_engine_stats_t es;
            ota_engine_stats (j->eng, now, &es);
            if (st == OTA_ENG_BEGIN && j->compress && !es.acks && now - j->start_ms > PLAIN_FALLBACK_MS) {
                s_fall_back_to_plain (self, j);
                continue;
            }
            if (st == OTA_ENG_DONE) {
                j->phase = J_BOOTING;
                j->pushed_ms = now;
                j->boot_deadline_ms = now + BOOT_WAIT_MS;
                s_job_save (j);
            }
            else if (st == OTA_ENG_FAILED)
                s_finish (self, j, J_FAILED, ota_engine_error (j->eng));
        }
        else if (j->phase == J_BOOTING && now >= j->next_probe_ms) {
            /* The boot report may have gone by while this service or the
             * bridge was down: ask the bridge what the board runs now. A
             * version that stays right past the confirm window is confirmed
             * (an unconfirmed image would have rolled back by then). */
            j->next_probe_ms = now + 1000;
            if (s_probe_confirmed (self, j->target, j->img.version, j->booted, sizeof j->booted,
                                   &j->version_seen_ms, now))
                s_finish (self, j, J_DONE, NULL);
        }
        if (j->used && !j->multi && j->phase == J_BOOTING && now > j->boot_deadline_ms) {
            char e[200];
            snprintf (e, sizeof e, "%s did not boot and confirm %s within %d s (booted: %s)", j->target,
                      j->img.version, BOOT_WAIT_MS / 1000, j->booted[0] ? j->booted : "nothing");
            s_finish (self, j, J_FAILED, e);
        }
        if (j->used && j->phase < J_DONE && now >= j->next_pub_ms) {
            j->next_pub_ms = now + 250;
            s_publish (self, j);
        }
    }
}

/* --- the bus service ---------------------------------------------------------- */
static void
s_handle (bus_request_t *rq, void *arg)
{
    ota_service_t *self = (ota_service_t *) arg;
    const Lab__CommandRequest *c = bus_request_command (rq);
    if (!c || !c->command) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "expected a command");
        return;
    }
    if (!strcmp (c->command, "push")) {
        if (c->n_args < 2) {
            bus_request_reply (rq, BUS_EUSAGE, NULL, "push IMAGE TARGET [VIA] [force] [plain]");
            return;
        }
        bool force = false, compress = self->compress;
        const char *via = NULL;
        for (size_t i = 2; i < c->n_args; i++) {
            if (!strcmp (c->args[i], "force"))
                force = true;
            else if (!strcmp (c->args[i], "plain"))
                compress = false;
            else
                via = c->args[i];
        }
        char err[512];
        job_t *j = s_job_start (self, c->args[0], c->args[1], via, force, compress, 0, NULL, NULL, err, sizeof err);
        if (!j) {
            /* A missing image is "not found" (labctl exits 7), not a failure. */
            int status = strstr (err, "already")              ? BUS_EBUSY
                         : strstr (err, "outside")            ? BUS_EDENIED
                         : strstr (err, strerror (ENOENT))    ? BUS_ENOTFOUND
                                                              : BUS_ERROR;
            bus_request_reply (rq, status,
                               NULL, "%s", err);
            return;
        }
        /* The version comes from the image file: jansson, never printf. */
        json_t *jo = json_object ();
        json_object_set_new (jo, "job", bus_json_text (j->id));
        json_object_set_new (jo, "size", json_integer ((json_int_t) j->img.size));
        json_object_set_new (jo, "version", bus_json_text (j->img.version));
        json_object_set_new (jo, "crc32", json_integer ((json_int_t) (j->multi ? ota_multi_crc (j->multi) : ota_engine_crc (j->eng))));
        json_object_set_new (jo, "compressed", json_boolean (j->compress));
        json_object_set_new (jo, "plain_fallback", json_boolean (j->fell_back));
        json_object_set_new (jo, "stream_size", json_integer ((json_int_t) j->stream_size));
        char *json = json_dumps (jo, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (jo);
        bus_request_reply (rq, BUS_OK, json, "%s: pushing %s %s (%u bytes, %s) to %s via %s", j->id,
                           j->img.project, j->img.version, j->img.size, j->compress ? "compressed" : "plain",
                           j->target, j->via);
        free (json);
        s_publish (self, j);
    }
    else if (!strcmp (c->command, "status")) {
        char msg[2048] = "";
        size_t o = 0;
        int n = 0;
        for (int i = 0; i < JOBS_MAX; i++) {
            job_t *j = &self->jobs[i];
            if (!j->used || (c->n_args && strcmp (c->args[0], j->id)))
                continue;
            ota_engine_stats_t st = { 0 };
            if (j->eng)
                ota_engine_stats (j->eng, s_ms (), &st);
            char how[96] = "plain";
            if (j->fell_back)
                snprintf (how, sizeof how, "plain (no answer to the compressed BEGIN)");
            else if (j->compress)
                snprintf (how, sizeof how, "compressed %u/%u bytes (%.3f)", j->stream_size, j->img.size,
                          j->img.size ? (double) j->stream_size / j->img.size : 0.0);
            o += (size_t) snprintf (msg + o, sizeof msg - o, "%s%s %s -> %s: %s %.0f%% %s %s%s", n++ ? "\n" : "",
                                    j->id, j->image, j->target, s_phase_name (j),
                                    j->phase >= J_BOOTING && j->phase != J_FAILED ? 100.0 : st.percent, how,
                                    j->error, j->booted[0] ? j->booted : "");
            for (int k = 0; j->multi && k < j->ntgt && o < sizeof msg; k++) {
                tgt_t *t = &j->tgt[k];
                ota_engine_stats_t ts;
                ota_multi_target_stats (j->multi, k, s_ms (), &ts);
                o += (size_t) snprintf (msg + o, sizeof msg - o, "\n  %s: %s %.0f%% %s%s", t->name,
                                        t->phase == J_DONE ? "done" : t->phase == J_FAILED ? "failed"
                                        : t->phase == J_BOOTING ? "rebooting" : "sending",
                                        t->phase == J_DONE || t->phase == J_BOOTING ? 100.0 : ts.percent,
                                        t->error, t->booted);
            }
            if (o >= sizeof msg)
                break;
        }
        bus_request_reply (rq, BUS_OK, NULL, "%s", n ? msg : "no OTA jobs");
    }
    else if (!strcmp (c->command, "abort") && c->n_args == 1) {
        for (int i = 0; i < JOBS_MAX; i++) {
            job_t *j = &self->jobs[i];
            if (j->used && j->phase < J_DONE && !strcmp (j->id, c->args[0])) {
                ota_msg_t m = { .op = OTA_OP_ABORT, .session = j->session };
                uint8_t buf[16];
                size_t len = ota_msg_encode (buf, sizeof buf, &m);
                if (j->multi)
                    for (int k = 0; k < j->ntgt; k++)
                        s_send_to (j, j->tgt[k].mac, buf, len);
                else
                    s_send (j, buf, len);
                s_finish (self, j, J_FAILED, "aborted by request");
                bus_request_reply (rq, BUS_OK, NULL, "%s aborted", c->args[0]);
                return;
            }
        }
        bus_request_reply (rq, BUS_ENOTFOUND, NULL, "no running job %s", c->args[0]);
    }
    else
        bus_request_reply (rq, BUS_EUSAGE, NULL, "ota-initiator: push IMAGE TARGET [VIA] [force] [plain] | status [JOB] | abort JOB");
}

ota_service_t *
ota_service_new (const char *config_path, char *err, size_t errlen)
{
    ota_service_t *self = (ota_service_t *) calloc (1, sizeof (ota_service_t));
    self->cfg = lab_config_load (config_path, err, errlen);
    bus_endpoints_t ep;
    if (!self->cfg || bus_endpoints_from_config (&ep, self->cfg, err, errlen)) {
        ota_service_destroy (&self);
        return NULL;
    }
    snprintf (self->image_dir, sizeof self->image_dir, "%s", lab_config_get (self->cfg, "ota/images", "var/images"));
    snprintf (self->job_dir, sizeof self->job_dir, "%s/ota", lab_config_get (self->cfg, "lab/state", "var/state"));
    snprintf (self->keys_dir, sizeof self->keys_dir, "%s", lab_config_get (self->cfg, "ota/keys", "var/keys"));
    self->compress = strcmp (lab_config_get (self->cfg, "ota/compress", "true"), "false") != 0;
    mkdir (self->image_dir, 0755);
    char tmp[700];
    snprintf (tmp, sizeof tmp, "%s", lab_config_get (self->cfg, "lab/state", "var/state"));
    mkdir (tmp, 0755);
    mkdir (self->job_dir, 0755);
    const char *name = getenv ("LAB_SERVICE_NAME") ? getenv ("LAB_SERVICE_NAME") : "ota-initiator";
    self->bus = bus_client_new (name, &ep);
    if (!self->bus) {
        snprintf (err, errlen, "cannot connect to the bus");
        ota_service_destroy (&self);
        return NULL;
    }
    bus_client_set_heartbeat (self->bus, 1000);
    bus_client_serve (self->bus, "ota-initiator", s_handle, self);
    s_resume_jobs (self);
    return self;
}

void
ota_service_destroy (ota_service_t **self_p)
{
    ota_service_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < JOBS_MAX; i++) {
        ota_engine_destroy (&self->jobs[i].eng);
        ota_multi_destroy (&self->jobs[i].multi);
        ota_image_free (&self->jobs[i].img);
    }
    bus_client_destroy (&self->bus);
    lab_config_destroy (&self->cfg);
    free (self);
    *self_p = NULL;
}

int
ota_service_run (ota_service_t *self)
{
    while (!zsys_interrupted) {
        bool busy = false;
        for (int i = 0; i < JOBS_MAX; i++)
            busy |= self->jobs[i].used && self->jobs[i].phase == J_PUSHING;
        bus_msg_t *m = bus_client_recv (self->bus, busy ? 2 : 100);
        while (m) {
            const char *topic = m->topic;
            const Lab__BoardFrame *f;
            const Lab__SerialLine *l;
            if (!strncmp (topic, "tel.frame.", 10) && (f = bus_msg_body (m, LAB__ENVELOPE__BODY_BOARD_FRAME)))
                s_on_frame (self, topic + 10, f);
            else if (!strncmp (topic, "tel.serial.", 11) && (l = bus_msg_body (m, LAB__ENVELOPE__BODY_SERIAL_LINE)))
                s_on_line (self, topic + 11, l->text);
            bus_msg_destroy (&m);
            m = bus_client_recv (self->bus, 0);
        }
        s_tick (self);
    }
    return 0;
}

/* --- a push to several boards ---------------------------------------------- */
/* `push IMAGE b,c,d [VIA]`: one job, one image, one session; ota_multi
 * broadcasts the chunks and serves each board's gaps, and each board gets
 * its own phase, result and alert. A board that fails (BUSY, bad
 * signature, silence, rollback) fails alone. */

static bool
s_busy (ota_service_t *self, const char *board, const char **job)
{
    for (int i = 0; i < JOBS_MAX; i++) {
        job_t *o = &self->jobs[i];
        if (!o->used || o->phase >= J_DONE)
            continue;
        bool hit = !o->multi && !strcmp (o->target, board);
        for (int k = 0; o->multi && k < o->ntgt && !hit; k++)
            hit = o->tgt[k].phase < J_DONE && !strcmp (o->tgt[k].name, board);
        if (hit) {
            *job = o->id;
            return true;
        }
    }
    return false;
}

static int
s_send_multi (void *ctx, const uint8_t dst[6], const uint8_t *msg, size_t len)
{
    return s_send_to (ctx, dst, msg, len);
}

static bool
s_is_target (job_t *j, const char *board)
{
    for (int k = 0; k < j->ntgt; k++)
        if (!strcmp (j->tgt[k].name, board))
            return true;
    return false;
}

/* The first board of the config that is not a target: the default initiator. */
static void
s_default_via (ota_service_t *self, job_t *j, char *via, size_t len)
{
    via[0] = 0;
    for (zconfig_t *sec = zconfig_child (lab_config_root (self->cfg)); sec && !via[0]; sec = zconfig_next (sec))
        if (!strcmp (zconfig_name (sec), "boards"))
            for (zconfig_t *b = zconfig_child (sec); b && !via[0]; b = zconfig_next (b))
                if (!s_is_target (j, zconfig_name (b)))
                    snprintf (via, len, "%s", zconfig_name (b));
}

static int
s_multi_targets (ota_service_t *self, job_t *j, char *err, size_t errlen)
{
    char list[64];
    snprintf (list, sizeof list, "%s", j->target);
    char *save = NULL;
    for (char *name = strtok_r (list, ",", &save); name; name = strtok_r (NULL, ",", &save)) {
        char mac[32], other[64];
        if (j->ntgt == OTA_MULTI_MAX) {
            snprintf (err, errlen, "at most %d boards in one push", OTA_MULTI_MAX);
            return -1;
        }
        if (s_is_target (j, name)) {
            snprintf (err, errlen, "%s is named twice", name);
            return -1;
        }
        if (s_board (self, name, mac, sizeof mac, other, sizeof other)) {
            snprintf (err, errlen, "no board '%s' in the config", name);
            return -1;
        }
        tgt_t *t = &j->tgt[j->ntgt];
        if (s_parse_mac (mac, t->mac)) {
            snprintf (err, errlen, "board %s has no mac in the config", name);
            return -1;
        }
        /* A board already taking another push is not refused here: the
         * board itself answers BEGIN with BUSY, and it fails alone. */
        snprintf (t->name, sizeof t->name, "%s", name);
        t->phase = J_PUSHING;
        j->ntgt++;
    }
    if (j->ntgt < 2) {
        snprintf (err, errlen, "a push to several boards needs at least two (--to b,c)");
        return -1;
    }
    return 0;
}

static job_t *
s_multi_start (ota_service_t *self, job_t *j, job_t *fresh, const char *via, char *err, size_t errlen)
{
    if (strlen (fresh->target) >= sizeof fresh->target - 1) {
        snprintf (err, errlen, "too long a list of boards");
        ota_image_free (&fresh->img);
        return NULL;
    }
    if (s_multi_targets (self, fresh, err, errlen)) {
        ota_image_free (&fresh->img);
        return NULL;
    }
    if (via && *via)
        snprintf (fresh->via, sizeof fresh->via, "%s", via);
    else
        s_default_via (self, fresh, fresh->via, sizeof fresh->via);
    char mac[32], other[64];
    if (!fresh->via[0] || s_is_target (fresh, fresh->via)
        || s_board (self, fresh->via, mac, sizeof mac, other, sizeof other)) {
        snprintf (err, errlen, "need another board of the config as the initiator (--via)");
        ota_image_free (&fresh->img);
        return NULL;
    }
    fresh->used = true;
    fresh->phase = J_PUSHING;
    fresh->start_ms = s_ms ();
    *j = *fresh;
    ota_engine_opts_t eo = s_engine_opts (self, j);
    j->multi = ota_multi_new (j->img.data, j->img.size, j->session, j->img.version, &eo, s_send_multi, j);
    for (int k = 0; k < j->ntgt; k++)
        ota_multi_add (j->multi, j->tgt[k].mac);
    j->stream_size = j->img.size;
    if (j->compress && s_compress (j, err, errlen)) {
        ota_multi_destroy (&j->multi);
        ota_image_free (&j->img);
        j->used = false;
        return NULL;
    }
    s_job_save (j);
    s_listen (self, j->via, false);
    for (int k = 0; k < j->ntgt; k++)
        s_listen (self, j->tgt[k].name, true);
    zsys_info ("ota-initiator: %s: %s %s (%u bytes, %s %u bytes) -> %s via %s, chunks broadcast", j->id,
               j->img.project, j->img.version, j->img.size, j->compress ? "compressed" : "plain", j->stream_size,
               j->target, j->via);
    return j;
}

static const char *
s_tgt_state (job_t *j, int k)
{
    tgt_t *t = &j->tgt[k];
    if (t->phase == J_DONE)
        return "done";
    if (t->phase == J_FAILED)
        return "failed";
    if (t->phase == J_BOOTING)
        return "rebooting";
    switch (ota_multi_state (j->multi, k)) {
        case OTA_TGT_BEGIN: return "begin";
        case OTA_TGT_ENDING: return "verifying";
        default: return "sending";
    }
}

static size_t
s_multi_fill (job_t *j, uint64_t now, Lab__OtaJobState *s, Lab__OtaBoardResult *res, Lab__OtaBoardResult **ptrs)
{
    double sum = 0;
    bool all_ok = true;
    for (int k = 0; k < j->ntgt; k++) {
        tgt_t *t = &j->tgt[k];
        ota_engine_stats_t ts = { 0 };
        if (j->multi)
            ota_multi_target_stats (j->multi, k, now, &ts);
        Lab__OtaBoardResult r = LAB__OTA_BOARD_RESULT__INIT;
        r.board = t->name;
        r.state = (char *) s_tgt_state (j, k);
        r.percent = t->phase == J_BOOTING || t->phase == J_DONE ? 100.0 : ts.percent;
        r.booted_version = t->booted;
        r.error = t->error;
        r.signature_ok = t->pushed_ms != 0;
        r.push_s = t->pushed_ms ? (double) (t->pushed_ms - j->start_ms) / 1000.0 : 0;
        r.elapsed_s = (double) ((t->done_ms ? t->done_ms : now) - j->start_ms) / 1000.0;
        res[k] = r;
        ptrs[k] = &res[k];
        sum += r.percent;
        all_ok &= r.signature_ok;
    }
    s->n_boards = (size_t) j->ntgt;
    s->boards = ptrs;
    s->percent = j->ntgt ? sum / j->ntgt : 0;
    s->bytes_acked = (uint64_t) (s->percent / 100.0 * j->img.size);
    if (j->multi) {
        ota_multi_stats_t ms;
        ota_multi_stats (j->multi, &ms);
        s->retransmissions = ms.retransmissions;
        s->broadcasts = ms.broadcasts;
        s->unicasts = ms.unicasts;
        s->image_crc32 = ota_multi_crc (j->multi);
    }
    s->crc_ok = s->signature_ok = all_ok;
    return (size_t) j->ntgt;
}

static void
s_tgt_finish (ota_service_t *self, job_t *j, tgt_t *t, job_phase_t phase, const char *error)
{
    t->phase = phase;
    t->done_ms = s_ms ();
    if (error)
        snprintf (t->error, sizeof t->error, "%s", error);
    char text[512], topic[200];
    if (phase == J_DONE)
        snprintf (text, sizeof text, "OTA %s: %s booted %s and confirmed, %.1f s", j->id, t->name, t->booted,
                  (double) (t->done_ms - j->start_ms) / 1000.0);
    else
        snprintf (text, sizeof text, "OTA %s: %s failed: %s", j->id, t->name, t->error);
    zsys_info ("ota-initiator: %s", text);
    const char *kind = phase == J_DONE ? "ota_done" : "ota_failed";
    Lab__Alert a = LAB__ALERT__INIT;
    a.severity = phase == J_DONE ? "info" : "error";
    a.kind = (char *) kind;
    a.subject = t->name;
    a.text = text;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_ALERT;
    env.alert = &a;
    snprintf (topic, sizeof topic, "evt.alert.%s.%s.%s", kind, j->id, t->name);
    bus_client_publish (self->bus, topic, &env);
}

static void
s_multi_frame (ota_service_t *self, job_t *j, const char *board, const Lab__BoardFrame *f, uint64_t now)
{
    if (f->type == LINK_T_ESPNOW_RX && !strcmp (board, j->via) && f->payload.len > 8 && j->multi) {
        espnow_hdr_t h;
        const uint8_t *p;
        if (espnow_frame_decode (f->payload.data + 8, f->payload.len - 8, &h, &p) == 0 && h.type == ESPNOW_T_OTA)
            ota_multi_on_msg (j->multi, f->payload.data, p, h.len, now);
        return;
    }
    if (f->type != LINK_T_BOOT)
        return;
    for (int k = 0; k < j->ntgt; k++) {
        tgt_t *t = &j->tgt[k];
        link_boot_t boot;
        if (strcmp (board, t->name) || t->phase != J_BOOTING
            || link_boot_decode (f->payload.data, f->payload.len, &boot))
            continue;
        snprintf (t->booted, sizeof t->booted, "%s", boot.version);
        if (!strcmp (boot.reset_reason, "rollback")) {
            char e[200];
            snprintf (e, sizeof e, "%s never confirmed %s and rolled back to %s", t->name, j->img.version,
                      boot.version);
            s_tgt_finish (self, j, t, J_FAILED, e);
        }
    }
}

static void
s_multi_line (ota_service_t *self, job_t *j, const char *board, const char *text)
{
    for (int k = 0; k < j->ntgt; k++) {
        tgt_t *t = &j->tgt[k];
        if (t->phase == J_BOOTING && !strcmp (board, t->name) && strstr (text, "new image confirmed")
            && !strcmp (t->booted, j->img.version))
            s_tgt_finish (self, j, t, J_DONE, NULL);
    }
}

/* As for one board: the boot report may have gone by while a service was
 * down; ask serial-bridge what the board runs (only once no board is still
 * receiving: the call blocks). */
static void
s_multi_probe (ota_service_t *self, job_t *j, tgt_t *t, uint64_t now)
{
    t->next_probe_ms = now + 1000;
    if (s_probe_confirmed (self, t->name, j->img.version, t->booted, sizeof t->booted, &t->version_seen_ms, now))
        s_tgt_finish (self, j, t, J_DONE, NULL);
}

static void
s_multi_tick (ota_service_t *self, job_t *j, uint64_t now)
{
    int pushing = 0, booting = 0, failed = 0, done = 0;
    for (int k = 0; k < j->ntgt; k++)
        pushing += j->tgt[k].phase == J_PUSHING;
    if (pushing)
        ota_multi_tick (j->multi, now);
    pushing = 0;
    for (int k = 0; k < j->ntgt; k++) {
        tgt_t *t = &j->tgt[k];
        if (t->phase == J_PUSHING) {
            ota_tgt_state_t st = ota_multi_state (j->multi, k);
            if (st == OTA_TGT_DONE) {
                t->phase = J_BOOTING;
                t->pushed_ms = now;
                t->boot_deadline_ms = now + BOOT_WAIT_MS;
            }
            else if (st == OTA_TGT_FAILED)
                s_tgt_finish (self, j, t, J_FAILED, ota_multi_error (j->multi, k));
        }
        if (t->phase == J_BOOTING && now > t->boot_deadline_ms) {
            char e[200];
            snprintf (e, sizeof e, "%s did not boot and confirm %s within %d s (booted: %s)", t->name,
                      j->img.version, BOOT_WAIT_MS / 1000, t->booted[0] ? t->booted : "nothing");
            s_tgt_finish (self, j, t, J_FAILED, e);
        }
        pushing += t->phase == J_PUSHING;
        booting += t->phase == J_BOOTING;
        failed += t->phase == J_FAILED;
        done += t->phase == J_DONE;
    }
    for (int k = 0; k < j->ntgt && !pushing; k++)
        if (j->tgt[k].phase == J_BOOTING && now >= j->tgt[k].next_probe_ms)
            s_multi_probe (self, j, &j->tgt[k], now);
    if (!pushing && !j->pushed_ms)
        j->pushed_ms = now;
    if (booting || pushing) {
        job_phase_t was = j->phase;
        j->phase = pushing ? J_PUSHING : J_BOOTING;
        if (was != j->phase)
            s_job_save (j);
        return;
    }
    /* Every board has its result: the job is done when all are. */
    if (!failed) {
        /* memcpy, not snprintf: GCC's -Wrestrict (at -O1 with the
         * sanitizers) cannot tell the two fields of *j apart. */
        size_t n = strnlen (j->img.version, sizeof j->booted - 1);
        memcpy (j->booted, j->img.version, n);
        j->booted[n] = 0;
        s_finish (self, j, J_DONE, NULL);
        return;
    }
    char e[256];
    size_t o = (size_t) snprintf (e, sizeof e, "%d of %d boards failed", failed, j->ntgt);
    for (int k = 0; k < j->ntgt && o < sizeof e; k++)
        if (j->tgt[k].phase == J_FAILED)
            o += (size_t) snprintf (e + o, sizeof e - o, "; %s: %s", j->tgt[k].name, j->tgt[k].error);
    (void) done;
    s_finish (self, j, J_FAILED, e);
}
