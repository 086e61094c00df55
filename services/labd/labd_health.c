/* labd_health - probes as curl easy handles in one multi handle; a small
 * table maps each key (a backend) to its handle and last result. */
#include "services/labd/labd_health.h"
#include "bus/lab_curl.h"
#include <curl/curl.h>
#include <string.h>
#include <sys/select.h>

#define PROBES_MAX 64

typedef struct {
    const void *key;          /* NULL: free slot */
    CURL *easy;               /* non-NULL while in flight */
    long last;
    bool fresh;
} s_probe_t;

struct _labd_health_t {
    CURLM *multi;
    s_probe_t probes[PROBES_MAX];
};

labd_health_t *
labd_health_new (void)
{
    labd_health_t *self = (labd_health_t *) zmalloc (sizeof (labd_health_t));
    self->multi = curl_multi_init ();
    return self;
}

static void
s_stop (labd_health_t *self, s_probe_t *p)
{
    if (p->easy) {
        curl_multi_remove_handle (self->multi, p->easy);
        curl_easy_cleanup (p->easy);
        p->easy = NULL;
    }
}

void
labd_health_destroy (labd_health_t **self_p)
{
    assert (self_p);
    labd_health_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < PROBES_MAX; i++)
        s_stop (self, &self->probes[i]);
    curl_multi_cleanup (self->multi);
    free (self);
    *self_p = NULL;
}

static s_probe_t *
s_find (labd_health_t *self, const void *key, bool add)
{
    s_probe_t *free_slot = NULL;
    for (int i = 0; i < PROBES_MAX; i++) {
        if (self->probes[i].key == key)
            return &self->probes[i];
        if (!self->probes[i].key && !free_slot)
            free_slot = &self->probes[i];
    }
    if (add && free_slot) {
        memset (free_slot, 0, sizeof *free_slot);
        free_slot->key = key;
        return free_slot;
    }
    return NULL;
}

void
labd_health_probe (labd_health_t *self, const void *key, const char *url, int timeout_ms)
{
    assert (self && key && url);
    s_probe_t *p = s_find (self, key, true);
    if (!p || p->easy)
        return;
    p->easy = curl_easy_init ();
    if (!p->easy)
        return;
    curl_easy_setopt (p->easy, CURLOPT_URL, url);
    curl_easy_setopt (p->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (p->easy, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (p->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (p->easy, CURLOPT_WRITEFUNCTION, lab_curl_discard);
    curl_easy_setopt (p->easy, CURLOPT_PROXY, "");
    curl_easy_setopt (p->easy, CURLOPT_PRIVATE, (void *) p);
    curl_multi_add_handle (self->multi, p->easy);
    labd_health_work (self);
}

void
labd_health_cancel (labd_health_t *self, const void *key)
{
    assert (self);
    s_probe_t *p = s_find (self, key, false);
    if (p) {
        s_stop (self, p);
        p->key = NULL;
    }
}

bool
labd_health_busy (labd_health_t *self)
{
    assert (self);
    for (int i = 0; i < PROBES_MAX; i++)
        if (self->probes[i].easy)
            return true;
    return false;
}

void
labd_health_work (labd_health_t *self)
{
    assert (self);
    int running = 0;
    curl_multi_perform (self->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_probe_t *p = NULL;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &p);
        long status = 0;
        if (msg->data.result == CURLE_OK)
            curl_easy_getinfo (msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (p) {
            p->last = status;
            p->fresh = true;
            s_stop (self, p);
        }
    }
}

bool
labd_health_result (labd_health_t *self, const void *key, long *status)
{
    assert (self);
    s_probe_t *p = s_find (self, key, false);
    if (!p || !p->fresh)
        return false;
    p->fresh = false;
    *status = p->last;
    return true;
}

long
labd_health_last (labd_health_t *self, const void *key)
{
    assert (self);
    s_probe_t *p = s_find (self, key, false);
    return p ? p->last : 0;
}

int
labd_health_pollitems (labd_health_t *self, zmq_pollitem_t *items, int max)
{
    assert (self);
    fd_set r, w, e;
    FD_ZERO (&r);
    FD_ZERO (&w);
    FD_ZERO (&e);
    int maxfd = -1;
    if (curl_multi_fdset (self->multi, &r, &w, &e, &maxfd) != CURLM_OK)
        return 0;
    int n = 0;
    for (int fd = 0; fd <= maxfd && n < max; fd++) {
        short events = (short) ((FD_ISSET (fd, &r) ? ZMQ_POLLIN : 0) | (FD_ISSET (fd, &w) ? ZMQ_POLLOUT : 0));
        if (events)
            items[n++] = (zmq_pollitem_t) { NULL, fd, events, 0 };
    }
    return n;
}
