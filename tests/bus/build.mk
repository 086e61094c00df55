# tests/bus: broker, client library, config and recorder.
# bus_fixture.c: the directory + real broker + status set-up those tests share.
BUS_FIXTURE := tests/bus/bus_fixture.c
$(eval $(call add_test,test_bus,tests/bus/test_bus.c $(BUS_FIXTURE),labtest bus))
$(eval $(call add_test,test_bus_units,tests/bus/test_bus_units.c,bus))
$(eval $(call add_test,test_bus_curve,tests/bus/test_bus_curve.c,labtest bus))
$(eval $(call add_test,test_bus_topics,tests/bus/test_bus_topics.c $(BUS_FIXTURE),labtest bus))
$(eval $(call add_test,test_bus_names,tests/bus/test_bus_names.c $(BUS_FIXTURE),labtest bus))
$(eval $(call add_test,test_bus_senders,tests/bus/test_bus_senders.c $(BUS_FIXTURE),labtest bus))
$(eval $(call add_test,test_bus_storm,tests/bus/test_bus_storm.c $(BUS_FIXTURE),labtest bus))
$(eval $(call add_test,test_bus_hostile,tests/bus/test_bus_hostile.c $(BUS_FIXTURE),webtest web serial fwcore labtest bus))
$(eval $(call add_test,test_bus_alerts,tests/bus/test_bus_alerts.c $(BUS_FIXTURE),serial fwcore labtest bus))
$(eval $(call add_test,test_lab_helpers,tests/bus/test_lab_helpers.c,bus))
# fuzz_bus_handlers (fuzz/fuzz_bus_handlers.c) compiles the sources of the
# services whose bus handlers it feeds, so it is defined here, after every
# services/*/build.mk has set its *_SRC list.
$(eval $(call add_fuzz,fuzz_bus_handlers,fuzz/fuzz_bus_handlers.c $(sort $(BUS_SRC) services/web/web_metrics.c $(CHAT_SRC)),))
