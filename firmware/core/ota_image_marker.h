/* ota_image_marker - the string every image that carries the OTA responder
 * embeds (the bench firmware keeps it as a const in its image). ota-initiator
 * refuses, unless forced, an image without it: once booted, such an image
 * could not take the next OTA over ESP-NOW. */
#ifndef OTA_IMAGE_MARKER_H
#define OTA_IMAGE_MARKER_H

#define OTA_RESPONDER_MARKER "LABBUS-OTA-RESPONDER/1"

#endif
