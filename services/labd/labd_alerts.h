/* labd_alerts - alerts that do not depend on the bus.
 *
 * Every alert is recorded at once where no broker is needed: labd's stderr
 * (the journal, under systemd), syslog, and a JSON line in
 * LOGDIR/alerts.log. Its bus copy (evt.alert.*, what reaches the phone) is
 * published at once when the bus is up, or held while it is down and sent
 * once it is back: one entry per kind and subject, counting repeats, so a
 * broker killed ten times yields one message "... (10 times while the bus
 * was down)", not ten, and nothing is lost. */
#ifndef LABD_ALERTS_H
#define LABD_ALERTS_H

#include <stdbool.h>
#include <stddef.h>

#define LABD_ALERTS_HELD_MAX 32

typedef struct {
    char severity[16];
    char kind[48];
    char subject[64];
    char text[512];
    int count;            /* how often it was raised while held */
} labd_alert_t;

typedef struct _labd_alerts_t labd_alerts_t;

labd_alerts_t *labd_alerts_new (const char *logdir);
void labd_alerts_destroy (labd_alerts_t **self_p);

/* Writes the alert to stderr, syslog and LOGDIR/alerts.log. */
void labd_alerts_record (labd_alerts_t *self, const labd_alert_t *alert);
/* Keeps the alert for the bus; a second one of the same kind and subject
 * replaces the text and counts. When full, the oldest is dropped (counted). */
void labd_alerts_hold (labd_alerts_t *self, const labd_alert_t *alert);
/* Takes the oldest held alert into OUT; false when none is held. */
bool labd_alerts_pop (labd_alerts_t *self, labd_alert_t *out);
size_t labd_alerts_held (labd_alerts_t *self);
/* Alerts dropped because too many were held. */
size_t labd_alerts_dropped (labd_alerts_t *self);

#endif
