/* test_sb_port_units - serial-bridge ports by URL: syntax checks, a pty via
 * termios, a raw TCP serial server, and a port that goes away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "services/serial-bridge/sb_port.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
test_urls_are_checked (void **state)
{
    (void) state;
    char err[256];
    const char *good[] = { "/dev/ttyUSB0", "usb:serial=A1B2", "usb:10c4:ea60", "pty:/tmp/x",
                           "tcp://127.0.0.1:2000", "sim:board-a" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal (sb_port_check_url (good[i], err, sizeof err), 0);
    const char *bad[] = { "ttyUSB0", "usb:zz:1", "usb:1:2:3", "tcp://nohost", "pty:", "serial://x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (sb_port_check_url (bad[i], err, sizeof err), -1);
        assert_non_null (strstr (err, bad[i]));
    }
}

static long
s_read_wait (sb_port_t *p, char *buf, size_t len)
{
    for (int i = 0; i < 200; i++) {
        long n = sb_port_read (p, buf, len);
        if (n != 0)
            return n;
        usleep (5000);
    }
    return 0;
}

static void
test_pty_port_reads_writes_and_notices_hangup (void **state)
{
    (void) state;
    int master, slave;
    char name[128];
    assert_int_equal (openpty (&master, &slave, name, NULL, NULL), 0);
    close (slave);
    char url[160];
    snprintf (url, sizeof url, "pty:%s", name);
    sb_port_t *p = sb_port_new (url, 921600, "/tmp");
    assert_int_equal (sb_port_open (p), 0);
    assert_string_equal (sb_port_device (p), name);
    assert_int_equal (write (master, "hello\n", 6), 6);
    char buf[64];
    assert_int_equal (s_read_wait (p, buf, sizeof buf), 6);
    assert_memory_equal (buf, "hello\n", 6);
    /* Raw mode: bytes pass untouched both ways (no echo, no CR/LF mapping). */
    assert_int_equal (sb_port_write (p, "\x00\r\n\x03", 4), 0);
    usleep (20000);
    assert_int_equal (read (master, buf, sizeof buf), 4);
    assert_memory_equal (buf, "\x00\r\n\x03", 4);
    /* DTR/RTS on a pty: no modem lines is an error, not a crash. */
    sb_port_set_lines (p, false, false);
    close (master);
    assert_int_equal (s_read_wait (p, buf, sizeof buf), -1);
    assert_false (sb_port_is_open (p));
    sb_port_destroy (&p);
}

static void
test_tcp_port_talks_to_a_raw_server (void **state)
{
    (void) state;
    int ls = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    assert_int_equal (bind (ls, (struct sockaddr *) &sa, sizeof sa), 0);
    listen (ls, 1);
    getsockname (ls, (struct sockaddr *) &sa, &sl);
    char url[64];
    snprintf (url, sizeof url, "tcp://127.0.0.1:%d", ntohs (sa.sin_port));
    sb_port_t *p = sb_port_new (url, 921600, NULL);
    assert_int_equal (sb_port_open (p), 0);
    int c = accept (ls, NULL, NULL);
    assert_true (c >= 0);
    assert_int_equal (sb_port_write (p, "ping", 4), 0);
    char buf[16];
    assert_int_equal (read (c, buf, sizeof buf), 4);
    assert_int_equal (write (c, "pong", 4), 4);
    assert_int_equal (s_read_wait (p, buf, sizeof buf), 4);
    assert_memory_equal (buf, "pong", 4);
    close (c);
    assert_int_equal (s_read_wait (p, buf, sizeof buf), -1);
    /* Nobody listening any more: open fails with a message. */
    close (ls);
    assert_int_equal (sb_port_open (p), -1);
    assert_non_null (strstr (sb_port_error (p), "127.0.0.1"));
    sb_port_destroy (&p);
}

static void
test_missing_usb_device_is_an_error_with_the_url (void **state)
{
    (void) state;
    sb_port_t *p = sb_port_new ("usb:serial=NO-SUCH-SERIAL-42", 115200, NULL);
    assert_int_equal (sb_port_open (p), -1);
    assert_non_null (strstr (sb_port_error (p), "NO-SUCH-SERIAL-42"));
    sb_port_destroy (&p);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_urls_are_checked),
        cmocka_unit_test (test_pty_port_reads_writes_and_notices_hangup),
        cmocka_unit_test (test_tcp_port_talks_to_a_raw_server),
        cmocka_unit_test (test_missing_usb_device_is_an_error_with_the_url),
    };
    return cmocka_run_group_tests_name ("sb_port", tests, NULL, NULL);
}
