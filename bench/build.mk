# bench/: benchmark programs, run by tools/bench.sh through bench/NN-*.sh.
$(eval $(call add_prog,bus-bench,bench/bus_bench.c,bus))
$(eval $(call add_prog,supervisor-bench,bench/supervisor_bench.c,bus))
$(eval $(call add_prog,rssi-bench,bench/rssi_bench.c,rssi labsimchan))
$(eval $(call add_prog,otaz-bench,bench/otaz_bench.c,otadeflate fwcore))
