# tests/otaz: compressed OTA groundwork - the blocked deflate and the
# streaming inflater on the labsim test images.
$(eval $(call add_test,test_ota_inflate_units,tests/otaz/test_ota_inflate_units.c services/labsim/labsim_appfill.c,otadeflate fwcore))
# Compressed pushes end to end in one process: engine -> responder core ->
# the bench firmware's flash glue on the IDF fake (NOR flash model).
$(BUILD)/obj/tests/otaz/test_ota_compressed.o: CFLAGS += -Itests/firmware/idf-v5.5 -Itests/firmware/idf
$(eval $(call add_test,test_ota_compressed,tests/otaz/test_ota_compressed.c services/ota-initiator/ota_engine.c firmware/bench/main/bench_ota.c tests/firmware/idf_fake.c tests/firmware/bench_sig_host.c services/labsim/labsim_appfill.c,labtest otadeflate ota fwcore fwsim bus))
