/* web_test_util - what the web tests share: a lab with a broker and the web
 * service on kernel-chosen ports, HTTP through libcurl, and publishing the
 * bus messages the page shows. */
#ifndef WEB_TEST_UTIL_H
#define WEB_TEST_UTIL_H

#include <stdbool.h>
#include <sys/types.h>
#include "tests/lab_test.h"

typedef struct {
    char *dir;
    pid_t broker, web;
    bus_endpoints_t ep;
    bus_client_t *pub;
    char url[256];              /* http://127.0.0.1:PORT/ */
} web_lab_t;

/* Starts a broker and `web` (with EXTRA_CFG appended to its config's web
 * section, may be NULL). Returns 0 or -1. */
int web_lab_start (web_lab_t *lab, const char *extra_cfg);
void web_lab_stop (web_lab_t *lab);

/* GET URL (absolute); *BODY is malloc'd text. USERPWD may be NULL. Returns
 * the HTTP status or -1. */
long web_http_get (const char *url, const char *userpwd, char **body);
/* The same with another method (e.g. POST). */
long web_http_method (const char *url, const char *method, char **body);

/* Publishes a SerialLine from BOARD. */
int web_pub_line (bus_client_t *pub, const char *board, const char *text);

#endif
