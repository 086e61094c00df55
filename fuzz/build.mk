# fuzz/: libFuzzer targets for the bus's own parsers. Other modules register
# theirs in their own build.mk.
FUZZ_BUS_SRC := $(BUILD)/gen/lab.pb-c.c bus/bus_json.c
$(eval $(call add_fuzz,fuzz_envelope,fuzz/fuzz_envelope.c $(FUZZ_BUS_SRC),))
$(eval $(call add_fuzz,fuzz_config,fuzz/fuzz_config.c $(BUILD)/gen/lab.pb-c.c bus/lab_config.c bus/bus_client.c bus/bus_topic.c bus/bus_json.c bus/bus_names.c bus/bus_conns.c bus/bus_cache.c bus/bus_broker.c bus/bus_recorder.c bus/bus_status.c bus/bus_curve.c bus/bus_clock.c,))
