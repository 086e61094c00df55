# tests/builder: the builder's modules on their own (tests/builder.sh runs
# the service end to end).
$(eval $(call add_test,test_builder_units,tests/builder/test_builder_units.c,labtest builder labd bus fwcore))
$(eval $(call add_test,test_chat_fw_units,tests/builder/test_chat_fw_units.c,chat bus))
