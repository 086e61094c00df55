$(eval $(call add_test,test_rssi_units,tests/rssi/test_rssi_units.c,rssi labsimchan))
$(eval $(call add_test,test_rssi_channel,tests/rssi/test_rssi_channel.c,labsim fwcore bus))
