# tests/labd: the supervisor against real labbus and misbehaving children.
$(eval $(call add_prog,lab-fake-service,tests/labd/fake_service.c,bus))
$(eval $(call add_test,test_labd,tests/labd/test_labd.c tests/labd/labd_fixture.c,labd labtest bus))
$(eval $(call add_test,test_labd_spine,tests/labd/test_labd_spine.c tests/labd/labd_fixture.c,labtest bus))
$(eval $(call add_test,test_labd_units,tests/labd/test_labd_units.c,labd bus))
