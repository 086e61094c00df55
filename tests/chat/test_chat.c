/* test_chat - chat-gateway against the fake Telegram Bot API
 * (tests/chat/fake_bot_api.c) and a real broker: allow-list, audit,
 * confirmations, alert storms, poison updates, strangers, bus bodies of the
 * wrong type, 429/502/hangs; and its parts on their own: the strict command
 * parser, UTF-8 and UTF-16 lengths, the splitter, the update decoder, the
 * send policy and the journal. Crash recovery: test_chat_recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/chat-gateway/chat_cmd.h"
#include "services/chat-gateway/chat_gateway.h"
#include "services/chat-gateway/chat_journal.h"
#include "services/chat-gateway/chat_sender.h"
#include "services/chat-gateway/chat_text.h"
#include "services/chat-gateway/chat_updates.h"
#include "tests/chat/chat_fixture.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- the parts ------------------------------------------------------------ */

static void
test_parser_is_strict (void **state)
{
    (void) state;
    chat_cmd_t c;
    assert_int_equal (chat_cmd_parse ("/tail board-a 20", &c), 0);
    assert_int_equal (c.kind, CHAT_TAIL);
    assert_string_equal (c.argv[1], "20");
    assert_int_equal (chat_cmd_parse ("/status@labbot", &c), 0);
    assert_int_equal (chat_cmd_parse ("/ota push img.bin board-b", &c), 0);
    assert_int_equal (c.kind, CHAT_OTA_PUSH);
    assert_true (chat_cmd_is_admin (c.kind));
    assert_int_equal (chat_cmd_parse ("/tail board-a;reboot", &c), -1);
    assert_int_equal (chat_cmd_parse ("/flash board-a ../../etc/passwd", &c), -1);
    assert_int_equal (chat_cmd_parse ("/restart", &c), -1);
    assert_non_null (strstr (c.error, "usage"));
    assert_int_equal (chat_cmd_parse ("/ota frobnicate", &c), -1);
    assert_int_equal (chat_cmd_parse ("how is the test going?", &c), -1);
    assert_int_equal (c.kind, CHAT_UNKNOWN);
    assert_int_equal (chat_cmd_parse ("/tail -rf x", &c), -1);
    /* 3000 two-byte characters: 6000 bytes, but within Telegram's 4096
     * characters; free text, so the help, not "too long". */
    char *wide = (char *) malloc (6001);
    for (int i = 0; i < 3000; i++)
        memcpy (wide + 2 * i, "\xc3\xa9", 2);
    wide[6000] = 0;
    assert_int_equal (chat_cmd_parse (wide, &c), -1);
    assert_string_equal (c.error, "not a command");
    free (wide);
    assert_int_equal (chat_cmd_parse ("/eval decide plan-a", &c), 0);
    assert_int_equal (c.kind, CHAT_EVAL_DECIDE);
    assert_false (chat_cmd_is_admin (c.kind));
}

static void
test_long_replies_are_split (void **state)
{
    (void) state;
    char *text = (char *) malloc (10001);
    for (int i = 0; i < 10000; i++)
        text[i] = i % 100 == 99 ? '\n' : 'a';
    text[10000] = 0;
    char *pieces[16];
    int n = chat_text_split (text, 4096, pieces, 16);
    assert_int_equal (n, 3);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        assert_true (strlen (pieces[i]) <= 4096);
        assert_int_equal (pieces[i][strlen (pieces[i]) - 1], '\n');    /* at line ends */
        total += strlen (pieces[i]);
        free (pieces[i]);
    }
    assert_int_equal (total, 10000);
    free (text);
}

