/* web_hub - see web_hub.h. */
#include "services/web/web_hub.h"
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One SSE event, already framed ("data: ...\n\n"). */
typedef struct _event_t {
    struct _event_t *next;
    size_t len;
    char text[];
} event_t;

struct _web_hub_client_t {
    web_hub_client_t *next;
    web_filter_t filter;
    event_t *head, *tail;
    size_t queued_msgs, queued_bytes;
    event_t *cur;               /* being copied out */
    size_t cur_off;
    bool dropped;
    pthread_cond_t cond;
};

typedef struct {
    char *topic;
    char *json;
} line_t;

struct _web_hub_t {
    pthread_mutex_t lock;
    web_hub_limits_t limits;
    web_hub_client_t *clients;
    zhashx_t *state;            /* topic -> json of the last state.* value */
    line_t *lines;              /* ring of the last serial lines */
    size_t line_next, line_count;
    web_hub_stats_t stats;
    bool closing;
};

static event_t *
s_event_new (const char *json)
{
    size_t n = strlen (json);
    event_t *ev = malloc (sizeof *ev + n + 9);
    if (!ev)
        return NULL;
    ev->next = NULL;
    memcpy (ev->text, "data: ", 6);
    memcpy (ev->text + 6, json, n);
    memcpy (ev->text + 6 + n, "\n\n", 3);
    ev->len = n + 8;
    return ev;
}

static void
s_client_clear (web_hub_client_t *c)
{
    while (c->head) {
        event_t *ev = c->head;
        c->head = ev->next;
        free (ev);
    }
    c->tail = NULL;
    free (c->cur);
    c->cur = NULL;
    c->queued_msgs = c->queued_bytes = 0;
}

/* Queues JSON for C when its filter matches. With DROP_WHEN_FULL a full
 * queue drops the client (live traffic); without, the event is skipped
 * (snapshot, which must never cost a client its stream). */
static void
s_client_offer (web_hub_t *self, web_hub_client_t *c, const char *topic, const char *json,
                bool drop_when_full)
{
    if (c->dropped || !web_filter_match (&c->filter, topic))
        return;
    size_t n = strlen (json) + 8;
    if (c->queued_msgs + 1 > self->limits.client_queue_msgs
        || c->queued_bytes + n > self->limits.client_queue_bytes) {
        if (drop_when_full) {
            c->dropped = true;
            s_client_clear (c);
            self->stats.clients_dropped++;
            pthread_cond_signal (&c->cond);
        }
        return;
    }
    event_t *ev = s_event_new (json);
    if (!ev)
        return;
    if (c->tail)
        c->tail->next = ev;
    else
        c->head = ev;
    c->tail = ev;
    c->queued_msgs++;
    c->queued_bytes += n;
    self->stats.delivered++;
    pthread_cond_signal (&c->cond);
}

static void
s_free_str (void **item)
{
    free (*item);
    *item = NULL;
}

web_hub_t *
web_hub_new (const web_hub_limits_t *limits)
{
    web_hub_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    self->limits = *limits;
    if (self->limits.serial_lines == 0)
        self->limits.serial_lines = 1;
    self->state = zhashx_new ();
    zhashx_set_destructor (self->state, s_free_str);
    self->lines = calloc (self->limits.serial_lines, sizeof (line_t));
    return self;
}

