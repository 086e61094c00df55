# firmware/sim: the chip as host tests and labsim see it (NOR flash, the
# application image format, ESP-IDF's OTA write path), built from ESP-IDF
# v5.5 semantics. Library "fwsim"; needs libcrypto (SHA-256).
$(eval $(call add_lib,fwsim,firmware/sim/nor_flash.c firmware/sim/app_image.c firmware/sim/sim_ota.c firmware/sim/sim_sig.c))
$(eval $(call add_fuzz,fuzz_ota_sig,fuzz/fuzz_ota_sig.c firmware/core/ota_sig.c firmware/sim/app_image.c,))
