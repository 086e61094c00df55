# tests/labd: the supervisor against real labbus and misbehaving children.
$(eval $(call add_prog,lab-fake-service,tests/labd/fake_service.c,bus))
$(eval $(call add_test,test_labd,tests/labd/test_labd.c,labd labtest bus))
