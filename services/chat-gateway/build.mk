# chat-gateway: the lab from a phone.
CHAT_SRC := services/chat-gateway/chat_cmd.c services/chat-gateway/chat_gateway.c \
            services/chat-gateway/chat_telegram.c
$(eval $(call add_lib,chat,$(CHAT_SRC)))
$(eval $(call add_prog,chat-gateway,services/chat-gateway/main.c,chat bus))
$(eval $(call add_fuzz,fuzz_chat,fuzz/fuzz_chat.c services/chat-gateway/chat_cmd.c services/chat-gateway/chat_telegram.c services/chat-gateway/chat_gateway.c $(BUILD)/gen/lab.pb-c.c bus/bus_client.c bus/bus_topic.c bus/lab_config.c bus/bus_status.c bus/bus_curve.c bus/bus_json.c,))
LABCTL_SRC += services/labctl/labctl_chat.c
