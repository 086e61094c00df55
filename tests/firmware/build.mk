# tests/firmware: host checks of the ESP-IDF projects.
$(eval $(call add_test,test_partitions,tests/firmware/test_partitions.c,))
