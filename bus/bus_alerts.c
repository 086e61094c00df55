/* bus_alerts - per (kind, subject) rate limit with a count. See bus_alerts.h. */
#include "bus/bus_alerts.h"
#include <czmq.h>

typedef struct {
    char *kind, *subject;
    char *severity, *text;      /* the latest held back */
    char **detail;
    size_t ndetail;
    uint64_t last_sent_ms;
    uint64_t first_held_ms;
    uint32_t held;              /* raised since the last send */
} s_pair_t;

struct _bus_alerts_t {
    zhashx_t *pairs;            /* "kind\nsubject" -> s_pair_t */
    int interval_ms;
    bus_alerts_send_fn *send;
    void *arg;
    uint64_t raised, sent;
};

static void
s_free_held (s_pair_t *p)
{
    free (p->severity);
    free (p->text);
    for (size_t i = 0; i < p->ndetail; i++)
        free (p->detail[i]);
    free (p->detail);
    p->severity = p->text = NULL;
    p->detail = NULL;
    p->ndetail = 0;
}

static void
s_pair_destroy (void **item)
{
    s_pair_t *p = (s_pair_t *) *item;
    s_free_held (p);
    free (p->kind);
    free (p->subject);
    free (p);
    *item = NULL;
}

bus_alerts_t *
bus_alerts_new (int interval_ms, bus_alerts_send_fn *send, void *arg)
{
    assert (send);
    bus_alerts_t *self = (bus_alerts_t *) zmalloc (sizeof (bus_alerts_t));
    self->pairs = zhashx_new ();
    zhashx_set_destructor (self->pairs, s_pair_destroy);
    self->interval_ms = interval_ms > 0 ? interval_ms : 1;
    self->send = send;
    self->arg = arg;
    return self;
}

void
bus_alerts_destroy (bus_alerts_t **self_p)
{
    assert (self_p);
    bus_alerts_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->pairs);
    free (self);
    *self_p = NULL;
}

static void
s_send (bus_alerts_t *self, s_pair_t *p, const char *severity, const char *text, char **detail,
        size_t ndetail, uint32_t count, uint64_t since_ms, uint64_t now_ms)
{
    char buf[1024];
    if (count > 1)
        snprintf (buf, sizeof buf, "%s (%u times in %.0f s)", text, count, (double) (now_ms - since_ms) / 1000.0);
    Lab__Alert a = LAB__ALERT__INIT;
    a.severity = (char *) severity;
    a.kind = p->kind;
    a.subject = p->subject;
    a.text = count > 1 ? buf : (char *) text;
    a.detail = detail;
    a.n_detail = ndetail;
    a.count = count;
    self->send (self->arg, &a);
    self->sent++;
    p->last_sent_ms = now_ms;
}

/* Room for one more pair: forget quiet ones, then the oldest if need be. */
static void
s_make_room (bus_alerts_t *self, uint64_t now_ms)
{
    if (zhashx_size (self->pairs) < BUS_ALERTS_MAX)
        return;
    const char *oldest = NULL;
    uint64_t oldest_ms = UINT64_MAX;
    for (s_pair_t *p = (s_pair_t *) zhashx_first (self->pairs); p; p = (s_pair_t *) zhashx_next (self->pairs))
        if (!p->held && p->last_sent_ms < oldest_ms) {
            oldest_ms = p->last_sent_ms;
            oldest = (const char *) zhashx_cursor (self->pairs);
        }
    if (!oldest) {
        zhashx_first (self->pairs);     /* all held back: drop any one */
        oldest = (const char *) zhashx_cursor (self->pairs);
    }
    if (oldest) {
        char *key = strdup (oldest);
        zhashx_delete (self->pairs, key);
        free (key);
    }
    (void) now_ms;
}

void
bus_alerts_raise (bus_alerts_t *self, const char *severity, const char *kind, const char *subject,
                  const char *text, char **detail, size_t ndetail, uint64_t now_ms)
{
    assert (self && kind && subject);
    self->raised++;
    char key[512];
    snprintf (key, sizeof key, "%.200s\n%.200s", kind, subject);
    s_pair_t *p = (s_pair_t *) zhashx_lookup (self->pairs, key);
    if (!p) {
        s_make_room (self, now_ms);
        p = (s_pair_t *) zmalloc (sizeof (s_pair_t));
        p->kind = strdup (kind);
        p->subject = strdup (subject);
        zhashx_insert (self->pairs, key, p);
        s_send (self, p, severity, text ? text : "", detail, ndetail, 1, now_ms, now_ms);
        return;
    }
    if (!p->held && now_ms - p->last_sent_ms >= (uint64_t) self->interval_ms) {
        s_send (self, p, severity, text ? text : "", detail, ndetail, 1, now_ms, now_ms);
        return;
    }
    /* Held back: keep the latest, count it. */
    if (!p->held)
        p->first_held_ms = now_ms;
    s_free_held (p);
    p->held++;
    p->severity = strdup (severity ? severity : "warning");
    p->text = strdup (text ? text : "");
    if (ndetail) {
        p->detail = (char **) calloc (ndetail, sizeof (char *));
        for (size_t i = 0; i < ndetail; i++)
            p->detail[i] = strdup (detail[i] ? detail[i] : "");
        p->ndetail = ndetail;
    }
}

void
bus_alerts_tick (bus_alerts_t *self, uint64_t now_ms)
{
    assert (self);
    zlistx_t *quiet = NULL;
    for (s_pair_t *p = (s_pair_t *) zhashx_first (self->pairs); p; p = (s_pair_t *) zhashx_next (self->pairs)) {
        if (p->held && now_ms - p->last_sent_ms >= (uint64_t) self->interval_ms) {
            s_send (self, p, p->severity, p->text, p->detail, p->ndetail, p->held, p->first_held_ms, now_ms);
            p->held = 0;
            s_free_held (p);
        }
        else if (!p->held && now_ms - p->last_sent_ms >= 10ull * (uint64_t) self->interval_ms) {
            if (!quiet) {
                quiet = zlistx_new ();
                zlistx_set_destructor (quiet, (zlistx_destructor_fn *) zstr_free);
            }
            zlistx_add_end (quiet, strdup ((const char *) zhashx_cursor (self->pairs)));
        }
    }
    for (char *k = quiet ? (char *) zlistx_first (quiet) : NULL; k; k = (char *) zlistx_next (quiet))
        zhashx_delete (self->pairs, k);
    zlistx_destroy (&quiet);
}

void
bus_alerts_counts (bus_alerts_t *self, uint64_t *raised, uint64_t *sent)
{
    assert (self);
    if (raised)
        *raised = self->raised;
    if (sent)
        *sent = self->sent;
}
