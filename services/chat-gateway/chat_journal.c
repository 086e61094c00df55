/* chat_journal - see chat_journal.h. Every change is a record: written (and
 * fsync'd) first, then applied to the in-memory state by the same function a
 * replay uses, so the state after a restart is the state before it. */
#include "services/chat-gateway/chat_journal.h"
#include "services/chat-gateway/chat_text.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PIECES_MAX 16          /* pieces of one reply; more is cut */
#define S_ASKS_MAX 64
#define S_COMPACT_BYTES (256u << 10)

typedef struct {
    chat_update_t u;
    bool started, taken;
} s_in_t;

typedef struct {
    uint64_t q;
    char chat[24];
    char *text;
    bool handed;
} s_out_t;

struct _chat_journal_t {
    pthread_mutex_t lock;
    char path[1024];
    int fd;
    int64_t next_offset;
    s_in_t *ins;
    size_t nins;
    s_out_t *outs;
    size_t nouts;
    chat_journal_ask_t asks[S_ASKS_MAX];
    size_t nasks;
    uint64_t next_q;
    size_t bytes;
    int skipped;
};

static const char *s_kinds[] = { "message", "too_long", "other", "malformed" };

/* --- applying records (replay and live) ---------------------------------- */

static s_in_t *
s_find_in (chat_journal_t *self, int64_t id)
{
    for (size_t i = 0; i < self->nins; i++)
        if (self->ins[i].u.id == id)
            return &self->ins[i];
    return NULL;
}

static const char *
s_str (json_t *rec, const char *key)
{
    json_t *v = json_object_get (rec, key);
    return json_is_string (v) ? json_string_value (v) : NULL;
}

/* A string field fits its buffer whole (a cut could split a character). */
static bool
s_fits (const char *s, size_t size)
{
    return !s || strlen (s) < size;
}

static int
s_apply_in (chat_journal_t *self, json_t *rec)
{
    chat_update_t in0;
    json_t *id = json_object_get (rec, "id");
    const char *kind = s_str (rec, "k");
    if (!json_is_integer (id) || json_integer_value (id) < 0 || !kind)
        return -1;
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp (kind, s_kinds[i]))
            k = i;
    const char *text = s_str (rec, "text");
    const char *sender = s_str (rec, "sender"), *chat = s_str (rec, "chat"), *what = s_str (rec, "what");
    if (k < 0 || (k == CHAT_UPDATE_MESSAGE && !text) || !s_fits (sender, sizeof in0.sender)
        || !s_fits (chat, sizeof in0.chat) || !s_fits (what, sizeof in0.what))
        return -1;
    int64_t uid = json_integer_value (id);
    if (uid >= self->next_offset)
        self->next_offset = uid + 1;
    if (s_find_in (self, uid))
        return 0;
    s_in_t *grown = (s_in_t *) realloc (self->ins, (self->nins + 1) * sizeof *grown);
    if (!grown)
        return -1;
    self->ins = grown;
    s_in_t *in = &self->ins[self->nins];
    memset (in, 0, sizeof *in);
    in->u.id = uid;
    in->u.kind = (chat_update_kind_t) k;
    snprintf (in->u.sender, sizeof in->u.sender, "%s", sender ? sender : "");
    snprintf (in->u.chat, sizeof in->u.chat, "%s", chat ? chat : "");
    snprintf (in->u.what, sizeof in->u.what, "%s", what ? what : "");
    json_t *date = json_object_get (rec, "date"), *units = json_object_get (rec, "units");
    in->u.date = json_is_integer (date) ? json_integer_value (date) : 0;
    in->u.units = json_is_integer (units) && json_integer_value (units) > 0 ? (size_t) json_integer_value (units) : 0;
    if (k == CHAT_UPDATE_MESSAGE && !(in->u.text = strdup (text)))
        return -1;
    in->started = json_is_true (json_object_get (rec, "started"));
    self->nins++;
    return 0;
}

static void
s_drop_in (chat_journal_t *self, int64_t id)
{
    for (size_t i = 0; i < self->nins; i++)
        if (self->ins[i].u.id == id) {
            chat_update_clear (&self->ins[i].u);
            memmove (&self->ins[i], &self->ins[i + 1], (self->nins - i - 1) * sizeof *self->ins);
            self->nins--;
            return;
        }
}

