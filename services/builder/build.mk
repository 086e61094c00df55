# builder: firmware builds, artefacts, firmware history, reflash, diagnose.
BUILDER_SRC := services/builder/builder.c services/builder/fw_recipe.c services/builder/fw_image.c \
               services/builder/fw_store.c services/builder/fw_history.c \
               services/builder/fw_job.c services/builder/fw_diagnose.c
$(eval $(call add_lib,builder,$(BUILDER_SRC)))
$(eval $(call add_prog,builder,services/builder/main.c,builder labd bus fwcore))
LABCTL_SRC += services/labctl/labctl_builder.c
$(eval $(call add_fuzz,fuzz_builder,fuzz/fuzz_builder.c services/builder/fw_image.c firmware/core/app_desc.c services/builder/fw_store.c services/builder/fw_history.c services/builder/fw_recipe.c services/labd/labd_config.c bus/lab_config.c $(BUILD)/gen/lab.pb-c.c,))
