$(eval $(call add_test,test_chat,tests/chat/test_chat.c tests/chat/chat_fixture.c tests/chat/fake_bot_api.c,chat labtest bus))
$(eval $(call add_test,test_chat_recovery,tests/chat/test_chat_recovery.c tests/chat/chat_fixture.c tests/chat/fake_bot_api.c,chat labtest bus))
