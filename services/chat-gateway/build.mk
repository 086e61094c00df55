# chat-gateway: the lab from a phone.
CHAT_SRC := services/chat-gateway/chat_cmd.c services/chat-gateway/chat_gateway.c \
            services/chat-gateway/chat_telegram.c services/chat-gateway/chat_text.c \
            services/chat-gateway/chat_updates.c services/chat-gateway/chat_journal.c \
            services/chat-gateway/chat_sender.c services/chat-gateway/chat_fw.c
$(eval $(call add_lib,chat,$(CHAT_SRC)))
$(eval $(call add_prog,chat-gateway,services/chat-gateway/main.c,chat bus))
$(eval $(call add_fuzz,fuzz_chat,fuzz/fuzz_chat.c services/chat-gateway/chat_cmd.c services/chat-gateway/chat_text.c services/chat-gateway/chat_updates.c services/chat-gateway/chat_journal.c $(BUILD)/gen/lab.pb-c.c,))
LABCTL_SRC += services/labctl/labctl_chat.c
# bench/70-chat.sh (kept here, next to the service, so bench/build.mk stays untouched)
$(eval $(call add_prog,chat-bench,bench/chat_bench.c tests/chat/chat_fixture.c tests/chat/fake_bot_api.c,chat labtest bus))
