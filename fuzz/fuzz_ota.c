/* fuzz_ota - untrusted bytes as ESP-NOW frames, OTA messages and firmware images: the
 * message decoder (re-encoded and compared), the responder fed arbitrary
 * messages on a RAM flash, and the initiator's image checks. */
#include "ota_responder.h"
#include "services/ota-initiator/ota_image.h"
#include <stdlib.h>
#include <string.h>

static uint8_t s_flash[64 * 1024];
static uint32_t s_written;
static uint8_t s_kv[sizeof (ota_progress_t)];
static int s_kv_ok;

static uint32_t f_slot (void *c) { (void) c; return sizeof s_flash; }
static int f_begin (void *c, uint32_t n) { (void) c; s_written = 0; return n > sizeof s_flash; }
static int f_resume (void *c, uint32_t n, uint32_t off) { (void) c; (void) n; s_written = off; return off > sizeof s_flash; }
static int f_write (void *c, const uint8_t *d, size_t n) { (void) c; if (s_written + n > sizeof s_flash) return -1; memcpy (s_flash + s_written, d, n); s_written += (uint32_t) n; return 0; }
static int f_end (void *c) { (void) c; return 0; }
static int f_boot (void *c) { (void) c; return 0; }
static void f_abort (void *c) { (void) c; }
static int f_kv_get (void *c, void *b, size_t n) { (void) c; if (!s_kv_ok) return -1; memcpy (b, s_kv, n); return 0; }
static int f_kv_set (void *c, const void *b, size_t n) { (void) c; memcpy (s_kv, b, n); s_kv_ok = 1; return 0; }
static int p_send (void *c, const uint8_t m[6], const uint8_t *d, size_t n) { (void) c; (void) m; (void) d; (void) n; return 0; }
static void p_uart (void *c, const uint8_t *d, size_t n) { (void) c; (void) d; (void) n; }
static uint64_t s_now;
static uint64_t p_now (void *c) { (void) c; return s_now += 1000; }
static void p_reboot (void *c) { (void) c; }

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    /* The ESP-NOW header every board-to-board payload starts with. */
    espnow_hdr_t h;
    const uint8_t *payload;
    if (espnow_frame_decode (data, size, &h, &payload) == 0 && h.len > size - ESPNOW_HDR_SIZE)
        abort ();
    ota_msg_t m;
    if (ota_msg_decode (data, size, &m) == 0) {
        uint8_t buf[OTA_MSG_MAX + 64];
        size_t n = ota_msg_encode (buf, sizeof buf, &m);
        if (n && (n != size || memcmp (buf, data, n)))
            abort ();   /* decode and encode must agree */
    }
    static board_core_t core;
    static ota_responder_t resp;
    board_port_t port = { NULL, p_send, p_uart, p_now, NULL, p_reboot };
    board_info_t info = { .version = "1", .partition = "factory", .reset_reason = "poweron" };
    board_core_init (&core, &port, &info);
    ota_flash_t fl = { NULL, f_slot, f_begin, f_resume, f_write, f_end, f_boot, f_abort, f_kv_get, f_kv_set };
    ota_responder_init (&resp, &core, &fl);
    static const uint8_t src[6] = { 1, 2, 3, 4, 5, 6 };
    ota_responder_pair (&resp, src);      /* else every message stops at the pairing check */
    /* The input as a sequence of messages: u8 length, then that many bytes. */
    for (size_t i = 0; i < size;) {
        size_t len = data[i++];
        if (len > size - i)
            len = size - i;
        ota_responder_on_msg (&resp, src, data + i, len);
        ota_responder_poll (&resp, s_now);
        i += len;
    }
    ota_image_t img = { .data = (uint8_t *) data, .size = (uint32_t) size };
    char err[256];
    ota_image_check (&img, 1 << 20, size & 1, err, sizeof err);
    return 0;
}
