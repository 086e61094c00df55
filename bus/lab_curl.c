/* lab_curl - the write callbacks. */
#include "bus/lab_curl.h"
#include <stdlib.h>
#include <string.h>

size_t
lab_curl_collect (char *ptr, size_t size, size_t nmemb, void *arg)
{
    lab_curl_buf_t *b = (lab_curl_buf_t *) arg;
    size_t n = size * nmemb;
    if (b->max && b->len + n > b->max)
        return 0;
    char *grown = (char *) realloc (b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy (b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

size_t
lab_curl_discard (char *ptr, size_t size, size_t nmemb, void *unused)
{
    (void) ptr;
    (void) unused;
    return size * nmemb;
}
