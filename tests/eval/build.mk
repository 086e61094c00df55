# tests/eval: eval-runner units and the sweep against labsim llm.
$(eval $(call add_test,test_eval_units,tests/eval/test_eval_units.c,labtest evalrun bus))
$(eval $(call add_test,test_eval_sweep,tests/eval/test_eval_sweep.c,labtest evalrun evalq bus))
$(eval $(call add_test,test_eval_decide,tests/eval/test_eval_decide.c,evala evalrun labtest bus))
$(eval $(call add_test,test_eval_compat,tests/eval/test_eval_compat.c,evalrun bus))
