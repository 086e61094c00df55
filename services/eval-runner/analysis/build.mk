# evala: analysis of a finished sweep (rows, figures, the decision), linked by
# eval-runner (its `decide` command) and labctl (decide, report). It needs
# eval_metrics (percentiles) from evalrun: link evala before evalrun.
EVALA_SRC := services/eval-runner/analysis/evala_cohort.c services/eval-runner/analysis/evala_decide.c \
             services/eval-runner/analysis/evala_sweep.c
$(eval $(call add_lib,evala,$(EVALA_SRC)))
LABCTL_LIBS += evala evalrun