static int
s_apply_outs (chat_journal_t *self, json_t *outs)
{
    size_t i;
    json_t *o;
    if (!json_is_array (outs))
        return -1;
    json_array_foreach (outs, i, o) {
        json_t *q = json_object_get (o, "q");
        const char *chat = s_str (o, "chat"), *text = s_str (o, "text");
        if (!json_is_integer (q) || json_integer_value (q) < 0 || !chat || !text || !s_fits (chat, 24))
            return -1;
        uint64_t qid = (uint64_t) json_integer_value (q);
        bool dup = false;
        for (size_t k = 0; k < self->nouts && !dup; k++)
            dup = self->outs[k].q == qid;
        if (dup)
            continue;
        s_out_t *grown = (s_out_t *) realloc (self->outs, (self->nouts + 1) * sizeof *grown);
        if (!grown)
            return -1;
        self->outs = grown;
        s_out_t *out = &self->outs[self->nouts];
        memset (out, 0, sizeof *out);
        out->q = qid;
        snprintf (out->chat, sizeof out->chat, "%s", chat);
        if (!(out->text = strdup (text)))
            return -1;
        self->nouts++;
        if (qid >= self->next_q)
            self->next_q = qid + 1;
    }
    return 0;
}

static int
s_apply_ask (chat_journal_t *self, json_t *rec, bool end)
{
    const char *chat = s_str (rec, "chat");
    if (!chat)
        return -1;
    for (size_t i = 0; i < self->nasks; i++)
        if (!strncmp (self->asks[i].chat, chat, sizeof self->asks[i].chat - 1)) {
            self->asks[i] = self->asks[--self->nasks];
            break;
        }
    if (end)
        return 0;
    const char *sender = s_str (rec, "sender"), *text = s_str (rec, "text");
    json_t *exp = json_object_get (rec, "expires");
    if (!sender || !text || !json_is_integer (exp) || self->nasks == S_ASKS_MAX || !s_fits (chat, 24)
        || !s_fits (sender, 24) || !s_fits (text, sizeof self->asks[0].text))
        return -1;
    chat_journal_ask_t *a = &self->asks[self->nasks++];
    snprintf (a->chat, sizeof a->chat, "%s", chat);
    snprintf (a->sender, sizeof a->sender, "%s", sender);
    snprintf (a->text, sizeof a->text, "%s", text);
    a->expires = json_integer_value (exp);
    return 0;
}

static int
s_apply (chat_journal_t *self, json_t *rec)
{
    const char *t = s_str (rec, "t");
    json_t *id = json_object_get (rec, "id");
    if (!t)
        return -1;
    if (!strcmp (t, "in"))
        return s_apply_in (self, rec);
    if (!strcmp (t, "offset")) {
        json_t *next = json_object_get (rec, "next");
        if (!json_is_integer (next))
            return -1;
        if (json_integer_value (next) > self->next_offset)
            self->next_offset = json_integer_value (next);
        json_t *q = json_object_get (rec, "next_q");
        if (json_is_integer (q) && json_integer_value (q) > 0 && (uint64_t) json_integer_value (q) > self->next_q)
            self->next_q = (uint64_t) json_integer_value (q);
        return 0;
    }
    if (!strcmp (t, "start")) {
        s_in_t *in = json_is_integer (id) ? s_find_in (self, json_integer_value (id)) : NULL;
        if (in)
            in->started = true;
        return in ? 0 : -1;
    }
    if (!strcmp (t, "done")) {
        if (!json_is_integer (id))
            return -1;
        s_drop_in (self, json_integer_value (id));
        json_t *outs = json_object_get (rec, "out");
        return outs ? s_apply_outs (self, outs) : 0;
    }
    if (!strcmp (t, "out"))
        return s_apply_outs (self, json_object_get (rec, "out"));
    if (!strcmp (t, "sent")) {
        json_t *q = json_object_get (rec, "q");
        if (!json_is_integer (q))
            return -1;
        for (size_t i = 0; i < self->nouts; i++)
            if (self->outs[i].q == (uint64_t) json_integer_value (q)) {
                free (self->outs[i].text);
                memmove (&self->outs[i], &self->outs[i + 1], (self->nouts - i - 1) * sizeof *self->outs);
                self->nouts--;
                break;
            }
        return 0;
    }
    if (!strcmp (t, "ask") || !strcmp (t, "asked"))
        return s_apply_ask (self, rec, !strcmp (t, "asked"));
    return -1;
}

