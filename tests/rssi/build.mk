$(eval $(call add_test,test_rssi_units,tests/rssi/test_rssi_units.c,rssi))
