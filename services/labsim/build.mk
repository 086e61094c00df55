# labsim: simulated boards, LLM server and test images.
LABSIM_SRC := services/labsim/labsim_boards.c services/labsim/labsim_llm.c \
              services/labsim/labsim_mkimage.c
# Each area appends its own sources directly below its marker.
# area:boards
LABSIM_SRC += services/labsim/labsim_board.c services/labsim/labsim_radio.c \
              services/labsim/labsim_board_ext.c services/labsim/labsim_espnow.c
# area:ota
LABSIM_SRC := $(filter-out services/labsim/labsim_board_ext.c,$(LABSIM_SRC)) services/labsim/labsim_ota.c
LABSIM_SRC += services/labsim/labsim_appfill.c
# area:rssi
LABSIM_SRC += services/labsim/labsim_channel.c
# The channel alone, for the rssi benches and tests (they never link labsim).
$(eval $(call add_lib,labsimchan,services/labsim/labsim_channel.c))
# area:eval
LABSIM_SRC += services/labsim/labsim_llm_model.c services/eval-runner/eval_scenario.c
LABSIM_LIBS := labsim ota fwcore fwsim bus
$(eval $(call add_lib,labsim,$(LABSIM_SRC)))
$(eval $(call add_prog,labsim,services/labsim/main.c,$(LABSIM_LIBS)))