int
chat_journal_apply (chat_journal_t *self, const char *line, size_t len)
{
    json_t *rec = json_loadb (line, len, 0, NULL);
    int rc = json_is_object (rec) ? s_apply (self, rec) : -1;
    json_decref (rec);
    return rc;
}

/* --- writing ---------------------------------------------------------------- */

static int
s_write_all (int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Appends RECS (each one line) in one write and fsyncs; then applies them. */
static int
s_commit (chat_journal_t *self, json_t **recs, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&buf, &len);
    if (!mem)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *line = json_dumps (recs[i], JSON_COMPACT);
        if (!line) {
            fclose (mem);
            free (buf);
            return -1;
        }
        fprintf (mem, "%s\n", line);
        free (line);
    }
    fclose (mem);
    int rc = s_write_all (self->fd, buf, len) == 0 && fdatasync (self->fd) == 0 ? 0 : -1;
    free (buf);
    if (rc)
        return -1;
    self->bytes += len;
    for (size_t i = 0; i < n; i++)
        s_apply (self, recs[i]);
    return 0;
}

static int
s_commit1 (chat_journal_t *self, json_t *rec)
{
    if (!rec)
        return -1;
    pthread_mutex_lock (&self->lock);
    int rc = s_commit (self, &rec, 1);
    pthread_mutex_unlock (&self->lock);
    json_decref (rec);
    return rc;
}

static json_t *
s_in_record (const chat_update_t *u, bool started)
{
    json_t *rec = json_pack ("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:s}", "t", "in", "id", (json_int_t) u->id, "k",
                             s_kinds[u->kind], "sender", u->sender, "chat", u->chat, "date", (json_int_t) u->date,
                             "units", (json_int_t) u->units, "what", u->what);
    if (rec && u->text)
        json_object_set_new (rec, "text", json_string (u->text));
    if (rec && started)
        json_object_set_new (rec, "started", json_true ());
    return rec;
}

/* --- open, replay, compact ------------------------------------------------ */

static void
s_replay (chat_journal_t *self, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline (&line, &cap, f)) > 0) {
        self->bytes += (size_t) n;
        if (chat_journal_apply (self, line, (size_t) n))
            self->skipped++;
    }
    free (line);
}

static int
s_fsync_dir (const char *path)
{
    char copy[1024];
    snprintf (copy, sizeof copy, "%s", path);
    int dfd = open (dirname (copy), O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return -1;
    int rc = fsync (dfd);
    close (dfd);
    return rc;
}

static int
s_compact (chat_journal_t *self)
{
    size_t n = 0, cap = 1 + self->nins + self->nouts + self->nasks;
    json_t **recs = (json_t **) calloc (cap, sizeof *recs);
    if (!recs)
        return -1;
    recs[n++] = json_pack ("{s:s, s:I, s:I}", "t", "offset", "next", (json_int_t) self->next_offset, "next_q",
                           (json_int_t) self->next_q);
    for (size_t i = 0; i < self->nins; i++)
        recs[n++] = s_in_record (&self->ins[i].u, self->ins[i].started);
    for (size_t i = 0; i < self->nouts; i++)
        recs[n++] = json_pack ("{s:s, s:[{s:I, s:s, s:s}]}", "t", "out", "out", "q", (json_int_t) self->outs[i].q,
                               "chat", self->outs[i].chat, "text", self->outs[i].text);
    for (size_t i = 0; i < self->nasks; i++)
        recs[n++] = json_pack ("{s:s, s:s, s:s, s:s, s:I}", "t", "ask", "chat", self->asks[i].chat, "sender",
                               self->asks[i].sender, "text", self->asks[i].text, "expires",
                               (json_int_t) self->asks[i].expires);
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->path);
    int rc = -1;
    FILE *f = fopen (tmp, "w");
    if (f) {
        size_t bytes = 0;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            if (!recs[i])
                continue;        /* cannot be written back (out of memory): left out */
            char *line = json_dumps (recs[i], JSON_COMPACT);
            ok = line && fprintf (f, "%s\n", line) > 0;
            bytes += line ? strlen (line) + 1 : 0;
            free (line);
        }
        ok = ok && fflush (f) == 0 && fsync (fileno (f)) == 0;
        ok = fclose (f) == 0 && ok;
        if (ok && rename (tmp, self->path) == 0) {
            s_fsync_dir (self->path);
            int fd = open (self->path, O_WRONLY | O_APPEND | O_CLOEXEC);
            if (fd >= 0) {
                close (self->fd);
                self->fd = fd;
                self->bytes = bytes;
                rc = 0;
            }
        }
        else
            unlink (tmp);
    }
    for (size_t i = 0; i < n; i++)
        json_decref (recs[i]);
    free (recs);
    return rc;
}

