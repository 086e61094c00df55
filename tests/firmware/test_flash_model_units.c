/* test_flash_model_units - the chip models every flash-writing test relies
 * on: NOR flash (erase to 0xFF per 4 KB sector, program = AND, erase counts),
 * the application image checks of esp_ota_end, and ESP-IDF's OTA write path
 * (esp_ota_begin/resume/write/end of v5.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "firmware/sim/app_image.h"
#include "firmware/sim/nor_flash.h"
#include "firmware/sim/sim_ota.h"

static void
test_erase_sets_a_sector_to_ff_and_counts_it (void **state)
{
    (void) state;
    nor_flash_t *f = nor_flash_new (4 * NOR_FLASH_SECTOR);
    uint8_t zero[16] = { 0 };
    assert_int_equal (nor_flash_program (f, NOR_FLASH_SECTOR, zero, sizeof zero), 0);
    assert_int_equal (nor_flash_data (f)[NOR_FLASH_SECTOR], 0);
    assert_int_equal (nor_flash_erase (f, NOR_FLASH_SECTOR, NOR_FLASH_SECTOR), 0);
    for (uint32_t i = 0; i < NOR_FLASH_SECTOR; i++)
        assert_int_equal (nor_flash_data (f)[NOR_FLASH_SECTOR + i], 0xff);
    assert_int_equal (nor_flash_erase_count (f, 1), 1);
    assert_int_equal (nor_flash_erase_count (f, 0), 0);
    /* Only whole sectors, inside the chip. */
    assert_int_equal (nor_flash_erase (f, 100, NOR_FLASH_SECTOR), -1);
    assert_int_equal (nor_flash_erase (f, 0, 100), -1);
    assert_int_equal (nor_flash_erase (f, 3 * NOR_FLASH_SECTOR, 2 * NOR_FLASH_SECTOR), -1);
    nor_flash_destroy (&f);
    assert_null (f);
}

static void
test_program_can_only_clear_bits (void **state)
{
    (void) state;
    nor_flash_t *f = nor_flash_new (NOR_FLASH_SECTOR);
    uint8_t a = 0xF0, b = 0x3C, got;
    nor_flash_program (f, 10, &a, 1);
    nor_flash_program (f, 10, &b, 1);       /* no erase between */
    nor_flash_read (f, 10, &got, 1);
    assert_int_equal (got, 0x30);            /* old AND new */
    assert_int_equal (nor_flash_lost_bits_writes (f), 1);
    nor_flash_program (f, 10, &got, 1);      /* the same value again: harmless */
    assert_int_equal (nor_flash_lost_bits_writes (f), 1);
    assert_int_equal (nor_flash_program (f, NOR_FLASH_SECTOR - 1, &a, 2), -1);
    nor_flash_destroy (&f);
}

