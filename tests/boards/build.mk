# tests/boards: link protocol, board core, labsim boards, serial-bridge, ping-pong.
$(eval $(call add_test,test_link_frame,tests/boards/test_link_frame.c,fwcore))
$(eval $(call add_test,test_board_core,tests/boards/test_board_core.c,fwcore))
$(eval $(call add_test,test_labsim_radio,tests/boards/test_labsim_radio.c,labsim fwcore bus))
$(eval $(call add_test,test_boards_sim,tests/boards/test_boards_sim.c,labtest fwcore bus))
