$(eval $(call add_test,test_quality_units,tests/quality/test_quality_units.c,evalq bus))
