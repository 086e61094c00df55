/* chat_telegram - see chat_telegram.h. */
#include "services/chat-gateway/chat_telegram.h"
#include "services/chat-gateway/chat_gateway.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct _chat_tg_t {
    char base[512], token[256], offset_path[1024];
    int poll_timeout_s, stale_s;
    int64_t start_offset;
    time_t started;
    zactor_t *actor;
    CURL *send_curl;
};

typedef struct {
    char *data;
    size_t len;
} s_buf_t;

static size_t
s_collect (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_buf_t *b = (s_buf_t *) arg;
    size_t n = size * nmemb;
    if (b->len + n > (8u << 20))
        return 0;                   /* a reply that large is not from the Bot API */
    char *bigger = (char *) realloc (b->data, b->len + n + 1);
    if (!bigger)
        return 0;
    b->data = bigger;
    memcpy (b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

int64_t
chat_tg_parse_updates (const char *body, chat_tg_update_fn *on, void *ctx, int *malformed)
{
    json_error_t e;
    json_t *root = json_loads (body, 0, &e);
    int64_t hi = -1;
    json_t *result = root ? json_object_get (root, "result") : NULL;
    if (!json_is_true (json_object_get (root, "ok")) || !json_is_array (result)) {
        (*malformed)++;
        json_decref (root);
        return -1;
    }
    size_t i;
    json_t *u;
    json_array_foreach (result, i, u) {
        json_t *id = json_object_get (u, "update_id");
        if (!json_is_integer (id)) {
            (*malformed)++;
            continue;
        }
        int64_t uid = json_integer_value (id);
        if (uid > hi)
            hi = uid;
        json_t *msg = json_object_get (u, "message");
        json_t *from = msg ? json_object_get (json_object_get (msg, "from"), "id") : NULL;
        json_t *chat = msg ? json_object_get (json_object_get (msg, "chat"), "id") : NULL;
        json_t *text = msg ? json_object_get (msg, "text") : NULL;
        json_t *date = msg ? json_object_get (msg, "date") : NULL;
        if (!json_is_integer (from) || !json_is_integer (chat) || !json_is_string (text)
            || json_string_length (text) > 4096) {
            (*malformed)++;
            on (ctx, uid, NULL, NULL, 0, NULL);     /* still moves the offset past it */
            continue;
        }
        char sender[32], chat_id[32];
        snprintf (sender, sizeof sender, "%" JSON_INTEGER_FORMAT, json_integer_value (from));
        snprintf (chat_id, sizeof chat_id, "%" JSON_INTEGER_FORMAT, json_integer_value (chat));
        on (ctx, uid, sender, chat_id, json_is_integer (date) ? json_integer_value (date) : 0,
            json_string_value (text));
    }
    json_decref (root);
    return hi;
}

typedef struct {
    zsock_t *pipe;
    chat_tg_t *tg;
} s_poll_ctx_t;

static void
s_forward (void *ctx, int64_t id, const char *sender, const char *chat, int64_t date, const char *text)
{
    s_poll_ctx_t *p = (s_poll_ctx_t *) ctx;
    char sid[32], age[32];
    snprintf (sid, sizeof sid, "%lld", (long long) id);
    if (!sender) {
        zstr_sendx (p->pipe, "BAD", sid, NULL);
        return;
    }
    snprintf (age, sizeof age, "%lld", (long long) (date ? time (NULL) - date : 0));
    zstr_sendx (p->pipe, "UPDATE", sid, sender, chat, age, text, NULL);
}

/* The poller: getUpdates in a loop; "$TERM" on the pipe stops it. */
static void
s_poller (zsock_t *pipe, void *arg)
{
    chat_tg_t *tg = (chat_tg_t *) arg;
    zsock_signal (pipe, 0);
    CURL *curl = curl_easy_init ();
    int64_t offset = tg->start_offset;
    int failures = 0;
    s_poll_ctx_t ctx = { pipe, tg };
    while (true) {
        zmsg_t *cmd = NULL;
        zpoller_t *poller = zpoller_new (pipe, NULL);
        if (zpoller_wait (poller, 0))
            cmd = zmsg_recv (pipe);
        zpoller_destroy (&poller);
        if (cmd) {
            char *c = zmsg_popstr (cmd);
            bool term = c && !strcmp (c, "$TERM");
            free (c);
            zmsg_destroy (&cmd);
            if (term)
                break;
        }
        char url[1024];
        snprintf (url, sizeof url, "%s/bot%s/getUpdates?timeout=%d&offset=%lld", tg->base, tg->token,
                  tg->poll_timeout_s, (long long) offset);
        s_buf_t b = { NULL, 0 };
        curl_easy_reset (curl);
        curl_easy_setopt (curl, CURLOPT_URL, url);
        curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) tg->poll_timeout_s + 10);
        curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt (curl, CURLOPT_WRITEDATA, &b);
        CURLcode rc = curl_easy_perform (curl);
        long status = 0;
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OK && status == 200 && b.data) {
            int bad = 0;
            int64_t hi = chat_tg_parse_updates (b.data, s_forward, &ctx, &bad);
            if (hi >= offset)
                offset = hi + 1;
            if (bad && hi < 0)
                zstr_sendx (pipe, "BAD", "-1", NULL);
            failures = 0;
        }
        else {
            /* Never print the URL: it holds the token. */
            zsys_warning ("chat-gateway: getUpdates failed (%s, HTTP %ld); retrying",
                          rc == CURLE_OK ? "bad reply" : curl_easy_strerror (rc), status);
            failures++;
            usleep ((useconds_t) (failures < 6 ? failures : 6) * 500000);
        }
        free (b.data);
    }
    curl_easy_cleanup (curl);
}

