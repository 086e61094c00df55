/* ota_service - the ota-initiator service: push jobs from the bus, each
 * driven by an ota_engine through serial-bridge and the initiator board,
 * progress on state.ota.<job>, the result once the responder has booted and
 * confirmed the new image. Jobs are persisted under the state directory, so
 * a restart of this service, the bridge or either board resumes the push. */
#ifndef OTA_SERVICE_H
#define OTA_SERVICE_H

#include <stddef.h>

typedef struct _ota_service_t ota_service_t;

ota_service_t *ota_service_new (const char *config_path, char *err, size_t errlen);
void ota_service_destroy (ota_service_t **self_p);
int ota_service_run (ota_service_t *self);

#endif
