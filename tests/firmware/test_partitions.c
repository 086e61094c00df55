/* test_partitions - the bench partition table fits a 4 MB ESP32 with two OTA
 * slots large enough for a 1.5 MB image, aligned as the bootloader needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLASH_SIZE (4u << 20)
#define MAX_PARTS 16

typedef struct {
    char name[17], type[8], subtype[12];
    unsigned long offset, size;
} part_t;

static char *
s_trim (char *s)
{
    while (isspace ((unsigned char) *s))
        s++;
    char *e = s + strlen (s);
    while (e > s && isspace ((unsigned char) e[-1]))
        *--e = 0;
    return s;
}

/* Sizes as ESP-IDF's gen_esp32part.py accepts them: hex, decimal, K or M. */
static int
s_number (const char *s, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul (s, &end, 0);
    if (end == s)
        return -1;
    if (*end == 'K' || *end == 'k')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024, end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int
s_load (const char *path, part_t *parts)
{
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char line[256];
    int n = 0;
    while (fgets (line, sizeof line, f)) {
        char *s = s_trim (line);
        if (!*s || *s == '#')
            continue;
        char *fields[6] = { 0 };
        int nf = 0;
        for (char *tok = strtok (s, ","); tok && nf < 6; tok = strtok (NULL, ","))
            fields[nf++] = s_trim (tok);
        assert_true (nf >= 5);
        assert_true (n < MAX_PARTS);
        part_t *p = &parts[n++];
        snprintf (p->name, sizeof p->name, "%s", fields[0]);
        snprintf (p->type, sizeof p->type, "%s", fields[1]);
        snprintf (p->subtype, sizeof p->subtype, "%s", fields[2]);
        /* Every offset is explicit: automatic placement would make the layout
         * depend on the tool version. */
        assert_int_equal (s_number (fields[3], &p->offset), 0);
        assert_int_equal (s_number (fields[4], &p->size), 0);
    }
    fclose (f);
    return n;
}

static const part_t *
s_find (const part_t *parts, int n, const char *subtype)
{
    for (int i = 0; i < n; i++)
        if (!strcmp (parts[i].subtype, subtype))
            return &parts[i];
    return NULL;
}

static void
test_partition_table_fits_4mb_with_two_ota_slots (void **state)
{
    (void) state;
    part_t parts[MAX_PARTS];
    int n = s_load ("firmware/bench/partitions.csv", parts);
    /* The table itself lives at 0x8000..0x9000. */
    unsigned long end_prev = 0x9000;
    for (int i = 0; i < n; i++) {
        const part_t *p = &parts[i];
        assert_true (p->offset >= end_prev);              /* sorted, no overlap */
        assert_true (p->offset + p->size <= FLASH_SIZE);   /* fits the chip */
        if (!strcmp (p->type, "app")) {
            assert_int_equal (p->offset % 0x10000, 0);     /* 64 KB for apps */
            assert_int_equal (p->size % 0x10000, 0);
        }
        else
            assert_int_equal (p->offset % 0x1000, 0);      /* 4 KB sectors */
        end_prev = p->offset + p->size;
    }
    const part_t *ota0 = s_find (parts, n, "ota_0");
    const part_t *ota1 = s_find (parts, n, "ota_1");
    const part_t *otadata = s_find (parts, n, "ota");
    assert_non_null (ota0);
    assert_non_null (ota1);
    assert_non_null (otadata);
    assert_non_null (s_find (parts, n, "factory"));
    assert_non_null (s_find (parts, n, "nvs"));
    assert_true (ota0->size >= 1536 * 1024);
    assert_true (ota1->size >= 1536 * 1024);
    assert_int_equal (otadata->size, 0x2000);              /* two sectors */
}

static void
test_sdkconfig_sets_flash_size_before_partition_table (void **state)
{
    (void) state;
    FILE *f = fopen ("firmware/bench/sdkconfig.defaults", "r");
    assert_non_null (f);
    char line[256];
    int flash = 0, table = 0, rollback = 0, lineno = 0;
    while (fgets (line, sizeof line, f)) {
        lineno++;
        if (!strncmp (line, "CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y", 32) && !flash)
            flash = lineno;
        if (!strncmp (line, "CONFIG_PARTITION_TABLE_CUSTOM=y", 31))
            table = lineno;
        if (!strncmp (line, "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y", 39))
            rollback = lineno;
    }
    fclose (f);
    assert_true (flash > 0 && table > flash);
    assert_true (rollback > 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_partition_table_fits_4mb_with_two_ota_slots),
        cmocka_unit_test (test_sdkconfig_sets_flash_size_before_partition_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
