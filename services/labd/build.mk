# labd: the supervisor.
LABD_SRC := services/labd/labd.c services/labd/labd_config.c services/labd/labd_proc.c \
    services/labd/labd_liveness.c services/labd/labd_alerts.c services/labd/labd_ctl.c \
    services/labd/labd_health.c
$(eval $(call add_lib,labd,$(LABD_SRC)))
$(eval $(call add_prog,labd,services/labd/main.c,labd bus))
LABCTL_SRC += services/labctl/labctl_labd.c services/labctl/labctl_ctl.c
$(eval $(call add_fuzz,fuzz_labd_config,fuzz/fuzz_labd_config.c services/labd/labd_config.c $(BUILD)/gen/lab.pb-c.c bus/lab_config.c,))
$(eval $(call add_fuzz,fuzz_labd_ctl,fuzz/fuzz_labd_ctl.c services/labd/labd_ctl.c,))