void
web_hub_destroy (web_hub_t **self_p)
{
    web_hub_t *self = *self_p;
    if (!self)
        return;
    while (self->clients) {
        web_hub_client_t *c = self->clients;
        self->clients = c->next;
        s_client_clear (c);
        pthread_cond_destroy (&c->cond);
        free (c);
    }
    zhashx_destroy (&self->state);
    for (size_t i = 0; i < self->limits.serial_lines; i++) {
        free (self->lines[i].topic);
        free (self->lines[i].json);
    }
    free (self->lines);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* Remembers what a page needs at connect time. */
static void
s_remember (web_hub_t *self, const char *topic, const char *json)
{
    if (strncmp (topic, "state.", 6) == 0) {
        char *copy = strdup (json);
        if (!copy)
            return;
        if (zhashx_lookup (self->state, topic))
            zhashx_update (self->state, topic, copy);
        else if (zhashx_size (self->state) < self->limits.state_topics)
            zhashx_insert (self->state, topic, copy);
        else
            free (copy);    /* table full: live clients still get it */
    }
    else if (strncmp (topic, "tel.serial.", 11) == 0) {
        line_t *l = &self->lines[self->line_next];
        free (l->topic);
        free (l->json);
        l->topic = strdup (topic);
        l->json = strdup (json);
        self->line_next = (self->line_next + 1) % self->limits.serial_lines;
        if (self->line_count < self->limits.serial_lines)
            self->line_count++;
    }
}

void
web_hub_publish (web_hub_t *self, const char *topic, const char *json)
{
    pthread_mutex_lock (&self->lock);
    self->stats.published++;
    s_remember (self, topic, json);
    for (web_hub_client_t *c = self->clients; c; c = c->next)
        s_client_offer (self, c, topic, json, true);
    pthread_mutex_unlock (&self->lock);
}

web_hub_client_t *
web_hub_attach (web_hub_t *self, const web_filter_t *filter)
{
    pthread_mutex_lock (&self->lock);
    if (self->closing || self->stats.clients >= self->limits.max_clients) {
        self->stats.refused++;
        pthread_mutex_unlock (&self->lock);
        return NULL;
    }
    web_hub_client_t *c = calloc (1, sizeof *c);
    if (!c) {
        pthread_mutex_unlock (&self->lock);
        return NULL;
    }
    c->filter = *filter;
    pthread_cond_init (&c->cond, NULL);
    for (char *json = zhashx_first (self->state); json; json = zhashx_next (self->state))
        s_client_offer (self, c, zhashx_cursor (self->state), json, false);
    size_t start = (self->line_next + self->limits.serial_lines - self->line_count)
                   % self->limits.serial_lines;
    for (size_t i = 0; i < self->line_count; i++) {
        line_t *l = &self->lines[(start + i) % self->limits.serial_lines];
        if (l->topic && l->json)
            s_client_offer (self, c, l->topic, l->json, false);
    }
    c->next = self->clients;
    self->clients = c;
    self->stats.clients++;
    self->stats.clients_total++;
    pthread_mutex_unlock (&self->lock);
    return c;
}

void
web_hub_detach (web_hub_t *self, web_hub_client_t **client_p)
{
    web_hub_client_t *c = *client_p;
    if (!c)
        return;
    pthread_mutex_lock (&self->lock);
    for (web_hub_client_t **pp = &self->clients; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            self->stats.clients--;
            break;
        }
    pthread_mutex_unlock (&self->lock);
    s_client_clear (c);
    pthread_cond_destroy (&c->cond);
    free (c);
    *client_p = NULL;
}

ssize_t
web_hub_client_read (web_hub_t *self, web_hub_client_t *c, char *buf, size_t max, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock (&self->lock);
    while (!c->cur && !c->head && !c->dropped && !self->closing)
        if (pthread_cond_timedwait (&c->cond, &self->lock, &deadline) == ETIMEDOUT)
            break;
    if (c->dropped || self->closing) {
        pthread_mutex_unlock (&self->lock);
        return -1;
    }
    if (!c->cur && c->head) {
        c->cur = c->head;
        c->head = c->cur->next;
        if (!c->head)
            c->tail = NULL;
        c->cur_off = 0;
        c->queued_msgs--;
        c->queued_bytes -= c->cur->len;
    }
    size_t n = 0;
    if (c->cur) {
        n = c->cur->len - c->cur_off;
        if (n > max)
            n = max;
        memcpy (buf, c->cur->text + c->cur_off, n);
        c->cur_off += n;
        if (c->cur_off == c->cur->len) {
            free (c->cur);
            c->cur = NULL;
        }
    }
    pthread_mutex_unlock (&self->lock);
    return (ssize_t) n;
}

void
web_hub_close (web_hub_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->closing = true;
    for (web_hub_client_t *c = self->clients; c; c = c->next)
        pthread_cond_signal (&c->cond);
    pthread_mutex_unlock (&self->lock);
}

void
web_hub_stats (web_hub_t *self, web_hub_stats_t *out)
{
    pthread_mutex_lock (&self->lock);
    *out = self->stats;
    pthread_mutex_unlock (&self->lock);
}