static void
test_utf8_checked_and_counted_in_utf16_units (void **state)
{
    (void) state;
    assert_true (chat_text_utf8_valid ("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));   /* a é € 😀 */
    assert_int_equal (chat_text_utf16_len ("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 5); /* 😀 is two */
    assert_false (chat_text_utf8_valid ("\xc3\x28", 2));             /* broken sequence */
    assert_false (chat_text_utf8_valid ("\xc0\xaf", 2));             /* overlong '/' */
    assert_false (chat_text_utf8_valid ("\xed\xa0\xbd", 3));         /* an encoded surrogate */
    assert_false (chat_text_utf8_valid ("\xf4\x90\x80\x80", 4));     /* above U+10FFFF */
    assert_false (chat_text_utf8_valid ("\xf0\x9f\x98", 3));         /* a cut emoji */
    assert_false (chat_text_utf8_valid ("a\0b", 3));                 /* NUL */
    char *clean = chat_text_sanitize ("ok \xff\xc3 end");
    assert_string_equal (clean, "ok \xef\xbf\xbd\xef\xbf\xbd end");
    free (clean);
}

static void
test_split_never_cuts_a_character (void **state)
{
    (void) state;
    /* 3000 characters, no line ends: "é" (2 bytes) and "😀" (4 bytes, two
     * UTF-16 units) alternating, cut at 101 units, an odd number so a cut
     * would fall inside the emoji's pair. */
    char text[3000 / 2 * 6 + 1] = "";
    size_t o = 0;
    for (int i = 0; i < 1500; i++) {
        memcpy (text + o, "\xc3\xa9\xf0\x9f\x98\x80", 6);
        o += 6;
    }
    text[o] = 0;
    char *pieces[64];
    int n = chat_text_split (text, 101, pieces, 64);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        assert_true (chat_text_utf8_valid (pieces[i], strlen (pieces[i])));
        assert_true (chat_text_utf16_len (pieces[i]) <= 101);
        total += strlen (pieces[i]);
        free (pieces[i]);
    }
    assert_int_equal (total, o);
    /* Greedy: "é😀"x33 + "é" (100 units; the next emoji would make 102),
     * then "😀é"x33 + "😀" (101), ...: 4500 units in 45 pieces. */
    assert_int_equal (n, 45);
}

/* One answer holding every kind of hostile or unhandled update. */
static const char *s_poison
    = "{\"ok\":true,\"result\":["
      "{\"update_id\":1,\"message\":{\"message_id\":1,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"/he\\u0000lp\"}},"
      "{\"update_id\":2,\"message\":{\"message_id\":2,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"bad \xc3\x28 bytes\"}},"
      "{\"update_id\":3,\"message\":{\"message_id\":3,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"cut \\ud83d\"}},"
      "{\"update_id\":4,\"message\":{\"message_id\":4,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"whole \\ud83d\\ude00\"}},"
      "{\"update_id\":5,\"edited_message\":{\"message_id\":4,\"date\":1,\"edit_date\":2,\"from\":{\"id\":42},"
      "\"chat\":{\"id\":42},\"text\":\"/restart web\"}},"
      "{\"update_id\":6,\"channel_post\":{\"message_id\":5,\"date\":1,\"chat\":{\"id\":-100,\"type\":\"channel\"},"
      "\"text\":\"/status\"}},"
      "{\"update_id\":7,\"callback_query\":{\"id\":\"9\",\"from\":{\"id\":7},\"chat_instance\":\"1\"}},"
      "{\"update_id\":8,\"message\":{\"message_id\":6,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"lone low \\udc00\"}},"
      "{\"update_id\":9,\"message\":{\"message_id\":7,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
      "\"text\":\"/help\"}}"
      "]}";

static void
test_poison_updates_decode_each_with_its_id (void **state)
{
    (void) state;
    chat_updates_t b;
    char err[256];
    assert_int_equal (chat_updates_parse (s_poison, strlen (s_poison), &b, err, sizeof err), 0);
    assert_int_equal (b.n, 9);
    assert_int_equal (b.hi, 9);
    chat_update_kind_t want[] = { CHAT_UPDATE_MALFORMED, CHAT_UPDATE_MALFORMED, CHAT_UPDATE_MALFORMED,
                                  CHAT_UPDATE_MESSAGE,   CHAT_UPDATE_OTHER,     CHAT_UPDATE_OTHER,
                                  CHAT_UPDATE_OTHER,     CHAT_UPDATE_MALFORMED, CHAT_UPDATE_MESSAGE };
    for (size_t i = 0; i < b.n; i++) {
        assert_int_equal (b.items[i].id, (int64_t) i + 1);
        assert_int_equal (b.items[i].kind, want[i]);
    }
    assert_string_equal (b.items[3].text, "whole \xf0\x9f\x98\x80");
    assert_int_equal (b.items[3].units, 8);
    assert_string_equal (b.items[4].what, "edited_message");
    assert_string_equal (b.items[6].sender, "7");
    assert_string_equal (b.items[8].text, "/help");
    chat_updates_clear (&b);

    /* 5000 characters: too long, by characters. 4096 two-byte characters
     * (8192 bytes) are not. */
    char big[5000 * 2 + 200];
    for (int len = 0; len < 2; len++) {
        int chars = len ? 5000 : 4096;
        size_t o = (size_t) snprintf (big, sizeof big, "{\"ok\":true,\"result\":[{\"update_id\":10,\"message\":"
                                                       "{\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},\"text\":\"");
        for (int i = 0; i < chars; i++, o += 2)
            memcpy (big + o, "\xc3\xa9", 2);
        snprintf (big + o, sizeof big - o, "\"}}]}");
        assert_int_equal (chat_updates_parse (big, strlen (big), &b, err, sizeof err), 0);
        assert_int_equal (b.n, 1);
        assert_int_equal (b.items[0].kind, len ? CHAT_UPDATE_TOO_LONG : CHAT_UPDATE_MESSAGE);
        assert_int_equal (b.items[0].units, (size_t) chars);
        chat_updates_clear (&b);
    }
}

static void
test_unreadable_answer_still_yields_ids (void **state)
{
    (void) state;
    const char *body = "{\"ok\":true,\"result\":[{\"update_id\": 17, \"message\":{\"te\\u0000xt\":1}},"
                       "{\"update_id\":18,\"message\":{{{";
    chat_updates_t b;
    char err[256];
    assert_int_equal (chat_updates_parse (body, strlen (body), &b, err, sizeof err), -1);
    assert_int_equal (b.n, 2);
    assert_int_equal (b.hi, 18);
    assert_int_equal (b.items[0].kind, CHAT_UPDATE_MALFORMED);
    chat_updates_clear (&b);
    /* An error answer holds no updates. */
    const char *e429 = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 5\","
                       "\"parameters\":{\"retry_after\":5}}";
    assert_int_equal (chat_updates_parse (e429, strlen (e429), &b, err, sizeof err), -1);
    assert_int_equal (b.n, 0);
    char desc[128];
    assert_int_equal (chat_updates_api_error (e429, strlen (e429), desc, sizeof desc), 5);
    assert_string_equal (desc, "Too Many Requests: retry after 5");
    const char *html = "<html><head><title>502 Bad Gateway</title></head></html>";
    assert_int_equal (chat_updates_api_error (html, strlen (html), desc, sizeof desc), 0);
    assert_string_equal (desc, "not a Bot API answer");
}

static void
test_send_verdicts (void **state)
{
    (void) state;
    long wait;
    char why[256];
    const char *ok = "{\"ok\":true,\"result\":{}}";
    const char *e429 = "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":5}}";
    const char *e400 = "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}";
    assert_int_equal (chat_sender_judge (true, 200, ok, strlen (ok), 1, &wait, why, sizeof why), CHAT_SEND_DELIVERED);
    assert_int_equal (chat_sender_judge (true, 429, e429, strlen (e429), 1, &wait, why, sizeof why), CHAT_SEND_RETRY);
    assert_int_equal (wait, 5);
    assert_int_equal (chat_sender_judge (true, 502, "<html>", 6, 3, &wait, why, sizeof why), CHAT_SEND_RETRY);
    assert_int_equal (wait, 4);
    assert_int_equal (chat_sender_judge (true, 502, "<html>", 6, 30, &wait, why, sizeof why), CHAT_SEND_RETRY);
    assert_int_equal (wait, 60);
    assert_int_equal (chat_sender_judge (false, 0, NULL, 0, 1, &wait, why, sizeof why), CHAT_SEND_RETRY);
    assert_int_equal (wait, 1);
    assert_int_equal (chat_sender_judge (true, 400, e400, strlen (e400), 1, &wait, why, sizeof why), CHAT_SEND_FAILED);
    assert_non_null (strstr (why, "chat not found"));
    assert_int_equal (chat_sender_judge (true, 403, "{}", 2, 1, &wait, why, sizeof why), CHAT_SEND_FAILED);
}

static void
test_journal_replays_what_is_open (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("chatj");
    char path[600], err[256];
    snprintf (path, sizeof path, "%s/journal", dir);
    chat_journal_t *j = chat_journal_open (path, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (chat_journal_next_offset (j), 0);
    const char *body = "{\"ok\":true,\"result\":["
                       "{\"update_id\":10,\"message\":{\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},\"text\":\"/help\"}},"
                       "{\"update_id\":11,\"message\":{\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},\"text\":\"/yes\"}},"
                       "{\"update_id\":12,\"message\":{\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},\"text\":\"/status\"}}]}";
    chat_updates_t b;
    assert_int_equal (chat_updates_parse (body, strlen (body), &b, err, sizeof err), 0);
    assert_int_equal (chat_journal_receive (j, &b), 3);
    assert_int_equal (chat_journal_receive (j, &b), 0);        /* asked again: already known */
    chat_updates_clear (&b);
    assert_int_equal (chat_journal_next_offset (j), 13);
    chat_update_t u;
    bool started;
    assert_true (chat_journal_take (j, &u, &started));
    assert_int_equal (u.id, 10);
    assert_false (started);
    assert_int_equal (chat_journal_done (j, 10, "42", "Lab commands"), 0);
    chat_update_clear (&u);
    assert_true (chat_journal_take (j, &u, &started));
    assert_int_equal (chat_journal_start (j, 11), 0);           /* and then a crash */
    chat_update_clear (&u);
    chat_journal_ask_t a = { "42", "42", "/restart web", (int64_t) time (NULL) + 60 };
    assert_int_equal (chat_journal_ask (j, &a), 0);
    chat_journal_destroy (&j);
    /* A torn last line, as a crash in mid-write leaves it. */
    FILE *f = fopen (path, "a");
    fputs ("{\"t\":\"done\",\"id\":12,\"out\":[{\"q\":9", f);
    fclose (f);

    j = chat_journal_open (path, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (chat_journal_skipped (j), 1);
    assert_int_equal (chat_journal_next_offset (j), 13);
    assert_int_equal (chat_journal_waiting (j), 2);             /* 11 (started) and 12 */
    assert_true (chat_journal_take (j, &u, &started));
    assert_int_equal (u.id, 11);
    assert_true (started);
    chat_update_clear (&u);
    assert_true (chat_journal_take (j, &u, &started));
    assert_int_equal (u.id, 12);
    assert_false (started);
    assert_string_equal (u.text, "/status");
    chat_update_clear (&u);
    uint64_t q;
    char chat[24], *text;
    assert_true (chat_journal_next_out (j, &q, chat, sizeof chat, &text));   /* the reply to 10, owed */
    assert_string_equal (text, "Lab commands");
    free (text);
    assert_false (chat_journal_next_out (j, &q, chat, sizeof chat, &text));
    chat_journal_ask_t asks[4];
    assert_int_equal (chat_journal_asks (j, asks, 4), 1);
    assert_string_equal (asks[0].text, "/restart web");
    assert_int_equal (chat_journal_sent (j, q), 0);
    assert_int_equal (chat_journal_owed (j), 0);
    chat_journal_destroy (&j);
    j = chat_journal_open (path, err, sizeof err);
    assert_int_equal (chat_journal_owed (j), 0);                /* delivered stays delivered */
    chat_journal_destroy (&j);
    lab_test_rmdir (dir);
    free (dir);
}

/* --- the gateway as a process ------------------------------------------- */

static int
s_setup (void **state)
{
    fx_t *f = fx_new ("");
    if (!f)
        return -1;
    fx_start_gw (f);
    *state = f;
    return 0;
}

static void
test_gateway_over_a_fake_bot_api (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* Allowed sender: answered. */
    fake_api_message (f->api, 42, "/help", 0);
    assert_true (fx_wait_sent (f, "42", "Lab commands", 1, 10000));
    /* An admin command is only asked about; nothing runs without /yes. */
    fake_api_message (f->api, 42, "/restart web", 0);
    assert_true (fx_wait_sent (f, "42", "Confirm", 1, 5000));
    fx_pump (f, 500);
    assert_int_equal (f->restarts, 0);
    fake_api_message (f->api, 42, "/yes", 0);
    assert_true (fx_wait_sent (f, "42", "services up", 1, 5000));
    assert_int_equal (f->restarts, 1);
    /* A non-admin on the allow-list cannot. */
    fake_api_message (f->api, 7, "/restart web", 0);
    assert_true (fx_wait_sent (f, "7", "admins only", 1, 5000));
    /* An alert storm: at most alert_max messages. */
    for (int i = 0; i < 20; i++) {
        char topic[64];
        snprintf (topic, sizeof topic, "evt.alert.service_failed.svc%d", i);
        Lab__Alert al = LAB__ALERT__INIT;
        al.severity = "error";
        al.kind = "service_failed";
        al.subject = "svc";
        al.text = "svc FAILED";
        Lab__Envelope env = LAB__ENVELOPE__INIT;
        env.body_case = LAB__ENVELOPE__BODY_ALERT;
        env.alert = &al;
        bus_client_publish (f->bus, topic, &env);
    }
    fx_pump (f, 2000);
    int alerts = fake_api_sent (f->api, "42", "svc FAILED");
    assert_true (alerts >= 1 && alerts <= 3);
    /* Restart: handled updates are not answered again, a new one is. */
    int helps = fake_api_sent (f->api, "42", "Lab commands");
    fx_kill_gw (f, SIGTERM);
    fake_api_message (f->api, 42, "/help", 0);
    fx_start_gw (f);
    assert_true (fx_wait_sent (f, "42", "Lab commands", helps + 1, 10000));
    fx_pump (f, 2000);
    assert_int_equal (fake_api_sent (f->api, "42", "Lab commands"), helps + 1);
    assert_int_equal (f->restarts, 1);
}

/* Each poison update, then a normal message: the normal one is answered
 * promptly (the bound is a second; 3 s here for a loaded machine),
 * the poison one is skipped (counted, audited with its id) or refused. */
static void
test_poison_updates_do_not_stop_the_line (void **state)
{
    fx_t *f = (fx_t *) *state;
    char *five_k = (char *) malloc (5001);
    memset (five_k, 'x', 5000);
    five_k[5000] = 0;
    char long_raw[5400];
    snprintf (long_raw, sizeof long_raw,
              "{\"update_id\":%%ID%%,\"message\":{\"message_id\":9,\"date\":%lld,\"from\":{\"id\":42},"
              "\"chat\":{\"id\":42,\"type\":\"private\"},\"text\":\"%s\"}}",
              (long long) time (NULL), five_k);
    free (five_k);
    const char *poison[] = {
        "{\"update_id\":%ID%,\"message\":{\"message_id\":1,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
        "\"text\":\"/st\\u0000atus\"}}",
        "{\"update_id\":%ID%,\"message\":{\"message_id\":2,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
        "\"text\":\"/status \xc3\x28\xff\"}}",
        "{\"update_id\":%ID%,\"message\":{\"message_id\":3,\"date\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},"
        "\"text\":\"/status \\ud83d\"}}",
        long_raw,
        "{\"update_id\":%ID%,\"channel_post\":{\"message_id\":5,\"date\":1,\"chat\":{\"id\":-1001,\"type\":\"channel\"},"
        "\"text\":\"/restart web\"}}",
        "{\"update_id\":%ID%,\"edited_message\":{\"message_id\":6,\"date\":1,\"edit_date\":2,\"from\":{\"id\":42},"
        "\"chat\":{\"id\":42},\"text\":\"/restart web\"}}",
        "{\"update_id\":%ID%,\"callback_query\":{\"id\":\"77\",\"from\":{\"id\":42},\"chat_instance\":\"1\","
        "\"data\":\"x\"}}",
    };
    fake_api_message (f->api, 42, "/help", 0);
    assert_true (fx_wait_sent (f, "42", "Lab commands", 1, 10000));
    int polls0 = fake_api_polls (f->api);
    uint64_t t0 = fake_api_ms (), worst_ms = 0;
    for (size_t i = 0; i < sizeof poison / sizeof *poison; i++) {
        int64_t bad = fake_api_raw (f->api, poison[i]);
        char marker[32];
        snprintf (marker, sizeof marker, "/tail b%d", (int) i + 1);
        fake_api_message (f->api, 42, marker, 0);
        char want[32];
        snprintf (want, sizeof want, "tail of b%d", (int) i + 1);
        uint64_t sent_at = fake_api_ms ();
        assert_true (fx_wait_sent (f, "42", want, 1, 3000));
        if (fake_api_ms () - sent_at > worst_ms)
            worst_ms = fake_api_ms () - sent_at;
        if (i < 3) {
            char id[48];
            snprintf (id, sizeof id, "update=%lld", (long long) bad);
            assert_int_equal (fx_audit (f, "malformed", id), 1);
        }
    }
    print_message ("the message after each poison update was answered within %llu ms at worst\n",
                   (unsigned long long) worst_ms);
    /* 4000 two-byte characters (8000 bytes) are within the limit: free
     * text, answered with the help. */
    char *wide = (char *) malloc (8001);
    for (int i = 0; i < 4000; i++)
        memcpy (wide + 2 * i, "\xc3\xa9", 2);
    wide[8000] = 0;
    int helps = fake_api_sent (f->api, "42", "Lab commands");
    fake_api_message (f->api, 42, wide, 0);
    free (wide);
    assert_true (fx_wait_sent (f, "42", "Lab commands", helps + 1, 5000));
    /* The 5000-character text: refused in words, by characters. */
    assert_int_equal (fake_api_sent (f->api, "42", "5000 characters long; the limit is 4096"), 1);
    assert_int_equal (f->restarts, 0);                      /* nothing from the channel or the edit ran */
    assert_int_equal (fake_api_sent (f->api, "42", "Confirm"), 0);
    assert_int_equal (fx_counter (f, "malformed"), 3);
    assert_int_equal (fx_counter (f, "ignored"), 3);
    assert_int_equal (fx_counter (f, "too_long"), 1);
    assert_int_equal (fake_api_pending (f->api), 0);       /* every one confirmed to Telegram */
    /* No hot loop over a stuck offset: a long poll per second at most. */
    double secs = (double) (fake_api_ms () - t0) / 1000.0 + 1;
    assert_true (fake_api_polls (f->api) - polls0 <= 3 * (int) secs + 16);
    assert_int_equal (fake_api_bad_requests (f->api), 0);
}

static void
test_strangers_get_nothing_even_when_stale (void **state)
{
    fx_t *f = (fx_t *) *state;
    fake_api_message (f->api, 99, "/status", time (NULL) - 3600);   /* stale */
    fake_api_message (f->api, 99, "/help", 0);
    fake_api_raw (f->api, "{\"update_id\":%ID%,\"edited_message\":{\"message_id\":6,\"date\":1,\"edit_date\":2,"
                          "\"from\":{\"id\":99},\"chat\":{\"id\":99},\"text\":\"/help\"}}");
    /* An allowed sender's stale message is refused in words. */
    fake_api_message (f->api, 42, "/status", time (NULL) - 3600);
    assert_true (fx_wait_sent (f, "42", "waited too long", 1, 10000));
    fx_pump (f, 1000);
    assert_int_equal (fake_api_sent (f->api, "99", ""), 0);
    assert_int_equal (fx_audit (f, "sender=99 refused cmd=stranger", NULL), 3);
    assert_int_equal (fx_counter (f, "strangers"), 3);
    assert_int_equal (fx_counter (f, "stale"), 1);
}

/* The bus itself refuses a body of the wrong type on a typed topic (what
 * `labctl pub state.ota.x hello` sends): the gateway never sees it, and
 * /watch x is answered, no crash. */
static void
test_watch_after_a_foreign_publish_answers (void **state)
{
    fx_t *f = (fx_t *) *state;
    bus_client_publish_text (f->bus, "state.ota.x", "hello");
    fx_pump (f, 500);
    fake_api_message (f->api, 42, "/watch x", 0);
    assert_true (fx_wait_sent (f, "42", "x: ", 1, 10000));
    fake_api_message (f->api, 42, "/status", 0);
    assert_true (fx_wait_sent (f, "42", "services up", 1, 5000));   /* still there */
}

/* And should one reach it anyway (from a replay, an untyped path), the
 * gateway checks the body against its topic itself: counted, never read,
 * and /watch says what it is. */
static void
test_watch_of_a_foreign_body_is_not_an_ota_job (void **state)
{
    (void) state;
    char *dir = lab_test_tmpdir ("chatw");
    char text[700], err[256];
    snprintf (text, sizeof text, "lab\n    logs = \"%s\"\nchat\n    watch_every = \"1s\"\n", dir);
    lab_config_t *cfg = lab_config_load_str (text, "t.cfg", err, sizeof err);
    assert_non_null (cfg);
    chat_gw_t *gw = chat_gw_new (cfg, NULL, err, sizeof err);
    assert_non_null (gw);
    Lab__Blob blob = LAB__BLOB__INIT;
    blob.data.data = (uint8_t *) "hello";
    blob.data.len = 5;
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    env.body_case = LAB__ENVELOPE__BODY_BLOB;
    env.blob = &blob;
    uint8_t buf[256];
    size_t len = lab__envelope__pack (&env, buf);
    bus_msg_t m = { (char *) "state.ota.x", lab__envelope__unpack (NULL, len, buf), NULL };
    chat_gw_on_bus (gw, &m);
    lab__envelope__free_unpacked (m.env, NULL);
    char *reply = chat_gw_handle (gw, "console", "console", "console", "/watch x");
    assert_non_null (strstr (reply, "x: not an OTA job"));
    free (reply);
    chat_gw_counters_t c;
    chat_gw_counters (gw, &c);
    assert_int_equal (c.bus_mismatch, 1);
    chat_gw_destroy (&gw);
    lab_config_destroy (&cfg);
    lab_test_rmdir (dir);
    free (dir);
}

static void
test_eval_decide_reaches_eval_runner (void **state)
{
    fx_t *f = (fx_t *) *state;
    fake_api_message (f->api, 42, "/eval decide plan-a", 0);
    assert_true (fx_wait_sent (f, "42", "overall: keep", 1, 10000));
    assert_int_equal (f->decides, 1);
    assert_string_equal (f->decide_args, "plan-a");
}

static void
test_getupdates_429_waits_retry_after (void **state)
{
    fx_t *f = (fx_t *) *state;
    fake_api_message (f->api, 42, "/help", 0);
    assert_true (fx_wait_sent (f, "42", "Lab commands", 1, 10000));
    fake_api_fail_polls (f->api, 1, FAKE_429, 3);
    /* The 429 goes to the next poll; from then on, nothing for 3 s. */
    int before = fake_api_polls (f->api);
    uint64_t end = fake_api_ms () + 5000;
    while (fake_api_polls (f->api) == before && fake_api_ms () < end)
        fx_pump (f, 10);
    uint64_t t429 = fake_api_ms ();
    fake_api_message (f->api, 42, "/rssi", 0);
    fx_pump (f, 2500);
    assert_int_equal (fake_api_polls_since (f->api, t429 + 50), 0);
    assert_true (fx_wait_sent (f, "42", "rssi-ranger", 1, 10000));
}

static void
test_send_429_502_and_hang_retried_loop_stays_live (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* A 429 with retry_after 5, then two 502s, then a hang longer than the
     * gateway's send timeout: the reply still arrives, once. */
    fake_api_fail_sends (f->api, 1, FAKE_429, 5);
    fake_api_message (f->api, 42, "/tail b1", 0);
    uint64_t t0 = fake_api_ms ();
    /* Meanwhile the main loop answers the console at once. */
    fx_pump (f, 800);
    Lab__CommandReply *reply = NULL;
    const char *args[] = { "/help" };
    uint64_t c0 = fake_api_ms ();
    assert_int_equal (bus_client_call (f->bus, "chat-gateway", "console", 1, args, 10000, &reply), BUS_OK);
    assert_true (fake_api_ms () - c0 < 4000);
    lab__command_reply__free_unpacked (reply, NULL);
    assert_true (fx_wait_sent (f, "42", "tail of b1", 1, 15000));
    assert_true (fake_api_ms () - t0 >= 5000);
    assert_int_equal (fx_audit (f, "retrying", "retry after 5"), 1);

    fake_api_fail_sends (f->api, 2, FAKE_502, 0);
    fake_api_message (f->api, 42, "/tail b2", 0);
    assert_true (fx_wait_sent (f, "42", "tail of b2", 1, 15000));
    assert_true (fx_audit (f, "retrying", "HTTP 502") >= 2);

    fake_api_set_hang_ms (f->api, 3000);
    fake_api_fail_sends (f->api, 1, FAKE_HANG, 0);
    fake_api_message (f->api, 42, "/tail b3", 0);
    assert_true (fx_wait_sent (f, "42", "tail of b3", 1, 20000));
    fx_pump (f, 1000);
    for (int b = 1; b <= 3; b++) {
        char t[32];
        snprintf (t, sizeof t, "tail of b%d", b);
        assert_int_equal (fake_api_sent_exact (f->api, "42", t), 1);
    }
    assert_int_equal (fx_counter (f, "failed"), 0);
}

static void
test_confirmation_survives_restart_or_expires_visibly (void **state)
{
    fx_t *f = (fx_t *) *state;
    /* Survives a kill -9. */
    fake_api_message (f->api, 42, "/restart web", 0);
    assert_true (fx_wait_sent (f, "42", "Confirm", 1, 10000));
    fx_kill_gw (f, SIGKILL);
    fx_start_gw (f);
    fake_api_message (f->api, 42, "/yes", 0);
    assert_true (fx_wait_sent (f, "42", "services up", 1, 10000));
    assert_int_equal (f->restarts, 1);
    /* Not answered in time: said so. */
    fake_api_message (f->api, 42, "/stop web", 0);
    assert_true (fx_wait_sent (f, "42", "Confirm", 2, 10000));
    assert_true (fx_wait_sent (f, "42", "Not confirmed within 5 s", 1, 15000));
    /* Expired while the gateway was down: said so after the start. */
    fake_api_message (f->api, 42, "/restart web", 0);
    assert_true (fx_wait_sent (f, "42", "Confirm", 3, 10000));
    fx_kill_gw (f, SIGKILL);
    fx_pump (f, 6000);
    fx_start_gw (f);
    assert_true (fx_wait_sent (f, "42", "the gateway restarted meanwhile", 1, 10000));
    fake_api_message (f->api, 42, "/yes", 0);
    assert_true (fx_wait_sent (f, "42", "nothing to confirm", 1, 10000));
    assert_int_equal (f->restarts, 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parser_is_strict),
        cmocka_unit_test (test_long_replies_are_split),
        cmocka_unit_test (test_utf8_checked_and_counted_in_utf16_units),
        cmocka_unit_test (test_split_never_cuts_a_character),
        cmocka_unit_test (test_poison_updates_decode_each_with_its_id),
        cmocka_unit_test (test_unreadable_answer_still_yields_ids),
        cmocka_unit_test (test_send_verdicts),
        cmocka_unit_test (test_journal_replays_what_is_open),
        cmocka_unit_test_setup_teardown (test_gateway_over_a_fake_bot_api, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_poison_updates_do_not_stop_the_line, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_strangers_get_nothing_even_when_stale, s_setup, fx_teardown),
        cmocka_unit_test (test_watch_of_a_foreign_body_is_not_an_ota_job),
        cmocka_unit_test_setup_teardown (test_watch_after_a_foreign_publish_answers, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_eval_decide_reaches_eval_runner, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_getupdates_429_waits_retry_after, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_send_429_502_and_hang_retried_loop_stays_live, s_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_confirmation_survives_restart_or_expires_visibly, s_setup,
                                         fx_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
