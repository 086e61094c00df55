# evalq: quality scoring library linked by eval-runner (and its tests).
EVALQ_SRC := services/eval-runner/quality/evalq.c services/eval-runner/quality/evalq_wer.c \
             services/eval-runner/quality/evalq_clean.c
$(eval $(call add_lib,evalq,$(EVALQ_SRC)))
$(eval $(call add_fuzz,fuzz_wer,fuzz/fuzz_wer.c services/eval-runner/quality/evalq_wer.c,))
$(eval $(call add_fuzz,fuzz_clean,fuzz/fuzz_clean.c services/eval-runner/quality/evalq_clean.c,))
