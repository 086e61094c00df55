/* lab_curl - libcurl write callbacks every HTTP client of the lab uses:
 * collect a body into memory (bounded), or throw it away. Plain C with
 * curl's callback signature; nothing here links libcurl. */
#ifndef LAB_CURL_H
#define LAB_CURL_H

#include <stddef.h>

typedef struct {
    char *data;        /* NUL-terminated; malloc'd, the caller frees */
    size_t len;
    size_t max;        /* refuse a body longer than this (0: no limit) */
} lab_curl_buf_t;

/* CURLOPT_WRITEFUNCTION with a lab_curl_buf_t as CURLOPT_WRITEDATA: appends.
 * Past MAX (or out of memory) it returns 0, which makes curl stop with
 * CURLE_WRITE_ERROR. */
size_t lab_curl_collect (char *ptr, size_t size, size_t nmemb, void *buf);
/* CURLOPT_WRITEFUNCTION for a body nobody reads (a health check). */
size_t lab_curl_discard (char *ptr, size_t size, size_t nmemb, void *unused);

#endif
