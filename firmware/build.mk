# firmware/core: the portable board core (no heap, no OS calls), shared by the
# ESP-IDF projects and labsim. Library "fwcore".
FWCORE_SRC := firmware/core/lab_crc32.c firmware/core/espnow_hdr.c
$(eval $(call add_lib,fwcore,$(FWCORE_SRC)))
# Each area appends its core sources directly below its own marker.
# area:boards
# area:ota
# area:rssi