chat_journal_t *
chat_journal_open (const char *path, char *err, size_t errlen)
{
    chat_journal_t *self = (chat_journal_t *) calloc (1, sizeof (chat_journal_t));
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    snprintf (self->path, sizeof self->path, "%s", path);
    self->next_q = 1;
    self->fd = open (path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        snprintf (err, errlen, "cannot open the chat journal %s: %s", path, strerror (errno));
        chat_journal_destroy (&self);
        return NULL;
    }
    FILE *f = fopen (path, "r");
    if (f) {
        s_replay (self, f);
        fclose (f);
    }
    /* Start from a clean file: drops what is finished and any torn line. */
    if (s_compact (self)) {
        snprintf (err, errlen, "cannot rewrite the chat journal %s: %s", path, strerror (errno));
        chat_journal_destroy (&self);
        return NULL;
    }
    return self;
}

void
chat_journal_destroy (chat_journal_t **self_p)
{
    chat_journal_t *self = *self_p;
    if (!self)
        return;
    if (self->fd >= 0)
        close (self->fd);
    for (size_t i = 0; i < self->nins; i++)
        chat_update_clear (&self->ins[i].u);
    free (self->ins);
    for (size_t i = 0; i < self->nouts; i++)
        free (self->outs[i].text);
    free (self->outs);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
chat_journal_compact (chat_journal_t *self)
{
    pthread_mutex_lock (&self->lock);
    int rc = s_compact (self);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

/* Compacts once the file has grown past the bound (called after changes). */
static void
s_maybe_compact (chat_journal_t *self)
{
    pthread_mutex_lock (&self->lock);
    if (self->bytes > S_COMPACT_BYTES)
        s_compact (self);
    pthread_mutex_unlock (&self->lock);
}

int chat_journal_skipped (chat_journal_t *self) { return self->skipped; }

/* --- the poller's side ------------------------------------------------------ */

int64_t
chat_journal_next_offset (chat_journal_t *self)
{
    pthread_mutex_lock (&self->lock);
    int64_t v = self->next_offset;
    pthread_mutex_unlock (&self->lock);
    return v;
}

int
chat_journal_receive (chat_journal_t *self, const chat_updates_t *batch)
{
    pthread_mutex_lock (&self->lock);
    json_t **recs = (json_t **) calloc (batch->n + 1, sizeof *recs);
    size_t n = 0;
    int rc = recs ? 0 : -1;
    for (size_t i = 0; recs && i < batch->n; i++) {
        /* Asked for again after a crash before the next getUpdates: known. */
        if (batch->items[i].id < self->next_offset || s_find_in (self, batch->items[i].id))
            continue;
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = batch->items[k].id == batch->items[i].id;
        if (dup)
            continue;
        if (!(recs[n++] = s_in_record (&batch->items[i], false)))
            rc = -1;
    }
    if (rc == 0 && n)
        rc = s_commit (self, recs, n);
    for (size_t i = 0; i < n; i++)
        json_decref (recs[i]);
    free (recs);
    pthread_mutex_unlock (&self->lock);
    return rc ? -1 : (int) n;
}

/* --- the main loop's side --------------------------------------------------- */

bool
chat_journal_take (chat_journal_t *self, chat_update_t *out, bool *started)
{
    bool found = false;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nins && !found; i++) {
        s_in_t *in = &self->ins[i];
        if (in->taken)
            continue;
        *out = in->u;
        out->text = in->u.text ? strdup (in->u.text) : NULL;
        *started = in->started;
        in->taken = found = true;
    }
    pthread_mutex_unlock (&self->lock);
    return found;
}

int
chat_journal_start (chat_journal_t *self, int64_t id)
{
    return s_commit1 (self, json_pack ("{s:s, s:I}", "t", "start", "id", (json_int_t) id));
}

/* The out array for REPLY to CHAT: cleaned to UTF-8, split to Telegram's
 * limit, each piece with its own id. */
static json_t *
s_outs (chat_journal_t *self, const char *chat, const char *reply)
{
    json_t *outs = json_array ();
    char *clean = reply ? chat_text_sanitize (reply) : NULL;
    if (!clean)
        return outs;
    char *pieces[S_PIECES_MAX];
    int n = chat_text_split (clean, CHAT_TEXT_UNITS_MAX, pieces, S_PIECES_MAX);
    pthread_mutex_lock (&self->lock);
    for (int i = 0; i < n; i++) {
        json_array_append_new (outs, json_pack ("{s:I, s:s, s:s}", "q", (json_int_t) self->next_q++, "chat", chat,
                                                "text", pieces[i]));
        free (pieces[i]);
    }
    pthread_mutex_unlock (&self->lock);
    free (clean);
    return outs;
}

int
chat_journal_done (chat_journal_t *self, int64_t id, const char *chat, const char *reply)
{
    int rc = s_commit1 (self, json_pack ("{s:s, s:I, s:o}", "t", "done", "id", (json_int_t) id, "out",
                                         s_outs (self, chat, reply)));
    s_maybe_compact (self);
    return rc;
}

int
chat_journal_send (chat_journal_t *self, const char *chat, const char *text)
{
    return s_commit1 (self, json_pack ("{s:s, s:o}", "t", "out", "out", s_outs (self, chat, text)));
}

bool
chat_journal_next_out (chat_journal_t *self, uint64_t *q, char *chat, size_t chatlen, char **text)
{
    bool found = false;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->nouts && !found; i++) {
        s_out_t *o = &self->outs[i];
        if (o->handed)
            continue;
        *q = o->q;
        snprintf (chat, chatlen, "%s", o->chat);
        *text = strdup (o->text);
        o->handed = found = true;
    }
    pthread_mutex_unlock (&self->lock);
    return found;
}

