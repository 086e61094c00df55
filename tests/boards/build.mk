# tests/boards: link protocol, board core, labsim boards, serial-bridge, ping-pong.
$(eval $(call add_test,test_link_frame,tests/boards/test_link_frame.c,fwcore))
$(eval $(call add_test,test_board_core,tests/boards/test_board_core.c,fwcore))
