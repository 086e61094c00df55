/* evalq_wer - word error rate, as jiwer computes it:
 *
 *     WER = (S + D + I) / N
 *
 * S, D, I are the substitutions, deletions and insertions of a minimum edit
 * alignment of the hypothesis words to the N reference words. Over a corpus
 * the counts are summed first and divided once (not a mean of per-sentence
 * rates), so a long utterance weighs more than a short one.
 *
 * What counts as a word depends on the normalisation, and two are offered:
 *
 *   EVALQ_WER_OURS (the row's `wer`, the one the verifier and the decision
 *   use): 1. ASCII letters to lower case; 2. every character that is not a
 *   letter, a digit, an apostrophe inside a word or a byte of a multi-byte
 *   UTF-8 character becomes a SPACE (punctuation, hyphens, symbols); 3. runs
 *   of white space collapse. "Crash-looping." is the two words "crash
 *   looping". This is NOT jiwer's ToLowerCase + RemovePunctuation: jiwer's
 *   RemovePunctuation deletes the characters, so jiwer would read one word
 *   "crashlooping" there.
 *
 *   EVALQ_WER_JIWER_DEFAULT (the row's `wer_jiwer_default`): what
 *   jiwer.wer(reference, hypothesis) does with no transform given
 *   (wer_default: RemoveMultipleSpaces, Strip, ReduceToListOfListOfWords):
 *   words are what white space separates; case and punctuation count, so
 *   "The" against "the" is a substitution.
 *
 * A transcript differs from its reference in case and punctuation for
 * reasons a listener does not hear; ours ignores them, jiwer's default does
 * not. Both are in the row so either can be quoted. */
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

typedef enum { EVALQ_WER_OURS, EVALQ_WER_JIWER_DEFAULT } evalq_wer_mode_t;
/* The same with the normalisation MODE (evalq_wer_add is EVALQ_WER_OURS). */
int evalq_wer_add_mode (evalq_wer_t *acc, const char *reference, const char *hypothesis, evalq_wer_mode_t mode);

/* (S + D + I) / N; 0 when N and the edits are both 0; when N is 0 but there
 * were insertions, the insertions count as the rate (jiwer refuses an empty
 * reference; a scenario's reference is never empty, so this only guards). */
double evalq_wer_rate (const evalq_wer_t *c);

/* Writes the normalised text of TEXT into OUT (words separated by one
 * space); returns the number of words. */
size_t evalq_wer_normalise (const char *text, char *out, size_t outlen);
/* jiwer's default: white space runs to one space, stripped; nothing else. */
size_t evalq_wer_normalise_jiwer (const char *text, char *out, size_t outlen);

#endif
