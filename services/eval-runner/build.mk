# eval-runner: backend evaluation over OpenAI-compatible HTTP.
EVALRUN_SRC := services/eval-runner/eval_sse.c services/eval-runner/eval_metrics.c \
               services/eval-runner/eval_openai.c services/eval-runner/eval_request.c \
               services/eval-runner/eval_scenario.c
$(eval $(call add_lib,evalrun,$(EVALRUN_SRC)))
