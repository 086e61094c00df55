/* labd_alerts - the alert log and the queue of alerts waiting for the bus.
 * The queue is a small array kept in arrival order; it is bounded, and
 * repeats of one kind and subject fold into one entry. */
#include "services/labd/labd_alerts.h"
#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

struct _labd_alerts_t {
    char path[1024];
    labd_alert_t held[LABD_ALERTS_HELD_MAX];
    size_t nheld;
    size_t dropped;
};

labd_alerts_t *
labd_alerts_new (const char *logdir)
{
    labd_alerts_t *self = (labd_alerts_t *) zmalloc (sizeof (labd_alerts_t));
    snprintf (self->path, sizeof self->path, "%s/alerts.log", logdir);
    return self;
}

void
labd_alerts_destroy (labd_alerts_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
labd_alerts_record (labd_alerts_t *self, const labd_alert_t *a)
{
    assert (self && a);
    zsys_warning ("labd: alert %s %s.%s: %s", a->severity, a->kind, a->subject, a->text);
    syslog (LOG_USER | (strcmp (a->severity, "error") ? LOG_WARNING : LOG_ERR), "labd: %s.%s: %s",
            a->kind, a->subject, a->text);
    FILE *f = fopen (self->path, "a");
    if (!f)
        return;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    json_t *line = json_pack ("{s:f, s:s, s:s, s:s, s:s}", "ts", ts.tv_sec + ts.tv_nsec / 1e9,
                              "severity", a->severity, "kind", a->kind, "subject", a->subject,
                              "text", a->text);
    if (line) {
        json_dumpf (line, f, JSON_COMPACT);
        fputc ('\n', f);
        json_decref (line);
    }
    fclose (f);
}

void
labd_alerts_hold (labd_alerts_t *self, const labd_alert_t *a)
{
    assert (self && a);
    for (size_t i = 0; i < self->nheld; i++) {
        labd_alert_t *h = &self->held[i];
        if (!strcmp (h->kind, a->kind) && !strcmp (h->subject, a->subject)) {
            snprintf (h->severity, sizeof h->severity, "%s", a->severity);
            snprintf (h->text, sizeof h->text, "%s", a->text);
            h->count++;
            return;
        }
    }
    if (self->nheld == LABD_ALERTS_HELD_MAX) {
        memmove (&self->held[0], &self->held[1], (LABD_ALERTS_HELD_MAX - 1) * sizeof (labd_alert_t));
        self->nheld--;
        self->dropped++;
    }
    self->held[self->nheld] = *a;
    self->held[self->nheld].count = 1;
    self->nheld++;
}

bool
labd_alerts_pop (labd_alerts_t *self, labd_alert_t *out)
{
    assert (self && out);
    if (self->nheld == 0)
        return false;
    *out = self->held[0];
    memmove (&self->held[0], &self->held[1], (self->nheld - 1) * sizeof (labd_alert_t));
    self->nheld--;
    return true;
}

size_t
labd_alerts_held (labd_alerts_t *self)
{
    assert (self);
    return self->nheld;
}

size_t
labd_alerts_dropped (labd_alerts_t *self)
{
    assert (self);
    return self->dropped;
}
