# serial-bridge: boards' serial ports <-> the bus.
SERIAL_SRC := services/serial-bridge/serial_bridge.c services/serial-bridge/sb_board.c \
              services/serial-bridge/sb_port.c services/serial-bridge/sb_addr2line.c
$(eval $(call add_lib,serial,$(SERIAL_SRC)))
$(eval $(call add_prog,serial-bridge,services/serial-bridge/main.c,serial fwcore bus))
LABCTL_SRC += services/labctl/labctl_boards.c
$(eval $(call add_prog,serial-bench,bench/serial_bench.c bench/bench_boards.c,fwcore bus))
$(eval $(call add_prog,serial-load-bench,bench/serial_load_bench.c bench/bench_boards.c,fwcore bus))
