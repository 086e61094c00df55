# tests/: shared test helpers (library "labtest").
$(eval $(call add_lib,labtest,tests/lab_test.c tests/lab_fixture.c))
