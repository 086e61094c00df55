/* test_builder_units - the builder's pieces on their own: reading an app
 * image's description (layout from ESP-IDF's esp_app_format.h), SHA-256
 * against the FIPS 180-2 "abc" vector, the artefact store keeping the last
 * N per recipe, the builds log and firmware history read back after a torn
 * write, and the recipes' config checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/lab_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services/builder/fw_diagnose.h"
#include "services/builder/fw_history.h"
#include "services/builder/fw_image.h"
#include "services/builder/fw_recipe.h"
#include "services/builder/fw_store.h"

static void
put32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}

/* An image as esptool/ESP-IDF lay it out: esp_image_header_t (24 bytes),
 * esp_image_segment_header_t (8), esp_app_desc_t at the first segment's
 * data, then filler. */
static size_t
s_image (uint8_t *img, size_t size, const char *version, const char *project)
{
    memset (img, 0, size);
    img[0] = 0xE9;
    img[1] = 1;
    put32 (img + 24, 0x3f400020u);
    put32 (img + 28, (uint32_t) (size - 32));
    uint8_t *d = img + 32;
    put32 (d, 0xABCD5432u);
    memcpy (d + 16, version, strlen (version));
    memcpy (d + 48, project, strlen (project));
    memcpy (d + 80, "12:00:00", 8);
    memcpy (d + 96, "Nov 28 2026", 11);
    memcpy (d + 112, "v5.3.1", 6);
    for (size_t i = 32 + 256; i < size; i++)
        img[i] = (uint8_t) (i * 7);
    return size;
}

static void
s_write (const char *path, const void *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    assert_int_equal (fwrite (data, 1, len, f), len);
    fclose (f);
}

static void
test_image_description_is_read_from_the_first_segment (void **state)
{
    (void) state;
    uint8_t img[1024];
    s_image (img, sizeof img, "v1.4.2-3-gabc", "bench");
    fw_image_info_t info;
    char err[256];
    assert_int_equal (fw_image_describe (img, sizeof img, &info, err, sizeof err), 0);
    assert_string_equal (info.version, "v1.4.2-3-gabc");
    assert_string_equal (info.project, "bench");
    assert_string_equal (info.idf_ver, "v5.3.1");
    assert_string_equal (info.built, "Nov 28 2026 12:00:00");
}

static void
test_image_that_is_no_app_is_refused_with_the_reason (void **state)
{
    (void) state;
    uint8_t img[1024];
    fw_image_info_t info;
    char err[256];
    s_image (img, sizeof img, "1.0", "bench");
    img[0] = 0x7f;   /* an ELF, say */
    assert_int_equal (fw_image_describe (img, sizeof img, &info, err, sizeof err), -1);
    assert_non_null (strstr (err, "0xE9"));
    s_image (img, sizeof img, "1.0", "bench");
    put32 (img + 32, 0);
    assert_int_equal (fw_image_describe (img, sizeof img, &info, err, sizeof err), -1);
    assert_non_null (strstr (err, "esp_app_desc_t"));
    s_image (img, sizeof img, "1.0", "bench");
    memset (img + 48, 'x', 32);   /* version[32] with no NUL */
    assert_int_equal (fw_image_describe (img, sizeof img, &info, err, sizeof err), -1);
    s_image (img, sizeof img, "1.0", "bench");
    assert_int_equal (fw_image_describe (img, 100, &info, err, sizeof err), -1);   /* truncated */
}

