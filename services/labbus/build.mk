# labbus: the broker process.
$(eval $(call add_prog,labbus,services/labbus/main.c,bus))