static void
test_file_backed_chip_persists_and_starts_erased (void **state)
{
    (void) state;
    char path[] = "/tmp/test-nor-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    char err[200];
    nor_flash_t *f = nor_flash_open (path, 2 * NOR_FLASH_SECTOR, err, sizeof err);
    assert_non_null (f);
    assert_int_equal (nor_flash_data (f)[5000], 0xff);    /* a new chip is erased */
    uint8_t v = 0x12;
    nor_flash_program (f, 5000, &v, 1);
    nor_flash_destroy (&f);
    f = nor_flash_open (path, 2 * NOR_FLASH_SECTOR, err, sizeof err);
    assert_int_equal (nor_flash_data (f)[5000], 0x12);
    nor_flash_destroy (&f);
    assert_null (nor_flash_open ("/nonexistent/dir/flash", NOR_FLASH_SECTOR, err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/dir/flash"));
    unlink (path);
}

static uint8_t *
s_image (size_t size)
{
    uint8_t *img = (uint8_t *) malloc (size);
    size_t data = app_image_init (img, size);
    assert_true (data > 0);
    for (size_t i = 0; i < data; i++)
        img[APP_IMAGE_DATA_OFF + i] = (uint8_t) (i * 31 + 7);
    app_image_seal (img, size);
    return img;
}

static void
test_image_verify_catches_any_changed_byte (void **state)
{
    (void) state;
    const size_t size = 4096;
    uint8_t *img = s_image (size);
    uint8_t part[8192];
    memset (part, 0xff, sizeof part);
    memcpy (part, img, size);
    uint32_t len;
    char why[100];
    assert_int_equal (app_image_verify (part, sizeof part, &len, why, sizeof why), 0);
    assert_int_equal (len, size);
    for (size_t i = 0; i < size; i += 97) {
        part[i] ^= 0x01;
        assert_int_equal (app_image_verify (part, sizeof part, &len, why, sizeof why), -1);
        part[i] ^= 0x01;
    }
    part[0] = 0;
    assert_int_equal (app_image_verify (part, sizeof part, &len, why, sizeof why), -1);
    assert_non_null (strstr (why, "magic"));
    /* An image that runs past the partition. */
    memcpy (part, img, size);
    assert_int_equal (app_image_verify (part, size - 32, &len, why, sizeof why), -1);
    assert_int_equal (app_image_init (img, 100), 0);      /* not a multiple of 16 */
    free (img);
}

/* esp_ota_resume with anything but OTA_WITH_SEQUENTIAL_WRITES erases
 * nothing: over a slot holding an older image the result is corrupt and
 * esp_ota_end refuses it. With SEQUENTIAL_WRITES it is intact. */
static void
s_resume_case (uint32_t erase_size, uint32_t resume_at, bool expect_ok)
{
    const uint32_t part = 16 * NOR_FLASH_SECTOR, size = 10 * NOR_FLASH_SECTOR;
    nor_flash_t *f = nor_flash_new (part * 2);
    uint8_t old[16 * NOR_FLASH_SECTOR];
    memset (old, 0x5a, sizeof old);
    nor_flash_program (f, part, old, sizeof old);           /* an older image in the slot */
    uint8_t *img = s_image (size);
    sim_ota_t ota;
    sim_ota_init (&ota, f);
    uint32_t h;
    assert_int_equal (sim_ota_begin (&ota, part, part, SIM_OTA_SEQUENTIAL, &h), SIM_OTA_OK);
    assert_int_equal (sim_ota_write (&ota, h, img, resume_at + 300), SIM_OTA_OK);   /* then a reboot */
    sim_ota_reboot (&ota);
    assert_int_equal (sim_ota_write (&ota, h, img, 1), SIM_OTA_ERR_INVALID_ARG);   /* handle gone */
    assert_int_equal (sim_ota_resume (&ota, part, part, erase_size, resume_at, &h), SIM_OTA_OK);
    for (uint32_t off = resume_at; off < size; off += 200) {
        uint32_t n = size - off < 200 ? size - off : 200;
        assert_int_equal (sim_ota_write (&ota, h, img + off, n), SIM_OTA_OK);
    }
    assert_int_equal (sim_ota_end (&ota, h), expect_ok ? SIM_OTA_OK : SIM_OTA_ERR_VALIDATE);
    if (expect_ok)
        assert_memory_equal (nor_flash_data (f) + part, img, size);
    free (img);
    nor_flash_destroy (&f);
}

static void
test_resume_erases_only_with_sequential_writes (void **state)
{
    (void) state;
    s_resume_case (SIM_OTA_SEQUENTIAL, 3 * NOR_FLASH_SECTOR, true);        /* at a sector boundary */
    s_resume_case (SIM_OTA_SEQUENTIAL, 3 * NOR_FLASH_SECTOR + 1000, true); /* mid-sector */
    s_resume_case (10 * NOR_FLASH_SECTOR, 3 * NOR_FLASH_SECTOR, false);    /* the image size: no erase */
    s_resume_case (10 * NOR_FLASH_SECTOR, 3 * NOR_FLASH_SECTOR + 1000, false);
}

static void
test_write_refuses_a_first_byte_other_than_e9 (void **state)
{
    (void) state;
    nor_flash_t *f = nor_flash_new (8 * NOR_FLASH_SECTOR);
    sim_ota_t ota;
    sim_ota_init (&ota, f);
    uint32_t h;
    assert_int_equal (sim_ota_begin (&ota, 0, 8 * NOR_FLASH_SECTOR, SIM_OTA_SEQUENTIAL, &h), SIM_OTA_OK);
    uint8_t bad[4] = { 0x00, 1, 2, 3 };
    assert_int_equal (sim_ota_write (&ota, h, bad, sizeof bad), SIM_OTA_ERR_VALIDATE);
    assert_int_equal (sim_ota_end (&ota, h), SIM_OTA_ERR_INVALID_ARG);      /* nothing written */
    assert_int_equal (sim_ota_end (&ota, h), SIM_OTA_ERR_NOT_FOUND);        /* and the handle is gone */
    nor_flash_destroy (&f);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_erase_sets_a_sector_to_ff_and_counts_it),
        cmocka_unit_test (test_program_can_only_clear_bits),
        cmocka_unit_test (test_file_backed_chip_persists_and_starts_erased),
        cmocka_unit_test (test_image_verify_catches_any_changed_byte),
        cmocka_unit_test (test_resume_erases_only_with_sequential_writes),
        cmocka_unit_test (test_write_refuses_a_first_byte_other_than_e9),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
