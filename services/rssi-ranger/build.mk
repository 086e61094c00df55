# rssi-ranger: RSSI -> distance with calibration.
RSSI_SRC := services/rssi-ranger/rssi_model.c services/rssi-ranger/rssi_store.c \
            services/rssi-ranger/rssi_kalman.c services/rssi-ranger/rssi_motion.c
$(eval $(call add_lib,rssi,$(RSSI_SRC)))
$(eval $(call add_prog,rssi-ranger,services/rssi-ranger/rssi_ranger.c,rssi bus))
$(eval $(call add_fuzz,fuzz_rssi_calib,fuzz/fuzz_rssi_calib.c $(RSSI_SRC),))
LABCTL_SRC += services/labctl/labctl_rssi.c