static void
test_sha256_matches_the_fips_vector (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("builder");
    char path[256];
    snprintf (path, sizeof path, "%s/abc", dir);
    s_write (path, "abc", 3);
    char hex[FW_SHA256_HEX];
    uint64_t size = 0;
    assert_int_equal (fw_image_sha256_file (path, hex, &size), 0);
    assert_string_equal (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal (size, 3);
    lab_test_rmdir (dir);
    free (dir);
}

/* Builds version V of RECIPE into the store as the service does. */
static void
s_build (fw_store_t *store, const char *dir, const char *recipe, const char *version, int keep, char *sha_out)
{
    uint8_t img[2048];
    char src[256], err[256], kept[512];
    snprintf (src, sizeof src, "%s/out.bin", dir);
    s_image (img, sizeof img, version, "bench");
    s_write (src, img, sizeof img);
    fw_image_info_t info;
    assert_int_equal (fw_image_inspect (src, &info, err, sizeof err), 0);
    assert_int_equal (fw_store_keep (store, recipe, info.sha256, src, kept, sizeof kept, err, sizeof err), 0);
    json_t *row = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "job", "b1", "recipe", recipe, "result", "ok",
                             "sha256", info.sha256, "version", version, "path", kept, "size", (json_int_t) info.size);
    assert_int_equal (fw_store_add (store, row, keep, err, sizeof err), 0);
    json_decref (row);
    if (sha_out)
        strcpy (sha_out, info.sha256);
}

static void
test_store_keeps_the_last_n_images_per_recipe (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("builder");
    char err[256], sha1[65], sha2[65], sha3[65];
    fw_store_t *store = fw_store_new (dir, err, sizeof err);
    assert_non_null (store);
    s_build (store, dir, "bench", "1.0", 2, sha1);
    s_build (store, dir, "bench", "1.1", 2, sha2);
    s_build (store, dir, "other", "9.0", 2, NULL);
    s_build (store, dir, "bench", "1.2", 2, sha3);
    json_t *row = fw_store_find (store, "bench", "latest", err, sizeof err);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "version")), "1.2");
    row = fw_store_find (store, NULL, "latest", err, sizeof err);
    assert_string_equal (json_string_value (json_object_get (row, "version")), "1.2");
    char prefix[8];
    snprintf (prefix, sizeof prefix, "%.7s", sha2);
    row = fw_store_find (store, NULL, prefix, err, sizeof err);
    assert_non_null (row);
    assert_string_equal (json_string_value (json_object_get (row, "version")), "1.1");
    /* 1.0 was the third newest of bench: its file is gone, and we say so. */
    snprintf (prefix, sizeof prefix, "%.7s", sha1);
    assert_null (fw_store_find (store, NULL, prefix, err, sizeof err));
    assert_non_null (strstr (err, "no longer kept"));
    char path[512];
    snprintf (path, sizeof path, "%s/artefacts/bench/%s.bin", dir, sha1);
    assert_int_not_equal (access (path, F_OK), 0);
    snprintf (path, sizeof path, "%s/artefacts/other", dir);
    assert_int_equal (access (path, F_OK), 0);
    assert_null (fw_store_find (store, NULL, "zz", err, sizeof err));
    assert_null (fw_store_find (store, "nothing", "latest", err, sizeof err));
    assert_non_null (strstr (err, "no successful build"));
    fw_store_destroy (&store);
    lab_test_rmdir (dir);
    free (dir);
}

static void
test_builds_log_read_back_skips_a_torn_line (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("builder");
    char err[256];
    fw_store_t *store = fw_store_new (dir, err, sizeof err);
    s_build (store, dir, "bench", "2.0", 5, NULL);
    fw_store_destroy (&store);
    char log[512];
    snprintf (log, sizeof log, "%s/builds.jsonl", dir);
    FILE *f = fopen (log, "a");
    fputs ("{\"job\":\"b2\",\"recipe\":\"bench\",\"res", f);   /* killed mid-write */
    fclose (f);
    store = fw_store_new (dir, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (fw_store_malformed (store), 1);
    json_t *rows = fw_store_list (store, NULL, 10);
    assert_int_equal (json_array_size (rows), 1);
    json_decref (rows);
    fw_store_destroy (&store);
    lab_test_rmdir (dir);
    free (dir);
}

static json_t *
s_event (const char *board, const char *version, const char *result, bool rollback)
{
    return json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "ts_ns", (json_int_t) 1, "board", board, "sha256", "",
                      "version", version, "how", "usb", "result", result, "rollback", rollback);
}

