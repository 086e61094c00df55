# tests/boards: link protocol, board core, labsim boards, serial-bridge, ping-pong.
$(eval $(call add_test,test_link_frame_units,tests/boards/test_link_frame_units.c,fwcore))
$(eval $(call add_test,test_board_core_units,tests/boards/test_board_core_units.c,fwcore))
$(eval $(call add_test,test_labsim_radio_units,tests/boards/test_labsim_radio_units.c,labsim ota fwcore fwsim bus))
$(eval $(call add_test,test_boards_sim,tests/boards/test_boards_sim.c,labtest fwcore bus))
$(eval $(call add_test,test_sb_port_units,tests/boards/test_sb_port_units.c,serial fwcore bus))
$(eval $(call add_test,test_sb_nowait,tests/boards/test_sb_nowait.c,labtest bus))
$(eval $(call add_test,test_labsim_espnow_units,tests/boards/test_labsim_espnow_units.c services/labsim/labsim_espnow.c,))
