/* labsim_appfill - application-like content for test images (see the
 * header). Proportions follow the section sizes `idf.py size` reports for
 * ESP-IDF example applications that use Wi-Fi/ESP-NOW (flash code a little
 * over half the image, IRAM code under a tenth, read-only data about a
 * quarter, initialised data and padding the rest). */
#include "services/labsim/labsim_appfill.h"
#include <string.h>

typedef struct {
    uint32_t x;
    uint8_t *buf;
    size_t len, pos;
} fill_t;

static uint32_t
s_rand (fill_t *f)
{
    f->x ^= f->x << 13; f->x ^= f->x >> 17; f->x ^= f->x << 5;
    return f->x;
}

/* 0..n-1, skewed towards small values (compiled code reuses a few
 * registers and small offsets far more than the rest). */
static uint32_t
s_skew (fill_t *f, uint32_t n)
{
    uint32_t a = s_rand (f) % n, b = s_rand (f) % n;
    return a < b ? a : b;
}

static void
s_put (fill_t *f, uint8_t b)
{
    if (f->pos < f->len)
        f->buf[f->pos++] = b;
}

static void
s_put32 (fill_t *f, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        s_put (f, (uint8_t) (v >> (8 * i)));
}

/* A section's end, never past the buffer (the loops stop at it). */
static size_t
s_end (const fill_t *f, size_t end)
{
    return end < f->len ? end : f->len;
}

static void
s_align4 (fill_t *f)
{
    while (f->pos % 4 && f->pos < f->len)
        s_put (f, 0);
}

/* --- code ------------------------------------------------------------- */

/* The registers a function body works with: a2..a7 (arguments), a8..a11
 * (call8 outgoing and temporaries), a1 the stack pointer. */
static const uint8_t s_regs[] = { 2, 3, 8, 9, 10, 4, 5, 11, 6, 12, 7, 13, 14, 15 };

static uint8_t
s_reg (fill_t *f)
{
    return s_regs[s_skew (f, sizeof s_regs)];
}

/* One instruction, encoded the way the Xtensa ISA lays out its formats
 * (op0 in the low nibble of the first byte; RRR, RRI8, CALL, BRI12 and the
 * 16-bit narrow forms), with a static opcode mix close to that of
 * xtensa-esp32-elf-gcc -Os output. */
static void
s_insn (fill_t *f, uint32_t lit_base)
{
    uint32_t k = s_rand (f) % 100;
    uint8_t t = s_reg (f), s = s_skew (f, 3) == 0 ? 1 : s_reg (f), r = s_reg (f);
    if (k < 15) {                       /* l32i.n at, as, imm4 */
        s_put (f, (uint8_t) (t << 4 | 0x8)); s_put (f, (uint8_t) (s_skew (f, 10) << 4 | s));
    } else if (k < 24) {                /* s32i.n */
        s_put (f, (uint8_t) (t << 4 | 0x9)); s_put (f, (uint8_t) (s_skew (f, 10) << 4 | s));
    } else if (k < 34) {                /* mov.n / movi.n */
        s_put (f, (uint8_t) (t << 4 | 0xD)); s_put (f, (uint8_t) (s_skew (f, 6) << 4 | s));
    } else if (k < 40) {                /* addi.n / add.n */
        s_put (f, (uint8_t) (t << 4 | (k & 1 ? 0xA : 0xB))); s_put (f, (uint8_t) (r << 4 | s));
    } else if (k < 50) {                /* l32r at, literal (backwards into the pool) */
        uint16_t off = (uint16_t) (0x10000u - lit_base - s_skew (f, 12));
        s_put (f, (uint8_t) (t << 4 | 0x1)); s_put (f, (uint8_t) off); s_put (f, (uint8_t) (off >> 8));
    } else if (k < 59) {                /* call8: 18-bit pc-relative */
        uint32_t off = s_rand (f) & 0x3FFFF;
        s_put (f, (uint8_t) (0x25 | (off & 3) << 6)); s_put (f, (uint8_t) (off >> 2)); s_put (f, (uint8_t) (off >> 10));
    } else if (k < 67) {                /* l32i / s32i / l16ui / l8ui: RRI8 */
        static const uint8_t sub[] = { 0x2, 0x6, 0x1, 0x0 };
        s_put (f, (uint8_t) (t << 4 | 0x2)); s_put (f, (uint8_t) (sub[s_skew (f, 4)] << 4 | s));
        s_put (f, (uint8_t) s_skew (f, 24));
    } else if (k < 73) {                /* addi / movi */
        s_put (f, (uint8_t) (t << 4 | 0x2)); s_put (f, (uint8_t) ((k & 1 ? 0xC : 0xA) << 4 | s));
        s_put (f, (uint8_t) (k & 1 ? s_skew (f, 32) : s_rand (f) % 256));
    } else if (k < 80) {                /* beqz / bnez (BRI12) */
        uint32_t off = s_skew (f, 64);
        s_put (f, (uint8_t) (s_rand (f) & 1 ? 0x16 : 0x56)); s_put (f, (uint8_t) (off << 4 | s));
        s_put (f, (uint8_t) (off >> 4));
    } else if (k < 85) {                /* beq / bne / bltu (RRI8 branches) */
        s_put (f, (uint8_t) (t << 4 | 0x7)); s_put (f, (uint8_t) (r << 4 | s)); s_put (f, (uint8_t) s_skew (f, 80));
    } else if (k < 88) {                /* j */
        uint32_t off = s_rand (f) & 0x3FF;
        s_put (f, (uint8_t) (0x06 | (off & 3) << 6)); s_put (f, (uint8_t) (off >> 2)); s_put (f, (uint8_t) (off >> 10));
    } else if (k < 96) {                /* add / sub / and / or / slli / extui (RRR) */
        static const uint8_t op2[] = { 0x8, 0xC, 0x1, 0x2, 0x0, 0x4 };
        uint8_t o = op2[s_skew (f, 6)];
        s_put (f, (uint8_t) (t << 4 | 0x0)); s_put (f, (uint8_t) (s << 4 | r));
        s_put (f, (uint8_t) (o << 4 | (o == 0x4 ? s_skew (f, 4) : 0)));
    } else {                            /* memw, nop.n, other one-offs */
        s_put (f, (uint8_t) (s_rand (f) & 0xFF)); s_put (f, (uint8_t) (s_rand (f) & 0xFF));
        s_put (f, (uint8_t) (s_rand (f) & 0x0F));
    }
}

