# firmware/core: the portable board core (no heap, no OS calls), shared by the
# ESP-IDF projects and labsim. Library "fwcore".
FWCORE_SRC := firmware/core/lab_crc32.c firmware/core/espnow_hdr.c
# Each area appends its core sources (FWCORE_SRC += ...) directly below its
# own marker.
# area:boards
# area:ota
# area:rssi

$(eval $(call add_lib,fwcore,$(FWCORE_SRC)))