chat_tg_t *
chat_tg_new (const chat_tg_opts_t *o)
{
    chat_tg_t *self = (chat_tg_t *) calloc (1, sizeof (chat_tg_t));
    snprintf (self->base, sizeof self->base, "%s", o->base_url);
    snprintf (self->token, sizeof self->token, "%s", o->token);
    snprintf (self->offset_path, sizeof self->offset_path, "%s", o->offset_path);
    self->poll_timeout_s = o->poll_timeout_s > 0 ? o->poll_timeout_s : 50;
    self->stale_s = o->stale_s;
    self->started = time (NULL);
    FILE *f = fopen (self->offset_path, "r");
    if (f) {
        long long v = 0;
        if (fscanf (f, "%lld", &v) == 1 && v > 0)
            self->start_offset = v;
        fclose (f);
    }
    self->send_curl = curl_easy_init ();
    self->actor = zactor_new (s_poller, self);
    return self;
}

void
chat_tg_destroy (chat_tg_t **self_p)
{
    chat_tg_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    curl_easy_cleanup (self->send_curl);
    free (self);
    *self_p = NULL;
}

zactor_t *chat_tg_actor (chat_tg_t *self) { return self->actor; }

void
chat_tg_commit (chat_tg_t *self, int64_t id)
{
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->offset_path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return;
    fprintf (f, "%lld\n", (long long) id + 1);
    if (fclose (f) == 0)
        rename (tmp, self->offset_path);
}

static int
s_send_one (chat_tg_t *self, const char *chat, const char *text)
{
    char url[1024];
    snprintf (url, sizeof url, "%s/bot%s/sendMessage", self->base, self->token);
    json_t *body = json_pack ("{s:s, s:s}", "chat_id", chat, "text", text);
    char *json = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    int result = -1;
    for (int attempt = 0; attempt < 4; attempt++) {
        s_buf_t b = { NULL, 0 };
        struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
        CURL *c = self->send_curl;
        curl_easy_reset (c);
        curl_easy_setopt (c, CURLOPT_URL, url);
        curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (c, CURLOPT_TIMEOUT, 15L);
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_collect);
        curl_easy_setopt (c, CURLOPT_WRITEDATA, &b);
        CURLcode rc = curl_easy_perform (c);
        long status = 0;
        curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all (h);
        if (rc == CURLE_OK && status == 200) {
            free (b.data);
            result = 0;
            break;
        }
        /* Flood control: the Bot API says how long to wait. */
        long retry = 0;
        json_t *r = b.data ? json_loads (b.data, 0, NULL) : NULL;
        json_t *ra = r ? json_object_get (json_object_get (r, "parameters"), "retry_after") : NULL;
        if (json_is_integer (ra))
            retry = (long) json_integer_value (ra);
        json_decref (r);
        free (b.data);
        if (status == 429 && retry > 0 && retry <= 60) {
            zsys_info ("chat-gateway: rate limited by Telegram; waiting %ld s as asked", retry);
            sleep ((unsigned) retry);
            continue;
        }
        zsys_warning ("chat-gateway: sendMessage failed (%s, HTTP %ld)",
                      rc == CURLE_OK ? "refused" : curl_easy_strerror (rc), status);
        break;
    }
    free (json);
    return result;
}

int
chat_tg_send (chat_tg_t *self, const char *chat, const char *text)
{
    char *pieces[16];
    int n = chat_split (text, 4096, pieces, 16);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        rc |= s_send_one (self, chat, pieces[i]);
        free (pieces[i]);
    }
    return rc;
}
