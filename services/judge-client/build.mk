# judge-client: LLM-as-judge on the bus.
$(eval $(call add_lib,judge,services/judge-client/judge.c))
$(eval $(call add_prog,judge-client,services/judge-client/main.c,judge evalq evalrun bus))
$(eval $(call add_fuzz,fuzz_judge_score,fuzz/fuzz_judge_score.c services/judge-client/judge.c services/eval-runner/quality/evalq.c services/eval-runner/quality/evalq_wer.c services/eval-runner/quality/evalq_clean.c services/eval-runner/eval_http.c $(BUILD)/gen/lab.pb-c.c bus/bus_client.c bus/bus_topic.c bus/lab_config.c bus/bus_status.c bus/bus_curve.c bus/bus_clock.c bus/lab_curl.c,))
LABCTL_SRC += services/labctl/labctl_quality.c services/labctl/labctl_evaldata.c services/labctl/labctl_score.c services/labctl/labctl_report.c
