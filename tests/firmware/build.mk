# tests/firmware: host checks of the ESP-IDF projects. The glue compiles
# against the ESP-IDF stand-in headers in tests/firmware/idf and runs on the
# fake in idf_fake.c.
$(eval $(call add_test,test_partitions,tests/firmware/test_partitions.c,))
$(BUILD)/obj/tests/firmware/%.o: CFLAGS += -Itests/firmware/idf-v5.5 -Itests/firmware/idf
# The glue's pdMS_TO_TICKS is the checked one (tick_check.h): the IDF fake
# records any nonzero wait that became 0 ticks at CONFIG_FREERTOS_HZ.
$(BUILD)/obj/firmware/bench/main/%.o: CFLAGS += -Itests/firmware/idf-v5.5 -Itests/firmware/idf -include tests/firmware/tick_check.h
$(eval $(call add_test,test_bench_glue,tests/firmware/test_bench_glue.c tests/firmware/idf_fake.c firmware/bench/main/bench_port.c firmware/bench/main/bench_ota.c tests/firmware/bench_sig_host.c,labtest ota fwcore fwsim bus))
$(eval $(call add_test,test_flash_model_units,tests/firmware/test_flash_model_units.c,fwsim))