int
chat_journal_sent (chat_journal_t *self, uint64_t q)
{
    int rc = s_commit1 (self, json_pack ("{s:s, s:I}", "t", "sent", "q", (json_int_t) q));
    s_maybe_compact (self);
    return rc;
}

size_t
chat_journal_owed (chat_journal_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = self->nouts;
    pthread_mutex_unlock (&self->lock);
    return n;
}

size_t
chat_journal_waiting (chat_journal_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = 0;
    for (size_t i = 0; i < self->nins; i++)
        n += !self->ins[i].taken;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
chat_journal_ask (chat_journal_t *self, const chat_journal_ask_t *a)
{
    return s_commit1 (self, json_pack ("{s:s, s:s, s:s, s:s, s:I}", "t", "ask", "chat", a->chat, "sender", a->sender,
                                       "text", a->text, "expires", (json_int_t) a->expires));
}

int
chat_journal_ask_end (chat_journal_t *self, const char *chat)
{
    return s_commit1 (self, json_pack ("{s:s, s:s}", "t", "asked", "chat", chat));
}

size_t
chat_journal_asks (chat_journal_t *self, chat_journal_ask_t *out, size_t max)
{
    pthread_mutex_lock (&self->lock);
    size_t n = self->nasks < max ? self->nasks : max;
    memcpy (out, self->asks, n * sizeof *out);
    pthread_mutex_unlock (&self->lock);
    return n;
}
