# labsim: simulated boards, LLM server and test images.
LABSIM_SRC := services/labsim/labsim_boards.c services/labsim/labsim_llm.c \
              services/labsim/labsim_mkimage.c
# Each area appends its own sources directly below its marker.
# area:boards
LABSIM_SRC += services/labsim/labsim_board.c services/labsim/labsim_radio.c \
              services/labsim/labsim_board_ext.c
# area:ota
LABSIM_SRC := $(filter-out services/labsim/labsim_board_ext.c,$(LABSIM_SRC)) services/labsim/labsim_ota.c
# area:rssi
# area:eval
LABSIM_SRC += services/labsim/labsim_llm_model.c services/eval-runner/eval_scenario.c
LABSIM_LIBS := labsim fwcore fwsim bus
$(eval $(call add_lib,labsim,$(LABSIM_SRC)))
$(eval $(call add_prog,labsim,services/labsim/main.c,$(LABSIM_LIBS)))
