# ota-initiator: OTA pushes over ESP-NOW.
OTA_SRC := services/ota-initiator/ota_engine.c services/ota-initiator/ota_image.c \
           services/ota-initiator/ota_service.c
$(eval $(call add_lib,ota,$(OTA_SRC)))
$(eval $(call add_prog,ota-initiator,services/ota-initiator/main.c,ota fwcore bus))
LABCTL_SRC += services/labctl/labctl_ota.c
LABCTL_LIBS += ota
