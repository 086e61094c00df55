/* evalq_wer - word error rate (see evalq_wer.h for the definition and the
 * normalisation). The alignment is the classic Levenshtein table over words,
 * O(N*M) time with two rows for the distances and one byte per cell for the
 * backtrace, so 4096 x 4096 words costs 16 MB at most. */
#include "services/eval-runner/quality/evalq_wer.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { OP_HIT, OP_SUB, OP_DEL, OP_INS };

static bool
s_alnum (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static bool
s_word_char (const unsigned char *p, const unsigned char *start)
{
    if (s_alnum (*p))
        return true;
    /* An apostrophe counts only between two word characters: "don't" stays
     * one word, a quoted 'word' loses its quotes. */
    return *p == '\'' && p > start && s_alnum (p[-1]) && s_alnum (p[1]);
}

size_t
evalq_wer_normalise (const char *text, char *out, size_t outlen)
{
    const unsigned char *start = (const unsigned char *) (text ? text : "");
    size_t n = 0, words = 0;
    bool in_word = false;
    if (outlen)
        out[0] = 0;
    for (const unsigned char *p = start; *p; p++) {
        if (s_word_char (p, start)) {
            if (!in_word) {
                if (words && n + 1 < outlen)
                    out[n++] = ' ';
                words++;
                in_word = true;
            }
            unsigned char c = *p;
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char) (c - 'A' + 'a');
            if (n + 1 < outlen)
                out[n++] = (char) c;
        }
        else
            in_word = false;
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = 0;
    return words;
}

size_t
evalq_wer_normalise_jiwer (const char *text, char *out, size_t outlen)
{
    /* RemoveMultipleSpaces (\s+ -> " "), Strip, split on " ": case and
     * punctuation stay as they are. */
    size_t n = 0, words = 0;
    bool in_word = false;
    if (outlen)
        out[0] = 0;
    for (const unsigned char *p = (const unsigned char *) (text ? text : ""); *p; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v';
        if (space) {
            in_word = false;
            continue;
        }
        if (!in_word) {
            if (words && n + 1 < outlen)
                out[n++] = ' ';
            words++;
            in_word = true;
        }
        if (n + 1 < outlen)
            out[n++] = (char) *p;
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = 0;
    return words;
}

/* Splits a normalised text in place into at most MAX words. */
static size_t
s_split (char *text, char **words, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r (text, " ", &save); w; w = strtok_r (NULL, " ", &save)) {
        if (n == max)
            return max + 1;
        words[n++] = w;
    }
    return n;
}

static char *
s_normalised (const char *text, evalq_wer_mode_t mode)
{
    size_t cap = strlen (text ? text : "") + 1;
    char *out = (char *) malloc (cap);
    if (out && mode == EVALQ_WER_JIWER_DEFAULT)
        evalq_wer_normalise_jiwer (text, out, cap);
    else if (out)
        evalq_wer_normalise (text, out, cap);
    return out;
}

int
evalq_wer_add (evalq_wer_t *acc, const char *reference, const char *hypothesis)
{
    return evalq_wer_add_mode (acc, reference, hypothesis, EVALQ_WER_OURS);
}

int
evalq_wer_add_mode (evalq_wer_t *acc, const char *reference, const char *hypothesis, evalq_wer_mode_t mode)
{
    char *rt = s_normalised (reference, mode), *ht = s_normalised (hypothesis, mode);
    char **r = (char **) calloc (EVALQ_WER_MAX_WORDS, sizeof (char *));
    char **h = (char **) calloc (EVALQ_WER_MAX_WORDS, sizeof (char *));
    size_t n = rt && r ? s_split (rt, r, EVALQ_WER_MAX_WORDS) : EVALQ_WER_MAX_WORDS + 1;
    size_t m = ht && h ? s_split (ht, h, EVALQ_WER_MAX_WORDS) : EVALQ_WER_MAX_WORDS + 1;
    int rc = -1;
    uint8_t *op = NULL;
    uint32_t *prev = NULL, *cur = NULL;
    if (n > EVALQ_WER_MAX_WORDS || m > EVALQ_WER_MAX_WORDS)
        goto done;
    op = (uint8_t *) malloc ((n + 1) * (m + 1));
    prev = (uint32_t *) malloc ((m + 1) * sizeof (uint32_t));
    cur = (uint32_t *) malloc ((m + 1) * sizeof (uint32_t));
    if (!op || !prev || !cur)
        goto done;
    /* op[i][j]: the last edit of the best alignment of r[0..i) to h[0..j). */
    for (size_t j = 0; j <= m; j++) {
        prev[j] = (uint32_t) j;
        op[j] = OP_INS;
    }
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (uint32_t) i;
        op[i * (m + 1)] = OP_DEL;
        for (size_t j = 1; j <= m; j++) {
            bool same = !strcmp (r[i - 1], h[j - 1]);
            uint32_t diag = prev[j - 1] + (same ? 0 : 1), del = prev[j] + 1, ins = cur[j - 1] + 1;
            /* Ties prefer the diagonal, then deletion: the same total as any
             * other choice, and the split jiwer's aligner reports. */
            uint32_t best = diag;
            uint8_t o = same ? OP_HIT : OP_SUB;
            if (del < best) {
                best = del;
                o = OP_DEL;
            }
            if (ins < best) {
                best = ins;
                o = OP_INS;
            }
            cur[j] = best;
            op[i * (m + 1) + j] = o;
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
    }
    evalq_wer_t c = { 0 };
    c.ref_words = n;
    for (size_t i = n, j = m; i || j;) {
        switch (op[i * (m + 1) + j]) {
        case OP_HIT: c.hits++; i--; j--; break;
        case OP_SUB: c.sub++; i--; j--; break;
        case OP_DEL: c.del++; i--; break;
        default: c.ins++; j--; break;
        }
    }
    acc->sub += c.sub;
    acc->del += c.del;
    acc->ins += c.ins;
    acc->hits += c.hits;
    acc->ref_words += c.ref_words;
    rc = 0;
done:
    free (op);
    free (prev);
    free (cur);
    free (r);
    free (h);
    free (rt);
    free (ht);
    return rc;
}

double
evalq_wer_rate (const evalq_wer_t *c)
{
    size_t errors = c->sub + c->del + c->ins;
    if (!c->ref_words)
        return (double) errors;
    return (double) errors / (double) c->ref_words;
}