static void
test_history_round_trip_and_expected_version (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("builder");
    char err[256];
    fw_history_t *h = fw_history_new (dir, err, sizeof err);
    assert_non_null (h);
    assert_string_equal (fw_history_expected (h, "board-a"), "");
    const char *seq[][2] = { { "1.0", "ok" }, { "1.1", "mismatch" }, { "1.2", "failed" } };
    for (int i = 0; i < 3; i++) {
        json_t *ev = s_event ("board-a", seq[i][0], seq[i][1], i == 1);
        assert_int_equal (fw_history_append (h, ev, err, sizeof err), 0);
        json_decref (ev);
    }
    /* A failed flash changed nothing; a mismatch did put 1.1 there. */
    assert_string_equal (fw_history_expected (h, "board-a"), "1.1");
    fw_history_destroy (&h);
    h = fw_history_new (dir, err, sizeof err);
    json_t *events = fw_history_events (h, "board-a", 10);
    assert_int_equal (json_array_size (events), 3);
    assert_string_equal (json_string_value (json_object_get (json_array_get (events, 0), "version")), "1.2");
    assert_true (json_is_true (json_object_get (json_array_get (events, 1), "rollback")));
    json_decref (events);
    Lab__FirmwareHistory *msg = fw_history_msg (h, "board-a", 2);
    assert_int_equal (msg->n_events, 2);
    assert_string_equal (msg->expected_version, "1.1");
    fw_history_msg_free (msg);
    json_t *bad = s_event ("../etc", "1.0", "ok", false);
    assert_int_equal (fw_history_append (h, bad, err, sizeof err), -1);
    json_decref (bad);
    assert_null (fw_history_parse_event ("{\"board\":\"a\",\"result\":\"maybe\",\"how\":\"usb\",\"version\":\"1\"}", 60));
    fw_history_destroy (&h);
    lab_test_rmdir (dir);
    free (dir);
}

static int
s_recipes (const char *text, fw_recipes_t *set, char *err, size_t errlen)
{
    lab_config_t *cfg = lab_config_load_str (text, "t.cfg", err, errlen);
    if (!cfg)
        fprintf (stderr, "%s\n", err);
    assert_non_null (cfg);
    int rc = fw_recipes_load (cfg, set, err, errlen);
    lab_config_destroy (&cfg);
    return rc;
}

static void
test_recipes_are_checked_with_file_and_line (void **state)
{
    (void) state;
    fw_recipes_t set;
    char err[512];
    assert_int_equal (s_recipes ("builds\n    keep = 3\n    recipes\n        bench\n"
                                 "            command = 'idf.py -C \"fw dir\" build'\n"
                                 "            artefact = \"/abs/bench.bin\"\n"
                                 "            deliver = \"espnow\"\n            via = \"board-a\"\n"
                                 "        good\n            command = \"make\"\n            artefact = \"g.bin\"\n"
                                 "            known_good = true\n            timeout = \"30s\"\n",
                                 &set, err, sizeof err), 0);
    assert_int_equal (set.n, 2);
    const fw_recipe_t *r = fw_recipes_find (&set, "bench");
    assert_string_equal (r->argv[2], "fw dir");
    assert_string_equal (r->artefact, "/abs/bench.bin");
    assert_int_equal (r->keep, 3);
    assert_int_equal (r->deliver, FW_DELIVER_ESPNOW);
    assert_int_equal (r->timeout_ms, 600000);
    assert_ptr_equal (fw_recipes_known_good (&set), fw_recipes_find (&set, "good"));
    assert_int_equal (fw_recipes_find (&set, "good")->timeout_ms, 30000);
    assert_int_equal (fw_recipes_find (&set, "good")->artefact[0], '/');
    fw_recipes_free (&set);

    assert_int_equal (s_recipes ("builds\n    recipes\n        bench\n            command = \"make\"\n"
                                 "            artefact = \"b.bin\"\n            timout = \"5s\"\n",
                                 &set, err, sizeof err), -1);
    assert_non_null (strstr (err, "t.cfg:6"));
    assert_non_null (strstr (err, "timout"));
    assert_int_equal (s_recipes ("builds\n    recipes\n        bench\n            command = \"make\"\n"
                                 "            artefact = \"b.bin\"\n            deliver = \"espnow\"\n",
                                 &set, err, sizeof err), -1);
    assert_non_null (strstr (err, "via"));
    assert_int_equal (s_recipes ("builds\n    recipes\n        bench\n            artefact = \"b.bin\"\n",
                                 &set, err, sizeof err), -1);
    assert_non_null (strstr (err, "no command"));
}