/* The idioms compiled C repeats all over an application: the ESP_LOGx
 * call (load tag, format, level; call esp_log_write), ESP_ERROR_CHECK,
 * the FreeRTOS critical-section pair. Made once per image, then copied
 * verbatim, as the compiler does. */
#define IDIOMS 48
#define IDIOM_MAX 24

typedef struct {
    uint8_t b[IDIOMS][IDIOM_MAX];
    uint8_t n[IDIOMS];
} idioms_t;

static void
s_idioms (fill_t *f, idioms_t *id)
{
    uint8_t tmp[IDIOM_MAX + 4];
    for (int i = 0; i < IDIOMS; i++) {
        fill_t g = { .x = s_rand (f) | 1, .buf = tmp, .len = sizeof tmp, .pos = 0 };
        size_t want = 9 + s_rand (f) % (IDIOM_MAX - 9);
        while (g.pos < want)
            s_insn (&g, 8);
        id->n[i] = (uint8_t) (g.pos > IDIOM_MAX ? IDIOM_MAX : g.pos);
        memcpy (id->b[i], tmp, id->n[i]);
    }
}

/* Functions: a literal pool (addresses of strings in .rodata, of other
 * functions, of data in DRAM), then `entry a1, N`, a body, `retw.n`. */
static void
s_code (fill_t *f, size_t end, const idioms_t *id)
{
    while (f->pos < end) {
        uint32_t lits = 1 + s_skew (f, 8);
        s_align4 (f);
        for (uint32_t i = 0; i < lits && f->pos < end; i++) {
            static const uint32_t base[] = { 0x3F400000u, 0x400D0000u, 0x3FFB0000u, 0x3FF00000u };
            uint32_t b = base[s_skew (f, 4)];
            s_put32 (f, b | ((s_rand (f) & 0x3FFFC) & (b == 0x3FF00000u ? 0xFFFC : 0x3FFFC)));
        }
        s_put (f, 0x36); s_put (f, (uint8_t) (0x41 | s_skew (f, 4) << 4)); s_put (f, 0x00);   /* entry a1, 32.. */
        uint32_t body = 6 + s_skew (f, 90) + s_skew (f, 40);
        for (uint32_t i = 0; i < body && f->pos < end; i++) {
            if (s_rand (f) % 100 < 7) {
                const uint32_t w = s_skew (f, IDIOMS);
                for (uint8_t j = 0; j < id->n[w] && f->pos < end; j++)
                    s_put (f, id->b[w][j]);
            } else
                s_insn (f, lits);
        }
        s_put (f, 0x1D); s_put (f, 0xF0);                                                   /* retw.n */
    }
}

/* --- read-only data ---------------------------------------------------- */

