# tests/otaz: compressed OTA groundwork - the blocked deflate and the
# streaming inflater on the labsim test images.
$(eval $(call add_test,test_ota_inflate_units,tests/otaz/test_ota_inflate_units.c services/labsim/labsim_appfill.c,otadeflate fwcore))
