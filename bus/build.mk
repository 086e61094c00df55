# bus/: the generated protobuf code, the client library, config loading, broker.
BUS_SRC := $(BUILD)/gen/lab.pb-c.c bus/bus_status.c bus/lab_config.c bus/bus_client.c \
           bus/bus_broker.c bus/bus_recorder.c bus/bus_json.c bus/bus_curve.c bus/bus_service.c \
           bus/bus_topic.c bus/bus_names.c bus/bus_conns.c bus/bus_cache.c bus/bus_alerts.c
# Helpers every program shares, one module each (docs/hacking.md).
BUS_SRC += bus/lab_proc.c bus/lab_spawn.c bus/bus_clock.c bus/lab_stats.c bus/lab_curl.c
$(eval $(call add_lib,bus,$(BUS_SRC)))
