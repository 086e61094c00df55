/* eval_http - body collector and GET; see the header. */
#include "services/eval-runner/eval_http.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
eval_http_collect (char *ptr, size_t size, size_t nmemb, void *arg)
{
    eval_http_buf_t *b = (eval_http_buf_t *) arg;
    if (!b->max)
        b->max = 1u << 20;      /* the eval's default bound */
    return lab_curl_collect (ptr, size, nmemb, b);
}

long
eval_http_get (const char *url, long timeout_ms, char **body_p)
{
    return eval_http_get_auth (url, NULL, timeout_ms, body_p);
}

long
eval_http_get_auth (const char *url, const char *key, long timeout_ms, char **body_p)
{
    CURL *c = curl_easy_init ();
    eval_http_buf_t b = { NULL, 0, 0 };
    struct curl_slist *hdr = NULL;
    if (key && *key) {
        char auth[600];
        snprintf (auth, sizeof auth, "Authorization: Bearer %s", key);
        hdr = curl_slist_append (hdr, auth);
        memset (auth, 0, sizeof auth);
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdr);
    }
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, eval_http_collect);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, &b);
    long status = 0;
    if (curl_easy_perform (c) == CURLE_OK)
        curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (c);
    curl_slist_free_all (hdr);
    if (body_p)
        *body_p = b.data;
    else
        free (b.data);
    return status;
}
