/* evalq_wer - word error rate, as jiwer defines it:
 *
 *     WER = (S + D + I) / N
 *
 * S, D, I are the substitutions, deletions and insertions of a minimum edit
 * alignment of the hypothesis words to the N reference words. Over a corpus
 * the counts are summed first and divided once (not a mean of per-sentence
 * rates), so a long utterance weighs more than a short one.
 *
 * Both texts are normalised before they are split into words:
 *   1. ASCII letters to lower case;
 *   2. every character that is not a letter, a digit, an apostrophe inside a
 *      word or a byte of a multi-byte UTF-8 character becomes a space
 *      (punctuation, hyphens, symbols);
 *   3. runs of white space collapse; words are what the spaces separate.
 * This is jiwer's ToLowerCase + RemovePunctuation + RemoveMultipleSpaces +
 * Strip + ReduceToListOfListOfWords, written out so the rule is fixed here. */
#ifndef EVALQ_WER_H
#define EVALQ_WER_H

#include <stddef.h>

typedef struct {
    size_t sub, del, ins;   /* edits of the alignment */
    size_t hits;            /* reference words matched exactly */
    size_t ref_words;       /* N */
} evalq_wer_t;

/* Adds the counts of one (reference, hypothesis) pair to *ACC (zero it
 * first for a single pair). Returns 0, or -1 when the texts are too long to
 * align (more than EVALQ_WER_MAX_WORDS words each); *ACC is then unchanged. */
#define EVALQ_WER_MAX_WORDS 4096
int evalq_wer_add (evalq_wer_t *acc, const char *reference, const char *hypothesis);

/* (S + D + I) / N; 0 when N and the edits are both 0; when N is 0 but there
 * were insertions, the insertions count as the rate (jiwer refuses an empty
 * reference; a scenario's reference is never empty, so this only guards). */
double evalq_wer_rate (const evalq_wer_t *c);

/* Writes the normalised text of TEXT into OUT (words separated by one
 * space); returns the number of words. */
size_t evalq_wer_normalise (const char *text, char *out, size_t outlen);

#endif
