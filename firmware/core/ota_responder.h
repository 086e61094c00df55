/* ota_responder - the board side of OTA over ESP-NOW.
 *
 * Writes the image into the spare OTA slot through ota_flash_t, which maps
 * one to one onto ESP-IDF (esp_ota_begin with OTA_WITH_SEQUENTIAL_WRITES so
 * the slot is erased as the write proceeds — no bulk erase to trip the task
 * watchdog; esp_ota_write; esp_ota_end; esp_ota_set_boot_partition;
 * esp_ota_resume after a reboot) and records its progress through a small
 * key/value store (NVS on the board) so a reboot mid-push resumes.
 *
 * Static storage only: the responder is one struct the caller owns, with a
 * window of OTA_WINDOW chunks for out-of-order arrivals and the inflater of
 * compressed pushes (ota_inflate.h: the chunks, in order, are inflated
 * straight into the OTA write). Nothing is allocated per chunk (the old
 * crash at 97%). */
#ifndef OTA_RESPONDER_H
#define OTA_RESPONDER_H

#include "board_core.h"
#include "ota_inflate.h"
#include "ota_proto.h"
#include "ota_sig.h"

typedef struct {
    void *ctx;
    uint32_t (*slot_size) (void *ctx);
    int (*begin) (void *ctx, uint32_t image_size);
    int (*resume) (void *ctx, uint32_t image_size, uint32_t offset);
    int (*write) (void *ctx, const uint8_t *data, size_t len);
    int (*end) (void *ctx);          /* validates the image */
    int (*set_boot) (void *ctx);
    void (*abort) (void *ctx);
    /* persistent progress (a blob under one key) */
    int (*kv_get) (void *ctx, void *buf, size_t len);   /* 0 when found, full length */
    int (*kv_set) (void *ctx, const void *buf, size_t len);
    /* reads back the staged image (esp_partition_read on the slot) */
    int (*read) (void *ctx, uint32_t off, void *buf, size_t len);
    /* the lab's signature check; without it no image is accepted */
    const ota_sig_t *sig;
} ota_flash_t;

/* What survives a reboot. A compressed push records it only where a block
 * ends (BASE is then the chunk that starts the next block, PLAIN its plain
 * offset): that is where a fresh inflater can start again. */
typedef struct {
    uint32_t magic;
    uint16_t session;
    uint16_t chunk;
    uint32_t size;           /* of the plain image */
    uint32_t crc32;          /* of the whole plain image, from BEGIN */
    uint32_t base;           /* chunks written (compressed: inflated) */
    uint32_t crc_so_far;     /* CRC-32 of the plain bytes written */
    uint8_t complete;        /* END verified and boot slot switched */
    char version[OTA_VERSION_MAX + 1];
    uint8_t peer[BOARD_MAC_LEN];   /* the initiator board: only it may resume */
    /* compressed pushes (flags OTA_BEGIN_DEFLATE), from BEGIN */
    uint8_t flags, block_shift;
    uint32_t zchunks, zsize;
    uint32_t plain;          /* plain bytes written at BASE */
} ota_progress_t;

#define OTA_PROGRESS_MAGIC 0x4F544133u   /* "OTA3" (OTA2 had no compression, OTA1 no peer) */
#define OTA_PERSIST_EVERY 16u            /* chunks between progress records (plain pushes;
                                            compressed ones record at each block end) */
#define OTA_ACK_EVERY 8u                 /* chunks between ACKs */
/* A push whose initiator has been silent this long may be taken over by
 * another BEGIN; before that, a BEGIN that is not the same session from the
 * same initiator is answered BUSY. */
#define OTA_STALE_US 10000000u
#define OTA_PAIRED_MAX 4u                /* initiator boards a responder takes pushes from */
#define OTA_UNPAIRED_LOG_US 10000000u    /* at most one "unpaired" log line per 10 s */

typedef struct {
    uint32_t chunks, duplicates, out_of_window, bad, acks, writes, resumes;
    uint32_t busy;                               /* BEGINs refused: another push is running */
    uint32_t foreign;                            /* CHUNK/END/ABORT from a MAC that is not the initiator */
    uint32_t bad_signatures;                     /* images refused at END: unsigned or not the lab's */
    uint32_t unpaired;                           /* OTA frames from a MAC the board is not paired with: dropped */
    uint32_t broadcast_refused;                  /* BEGIN/END/ABORT sent to the broadcast address: dropped */
    uint32_t bad_streams;                        /* compressed pushes abandoned: the stream did not inflate */
} ota_responder_stats_t;

typedef struct {
    board_core_t *core;
    ota_flash_t flash;
    bool active;
    ota_progress_t p;
    uint32_t total;                              /* chunks in the image */
    uint32_t bitmap;                             /* chunk base+1+i held in the window */
    uint8_t window[OTA_WINDOW][OTA_CHUNK_MAX];
    uint16_t window_len[OTA_WINDOW];
    uint8_t peer[BOARD_MAC_LEN];                 /* the initiator board */
    uint8_t paired[OTA_PAIRED_MAX][BOARD_MAC_LEN];   /* who may push (provisioned over USB) */
    uint8_t npaired;
    uint32_t since_ack;
    uint64_t last_rx_us, last_ack_us;
    uint64_t unpaired_logged_us;                 /* the last "unpaired" log line (rate-limited) */
    uint64_t reboot_at_us;                       /* 0: none pending */
    ota_inflate_t inf;                           /* compressed pushes: chunks in order -> OTA write */
    int inf_rc;                                  /* the inflater's error, when a chunk was refused */
    ota_responder_stats_t stats;
} ota_responder_t;

/* Sets up SELF and, when the store holds an unfinished push, prepares to
 * resume it. Registers for ESPNOW_T_OTA frames and a poller on CORE (call
 * again after every board_core_init: the core's registry starts empty). */
void ota_responder_init (ota_responder_t *self, board_core_t *core, const ota_flash_t *flash);
/* Lets the initiator board MAC push to this board (call after every
 * ota_responder_init: a board takes pushes only from its paired initiators,
 * and from nobody until one is paired). -1 when the table is full. */
int ota_responder_pair (ota_responder_t *self, const uint8_t mac[BOARD_MAC_LEN]);
/* Handles one OTA message from SRC (exposed for tests; the core calls it). */
void ota_responder_on_msg (ota_responder_t *self, const uint8_t src[BOARD_MAC_LEN],
                           const uint8_t *payload, size_t len);
/* Timers: delayed ACK, reboot after DONE. */
void ota_responder_poll (ota_responder_t *self, uint64_t now_us);

#endif