static const char *const s_words[] = {
    "wifi", "esp_now", "failed", "to", "init", "error", "invalid", "state", "event", "handler",
    "connect", "disconnect", "peer", "send", "recv", "timeout", "nvs", "partition", "ota", "flash",
    "write", "read", "erase", "begin", "end", "task", "queue", "semaphore", "mutex", "heap",
    "alloc", "free", "memory", "size", "len", "offset", "addr", "mac", "channel", "rssi",
    "uart", "gpio", "spi", "i2c", "timer", "interrupt", "core", "cpu", "clock", "config",
    "boot", "app", "image", "version", "checksum", "sha256", "segment", "header", "magic", "load",
    "esp_err_t", "ESP_OK", "ESP_FAIL", "ESP_ERR_NO_MEM", "ESP_ERR_INVALID_ARG", "ESP_ERR_TIMEOUT",
    "%s", "%d", "%u", "%x", "0x%08x", "%p", "%" "02x", "(%d)", "=", ":", "->", "not", "found", "is",
    "the", "a", "of", "in", "for", "with", "already", "started", "stopped", "running", "ready",
    "E (%lu) %s: ", "W (%lu) %s: ", "I (%lu) %s: ", "abort()", "assert", "line", "function",
    "components/esp_wifi/src/wifi_init.c", "components/nvs_flash/src/nvs_api.cpp",
    "components/app_update/esp_ota_ops.c", "components/freertos/FreeRTOS-Kernel/tasks.c",
    "components/esp_hw_support/cpu.c", "components/esp_system/port/panic_handler.c",
};

static void
s_string (fill_t *f, size_t end)
{
    uint32_t n = 2 + s_skew (f, 9);
    for (uint32_t i = 0; i < n && f->pos < end; i++) {
        const char *w = s_words[s_skew (f, sizeof s_words / sizeof *s_words)];
        for (const char *c = w; *c && f->pos < end; c++)
            s_put (f, (uint8_t) *c);
        if (i + 1 < n)
            s_put (f, ' ');
    }
    if (s_rand (f) & 1)
        s_put (f, '\n');
    s_put (f, 0);
    s_align4 (f);
}

/* Strings, pointer tables (arrays of structs pointing into .rodata and at
 * functions), small lookup tables, and high-entropy tables (certificate
 * bundle, crypto constants, calibration data) that no compressor shrinks. */
static void
s_rodata (fill_t *f, size_t end)
{
    while (f->pos < end) {
        uint32_t k = s_rand (f) % 100, n;
        size_t stop;
        if (k < 50)
            s_string (f, end);
        else if (k < 72) {                       /* struct arrays: pointer, flags, handler */
            uint32_t p = 0x3F400000u | (s_rand (f) & 0x3FFF0), q = 0x400D0000u | (s_rand (f) & 0x3FFF0);
            for (n = 4 + s_skew (f, 24); n-- && f->pos < end;) {
                s_put32 (f, p += 4 * (1 + s_skew (f, 8)));
                s_put32 (f, s_skew (f, 16));
                s_put32 (f, q += 4 * (4 + s_skew (f, 64)));
            }
        } else if (k < 94) {                     /* lookup tables of small values */
            for (n = 16 + s_skew (f, 128); n-- && f->pos < end;)
                s_put (f, (uint8_t) s_skew (f, 40));
            s_align4 (f);
        } else {                                 /* high-entropy tables */
            stop = f->pos + 64 + s_rand (f) % 448;
            while (f->pos < stop && f->pos < end)
                s_put (f, (uint8_t) s_rand (f));
        }
    }
}

/* Initialised data: mostly small integers and zeros, some pointers. */
static void
s_data (fill_t *f, size_t end)
{
    while (f->pos < end) {
        uint32_t k = s_rand (f) % 10;
        if (k < 5)
            s_put32 (f, 0);
        else if (k < 8)
            s_put32 (f, s_skew (f, 256));
        else
            s_put32 (f, 0x3FFB0000u | (s_rand (f) & 0xFFFC));
    }
}

void
labsim_appfill (uint8_t *buf, size_t len, uint32_t seed)
{
    fill_t f = { .x = seed | 1, .buf = buf, .len = len, .pos = 0 };
    idioms_t id;
    s_idioms (&f, &id);
    /* DROM first, as esptool orders the segments of an app image; the
     * zero padding stands for the alignment gaps between segments. */
    size_t rodata = len * 26 / 100, pad1 = len * 3 / 100, irom = len * 53 / 100,
           iram = len * 9 / 100, data = len * 3 / 100;
    s_rodata (&f, s_end (&f, rodata));
    size_t z = s_end (&f, f.pos + pad1);
    memset (buf + f.pos, 0, z - f.pos);
    f.pos = z;
    s_code (&f, s_end (&f, f.pos + irom), &id);
    s_code (&f, s_end (&f, f.pos + iram), &id);
    s_data (&f, s_end (&f, f.pos + data));
    if (f.pos < len)
        memset (buf + f.pos, 0, len - f.pos);
}

void
labsim_appfill_random (uint8_t *buf, size_t len, uint32_t seed)
{
    fill_t f = { .x = seed | 1, .buf = buf, .len = len, .pos = 0 };
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t) s_rand (&f);
}
