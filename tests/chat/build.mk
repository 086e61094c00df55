$(eval $(call add_test,test_chat,tests/chat/test_chat.c,chat labtest bus))
