/* eval_http - the small HTTP pieces every eval program needs, in one place:
 * a bounded body collector for libcurl (the write callback eval-runner's
 * probes, transcriptions and judge-client all use) and a GET with an
 * optional API key. */
#ifndef EVAL_HTTP_H
#define EVAL_HTTP_H

#include "bus/lab_curl.h"
#include <stddef.h>

/* data (NUL-terminated, owned), len, max: a body longer than max ends the
 * transfer (0 here: 1 MiB). bus/lab_curl's buffer. */
typedef lab_curl_buf_t eval_http_buf_t;

/* CURLOPT_WRITEFUNCTION with an eval_http_buf_t as CURLOPT_WRITEDATA
 * (lab_curl_collect with the eval's default bound). */
size_t eval_http_collect (char *ptr, size_t size, size_t nmemb, void *buf);

/* An HTTP GET: status code (0 when no answer), body in *body_p when given. */
long eval_http_get (const char *url, long timeout_ms, char **body_p);
/* The same with "Authorization: Bearer KEY" (KEY NULL or "": none). */
long eval_http_get_auth (const char *url, const char *key, long timeout_ms, char **body_p);

#endif
