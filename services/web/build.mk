# web: the dashboard, /events and /metrics, fed from the bus.
WEB_SRC := services/web/web_filter.c services/web/web_hub.c services/web/web_metrics.c \
           services/web/web_server.c
$(eval $(call add_lib,web,$(WEB_SRC)))
$(eval $(call add_prog,web,services/web/main.c,web bus))
$(eval $(call add_fuzz,fuzz_web_query,fuzz/fuzz_web_query.c services/web/web_filter.c,))