/* The recipes the project ships parse (run from the repository root). */
static void
test_shipped_configs_have_valid_recipes (void **state)
{
    (void) state;
    const char *files[] = { "compose/lab.cfg", "compose/lab-hardware.cfg" };
    for (int i = 0; i < 2; i++) {
        char err[512] = "";
        lab_config_t *cfg = lab_config_load (files[i], err, sizeof err);
        if (!cfg)
            fprintf (stderr, "%s\n", err);
        assert_non_null (cfg);
        fw_recipes_t set;
        int rc = fw_recipes_load (cfg, &set, err, sizeof err);
        if (rc)
            fprintf (stderr, "%s\n", err);
        assert_int_equal (rc, 0);
        assert_true (set.n >= 1);
        fw_recipes_free (&set);
        lab_config_destroy (&cfg);
    }
}

/* One case per verdict, from the observations each simulated fault gives
 * (tests/diagnose.sh runs them on labsim). */
static void
test_diagnose_verdicts (void **state)
{
    (void) state;
    char why[300];
    /* tx-flaky: silent after a reset, back after a power cycle, alive on the radio */
    fw_diag_t flaky = { .tx_after_reset = false, .power_tried = true, .tx_after_power = true,
                        .pingpong_tried = true, .pingpong_ok = true };
    assert_string_equal (fw_diagnose_verdict (&flaky, why, sizeof why), "cable/USB bridge");
    assert_non_null (strstr (why, "power cycle"));
    /* tx-dead: silent through a power cycle, the chip still answers over ESP-NOW */
    fw_diag_t dead = flaky;
    dead.tx_after_power = false;
    assert_string_equal (fw_diagnose_verdict (&dead, why, sizeof why), "board");
    assert_non_null (strstr (why, "USB-serial side"));
    /* a crashing image, the known-good one fine */
    fw_diag_t code = { .rx_alive = true, .panics = true, .tx_after_reset = true, .pingpong_tried = true,
                       .pingpong_ok = false, .good_tried = true, .good_ok = true };
    assert_string_equal (fw_diagnose_verdict (&code, why, sizeof why), "code");
    fw_diag_t both = code;
    both.good_ok = false;
    assert_string_equal (fw_diagnose_verdict (&both, why, sizeof why), "board");
    fw_diag_t fine = { .rx_alive = true, .tx_after_reset = true, .pingpong_tried = true, .pingpong_ok = true };
    assert_string_equal (fw_diagnose_verdict (&fine, why, sizeof why), "no fault found");
    /* no power switch: the radio decides */
    fw_diag_t nopower = { .pingpong_tried = true, .pingpong_ok = true };
    assert_string_equal (fw_diagnose_verdict (&nopower, why, sizeof why), "cable/USB bridge");
    nopower.pingpong_ok = false;
    assert_string_equal (fw_diagnose_verdict (&nopower, why, sizeof why), "board");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_image_description_is_read_from_the_first_segment),
        cmocka_unit_test (test_image_that_is_no_app_is_refused_with_the_reason),
        cmocka_unit_test (test_sha256_matches_the_fips_vector),
        cmocka_unit_test (test_store_keeps_the_last_n_images_per_recipe),
        cmocka_unit_test (test_builds_log_read_back_skips_a_torn_line),
        cmocka_unit_test (test_history_round_trip_and_expected_version),
        cmocka_unit_test (test_recipes_are_checked_with_file_and_line),
        cmocka_unit_test (test_diagnose_verdicts),
        cmocka_unit_test (test_shipped_configs_have_valid_recipes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
