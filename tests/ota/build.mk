# tests/ota: the OTA protocol in one process, and end to end on labsim.
# The responder writes through the bench firmware's glue onto the IDF fake.
$(BUILD)/obj/tests/ota/test_ota_units.o: CFLAGS += -Itests/firmware/idf-v5.5 -Itests/firmware/idf
$(eval $(call add_test,test_ota_units,tests/ota/test_ota_units.c services/ota-initiator/ota_engine.c firmware/bench/main/bench_ota.c tests/firmware/idf_fake.c tests/firmware/bench_sig_host.c,labtest ota fwcore fwsim bus))
# The broadcast push: the coordinator against four responders on an in-memory radio.
$(eval $(call add_test,test_ota_multi_units,tests/ota/test_ota_multi_units.c,labtest ota fwcore fwsim bus))
