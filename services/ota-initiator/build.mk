# ota-initiator: OTA pushes over ESP-NOW.
OTA_SRC := services/ota-initiator/ota_engine.c services/ota-initiator/ota_image.c \
           services/ota-initiator/ota_service.c services/ota-initiator/ota_sign.c services/ota-initiator/ota_pair.c \
           services/ota-initiator/ota_deflate.c
# One push to many boards (broadcast chunks, per-board results).
OTA_SRC += services/ota-initiator/ota_multi.c services/ota-initiator/ota_payload.c
$(eval $(call add_lib,ota,$(OTA_SRC)))
$(eval $(call add_prog,ota-initiator,services/ota-initiator/main.c,ota fwcore bus))
LABCTL_SRC += services/labctl/labctl_ota.c services/labctl/labctl_labkeys.c
LABCTL_LIBS += ota fwcore
$(eval $(call add_fuzz,fuzz_ota,fuzz/fuzz_ota.c services/ota-initiator/ota_image.c firmware/core/app_desc.c firmware/core/ota_proto.c firmware/core/ota_responder.c firmware/core/ota_inflate.c firmware/core/ota_sig.c firmware/core/board_core.c firmware/core/link_frame.c firmware/core/espnow_hdr.c firmware/core/lab_crc32.c,))
# Compressed pushes: the image deflated in independent blocks (in "ota" for
# the push path; alone as "otadeflate" for the benches and inflate tests).
$(eval $(call add_lib,otadeflate,services/ota-initiator/ota_deflate.c))
# Hostile ACKs to a push to several boards.
$(eval $(call add_fuzz,fuzz_ota_multi,fuzz/fuzz_ota_multi.c services/ota-initiator/ota_multi.c services/ota-initiator/ota_payload.c services/ota-initiator/ota_engine.c firmware/core/ota_proto.c firmware/core/lab_crc32.c,))
