$(eval $(call add_test,test_quality_units,tests/quality/test_quality_units.c,evalq bus))
$(eval $(call add_test,test_judge_units,tests/quality/test_judge_units.c,judge evalq evalrun labtest bus))
