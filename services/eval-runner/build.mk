# eval-runner: backend evaluation over OpenAI-compatible HTTP.
EVALRUN_SRC := services/eval-runner/eval_sse.c services/eval-runner/eval_metrics.c \
               services/eval-runner/eval_openai.c services/eval-runner/eval_request.c \
               services/eval-runner/eval_scenario.c services/eval-runner/eval_plan.c \
               services/eval-runner/eval_rows.c services/eval-runner/eval_backend.c \
               services/eval-runner/eval_sweep.c services/eval-runner/eval_summary.c \
               services/eval-runner/eval_server.c services/eval-runner/eval_memprobe.c \
               services/eval-runner/eval_http.c
# (eval-runner does not link the simulator: the template fingerprint is its own, eval_server.c)
$(eval $(call add_lib,evalrun,$(EVALRUN_SRC)))
$(eval $(call add_prog,eval-runner,services/eval-runner/main.c,evala evalrun evalq bus))
LABCTL_SRC += services/labctl/labctl_eval.c
# Fuzz targets for the runner's parsers (SSE stream, OpenAI JSON).
$(eval $(call add_fuzz,fuzz_sse,fuzz/fuzz_sse.c services/eval-runner/eval_sse.c services/eval-runner/eval_openai.c services/eval-runner/eval_request.c services/eval-runner/eval_metrics.c services/eval-runner/eval_http.c bus/lab_stats.c bus/bus_clock.c bus/lab_curl.c,))
$(eval $(call add_fuzz,fuzz_openai_json,fuzz/fuzz_openai_json.c services/eval-runner/eval_openai.c services/eval-runner/eval_scenario.c $(BUILD)/gen/lab.pb-c.c bus/lab_config.c,))
$(eval $(call add_prog,eval-bench,bench/eval_bench.c,evalrun bus))
$(eval $(call add_fuzz,fuzz_memprobe,fuzz/fuzz_memprobe.c services/eval-runner/eval_memprobe.c bus/lab_proc.c bus/lab_spawn.c,))
