/* web_test_util - see web_test_util.h. */
#include "tests/web/web_test_util.h"
#include "bus/lab_curl.h"
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int
web_lab_start (web_lab_t *lab, const char *extra_cfg)
{
    memset (lab, 0, sizeof *lab);
    lab->dir = lab_test_tmpdir ("web");
    setenv ("LAB_BUS_DIR", lab->dir, 1);
    setenv ("LAB_RUNTIME_DIR", lab->dir, 1);
    bus_endpoints_in_dir (&lab->ep, lab->dir);
    lab->broker = lab_test_start_broker (lab->dir, NULL);
    if (lab->broker <= 0)
        return -1;
    char cfg[600], urlfile[600], log[600];
    snprintf (cfg, sizeof cfg, "%s/lab.cfg", lab->dir);
    snprintf (urlfile, sizeof urlfile, "%s/url", lab->dir);
    snprintf (log, sizeof log, "%s/web.log", lab->dir);
    FILE *f = fopen (cfg, "w");
    if (!f)
        return -1;
    fprintf (f, "web\n    bind = \"127.0.0.1\"\n    port = 0\n%s", extra_cfg ? extra_cfg : "");
    fclose (f);
    const char *argv[] = { "web", "-c", cfg, "--url-file", urlfile, NULL };
    lab->web = lab_test_spawn ("web", argv, log);
    if (lab->web <= 0)
        return -1;
    for (int i = 0; i < 500 && !lab->url[0]; i++) {
        f = fopen (urlfile, "r");
        if (f) {
            if (fgets (lab->url, sizeof lab->url, f))
                lab->url[strcspn (lab->url, "\n")] = 0;
            fclose (f);
        }
        if (!lab->url[0])
            zclock_sleep (20);
    }
    if (!lab->url[0])
        return -1;
    lab->pub = bus_client_new ("web-test", &lab->ep);
    return lab->pub ? 0 : -1;
}

int
web_lab_stop (web_lab_t *lab)
{
    bus_client_destroy (&lab->pub);
    int status = 0;
    if (lab->web > 0) {
        status = lab_test_stop (lab->web, SIGTERM, 10000);
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
            /* Show why (a sanitizer report lands in the log). */
            char log[600], line[512];
            snprintf (log, sizeof log, "%s/web.log", lab->dir);
            FILE *f = fopen (log, "r");
            while (f && fgets (line, sizeof line, f))
                fprintf (stderr, "web.log: %s", line);
            if (f)
                fclose (f);
        }
    }
    if (lab->broker > 0)
        lab_test_stop (lab->broker, SIGTERM, 2000);
    if (lab->dir) {
        lab_test_rmdir (lab->dir);
        free (lab->dir);
    }
    memset (lab, 0, sizeof *lab);
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

long
web_http_method (const char *url, const char *method, char **body)
{
    return web_http_header (url, method, NULL, body);
}

long
web_http_header (const char *url, const char *method, const char *header, char **body)
{
    CURL *curl = curl_easy_init ();
    lab_curl_buf_t b = { calloc (1, 1), 0, 0 };
    struct curl_slist *hdr = header ? curl_slist_append (NULL, header) : NULL;
    if (hdr)
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, lab_curl_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 10000L);
    if (method && strcmp (method, "GET"))
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform (curl);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (curl);
    curl_slist_free_all (hdr);
    *body = b.data;
    return status;
}

long
web_http_get (const char *url, const char *userpwd, char **body)
{
    if (!userpwd)
        return web_http_method (url, "GET", body);
    CURL *curl = curl_easy_init ();
    lab_curl_buf_t b = { calloc (1, 1), 0, 0 };
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, lab_curl_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt (curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt (curl, CURLOPT_USERPWD, userpwd);
    CURLcode rc = curl_easy_perform (curl);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (curl);
    *body = b.data;
    return status;
}

int
web_pub_line (bus_client_t *pub, const char *board, const char *text)
{
    Lab__Envelope env = LAB__ENVELOPE__INIT;
    Lab__SerialLine line = LAB__SERIAL_LINE__INIT;
    line.board = (char *) board;
    line.text = (char *) text;
    line.rx_ts_ns = bus_now_ns ();
    env.body_case = LAB__ENVELOPE__BODY_SERIAL_LINE;
    env.serial_line = &line;
    char topic[200];
    snprintf (topic, sizeof topic, "tel.serial.%s", board);
    return bus_client_publish (pub, topic, &env);
}
