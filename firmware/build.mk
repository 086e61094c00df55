# firmware/core: the portable board core (no heap, no OS calls), shared by the
# ESP-IDF projects and labsim. Library "fwcore".
FWCORE_SRC := firmware/core/lab_crc32.c firmware/core/espnow_hdr.c firmware/core/app_desc.c
# Each area appends its core sources (FWCORE_SRC += ...) directly below its
# own marker.
# area:boards
FWCORE_SRC += firmware/core/link_frame.c firmware/core/board_core.c
$(eval $(call add_fuzz,fuzz_link_frame,fuzz/fuzz_link_frame.c firmware/core/link_frame.c firmware/core/lab_crc32.c,))
# area:ota
FWCORE_SRC += firmware/core/ota_proto.c firmware/core/ota_responder.c firmware/core/ota_sig.c
# compressed OTA: the streaming inflater (ROM tinfl on the ESP32, zlib here)
FWCORE_SRC += firmware/core/ota_inflate.c
$(eval $(call add_fuzz,fuzz_ota_inflate,fuzz/fuzz_ota_inflate.c firmware/core/ota_inflate.c,))
# area:rssi

$(eval $(call add_lib,fwcore,$(FWCORE_SRC)))
