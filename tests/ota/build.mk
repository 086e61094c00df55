# tests/ota: the OTA protocol in one process, and end to end on labsim.
$(eval $(call add_test,test_ota_units,tests/ota/test_ota_units.c services/ota-initiator/ota_engine.c,fwcore))
