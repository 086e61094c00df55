/* fake_bot_api - see fake_bot_api.h. Thread per connection, so a hanging or
 * long-polling request never holds up the others (as with the real server). */
#include "tests/chat/fake_bot_api.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_LIMIT 100              /* getUpdates' default and largest limit */
#define S_POLL_CAP_S 3           /* long polls held at most this long here */

typedef struct {
    int64_t id;
    char *raw;
} s_update_t;

typedef struct {
    int n;
    fake_fault_t fault;
    int retry_after;
} s_faults_t;

struct _fake_api_t {
    pthread_mutex_t lock;
    char prefix[300];            /* "/bot<token>/" */
    struct MHD_Daemon *http;
    int port;
    s_update_t *updates;
    size_t nupdates;
    int64_t next_id;
    json_t *sent;                /* delivered: {"chat_id", "text"} */
    uint64_t *poll_ms;           /* when each getUpdates arrived */
    int npolls;
    int send_requests, bad_requests;
    s_faults_t poll_faults, send_faults;
    int hang_ms;
    bool hold_sends;
    volatile bool stopping;
};

uint64_t
fake_api_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* UTF-16 code units of UTF-8 S, counted here independently of the gateway's
 * own code: one per character, two for those above U+FFFF (4-byte forms). */
static size_t
s_units (const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n += *p >= 0xF0 ? 2 : 1;
    return n;
}

typedef struct {
    char *body;
    size_t len;
} s_post_t;

/* A fault armed for this method, if any (consumed). */
static bool
s_take_fault (s_faults_t *f, fake_fault_t *fault, int *retry_after)
{
    if (f->n <= 0)
        return false;
    f->n--;
    *fault = f->fault;
    *retry_after = f->retry_after;
    return true;
}

/* The fault's answer: 429 as the Bot API sends it, 502 as its front end
 * does; NULL for a hang (the caller holds the request, then closes it). */
static char *
s_fault_body (fake_fault_t fault, int retry_after, unsigned *code)
{
    if (fault == FAKE_429) {
        *code = 429;
        char desc[64];
        snprintf (desc, sizeof desc, "Too Many Requests: retry after %d", retry_after);
        json_t *r = json_pack ("{s:b, s:i, s:s, s:{s:i}}", "ok", 0, "error_code", 429, "description", desc,
                               "parameters", "retry_after", retry_after);
        char *s = json_dumps (r, JSON_COMPACT);
        json_decref (r);
        return s;
    }
    if (fault == FAKE_502) {
        *code = 502;
        return strdup ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                       "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
    }
    return NULL;
}

static void
s_hang (fake_api_t *self, int ms)
{
    for (int waited = 0; waited < ms && !self->stopping; waited += 20)
        usleep (20000);
}

static char *
s_get_updates (fake_api_t *self, struct MHD_Connection *c, unsigned *code)
{
    const char *off = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "offset");
    const char *to = MHD_lookup_connection_value (c, MHD_GET_ARGUMENT_KIND, "timeout");
    long long offset = off ? atoll (off) : 0;
    int timeout_s = to ? atoi (to) : 0;
    if (timeout_s > S_POLL_CAP_S)
        timeout_s = S_POLL_CAP_S;
    pthread_mutex_lock (&self->lock);
    uint64_t *grown = (uint64_t *) realloc (self->poll_ms, (size_t) (self->npolls + 1) * sizeof *grown);
    if (grown) {
        self->poll_ms = grown;
        self->poll_ms[self->npolls++] = fake_api_ms ();
    }
    fake_fault_t fault;
    int retry_after;
    if (s_take_fault (&self->poll_faults, &fault, &retry_after)) {
        pthread_mutex_unlock (&self->lock);
        char *body = s_fault_body (fault, retry_after, code);
        if (!body)
            s_hang (self, self->hang_ms);
        return body;
    }
    /* Confirmed: an offset above an update's id forgets it for good. */
    size_t keep = 0;
    for (size_t i = 0; i < self->nupdates; i++)
        if (offset > 0 && self->updates[i].id < offset)
            free (self->updates[i].raw);
        else
            self->updates[keep++] = self->updates[i];
    self->nupdates = keep;
    pthread_mutex_unlock (&self->lock);
    /* The long poll: back as soon as there is something. */
    uint64_t end = fake_api_ms () + (uint64_t) timeout_s * 1000u;
    char *out = NULL;
    size_t len = 0;
    while (!out) {
        pthread_mutex_lock (&self->lock);
        if (self->nupdates || fake_api_ms () >= end || self->stopping) {
            /* Raw bytes on purpose: the hostile updates are not valid JSON
             * text that jansson would produce. */
            FILE *m = open_memstream (&out, &len);
            fputs ("{\"ok\":true,\"result\":[", m);
            for (size_t i = 0; i < self->nupdates && i < S_LIMIT; i++)
                fprintf (m, "%s%s", i ? "," : "", self->updates[i].raw);
            fputs ("]}", m);
            fclose (m);
        }
        pthread_mutex_unlock (&self->lock);
        if (!out)
            usleep (20000);
    }
    *code = 200;
    return out;
}

static char *
s_send_message (fake_api_t *self, s_post_t *p, unsigned *code)
{
    pthread_mutex_lock (&self->lock);
    self->send_requests++;
    fake_fault_t fault = FAKE_OK;
    int retry_after = 0;
    bool faulty = s_take_fault (&self->send_faults, &fault, &retry_after);
    if (!faulty && self->hold_sends) {
        faulty = true;
        fault = FAKE_HANG;
    }
    pthread_mutex_unlock (&self->lock);
    if (faulty) {
        char *body = s_fault_body (fault, retry_after, code);
        if (!body)
            s_hang (self, self->hang_ms);
        return body;
    }
    json_t *m = p && p->body ? json_loads (p->body, 0, NULL) : NULL;
    json_t *text = json_object_get (m, "text");
    const char *why = NULL;
    if (!json_is_string (text) || !json_is_string (json_object_get (m, "chat_id")))
        why = "Bad Request: message text is empty";
    else if (s_units (json_string_value (text)) > 4096)
        why = "Bad Request: message is too long";
    else if (!json_string_length (text))
        why = "Bad Request: message text is empty";
    char *body;
    if (why) {
        *code = 400;
        json_t *r = json_pack ("{s:b, s:i, s:s}", "ok", 0, "error_code", 400, "description", why);
        body = json_dumps (r, JSON_COMPACT);
        json_decref (r);
        pthread_mutex_lock (&self->lock);
        self->bad_requests++;
        pthread_mutex_unlock (&self->lock);
    }
    else {
        *code = 200;
        pthread_mutex_lock (&self->lock);
        json_array_append (self->sent, m);
        pthread_mutex_unlock (&self->lock);
        body = strdup ("{\"ok\":true,\"result\":{\"message_id\":1,\"date\":0,\"chat\":{\"id\":0,\"type\":\"private\"}}}");
    }
    json_decref (m);
    return body;
}

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
          const char *data, size_t *size, void **con_cls)
{
    (void) version;
    fake_api_t *self = (fake_api_t *) cls;
    if (!strcmp (method, "POST")) {
        s_post_t *p = (s_post_t *) *con_cls;
        if (!p) {
            *con_cls = calloc (1, sizeof (s_post_t));
            return MHD_YES;
        }
        if (*size) {
            p->body = realloc (p->body, p->len + *size + 1);
            memcpy (p->body + p->len, data, *size);
            p->len += *size;
            p->body[p->len] = 0;
            *size = 0;
            return MHD_YES;
        }
    }
    unsigned code = 404;
    char *reply = NULL;
    size_t plen = strlen (self->prefix);
    if (strncmp (url, self->prefix, plen))
        reply = strdup ("{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}"), code = 401;
    else if (!strcmp (url + plen, "getUpdates"))
        reply = s_get_updates (self, c, &code);
    else if (!strcmp (url + plen, "sendMessage"))
        reply = s_send_message (self, (s_post_t *) *con_cls, &code);
    else
        reply = strdup ("{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
    if (!reply)
        return MHD_NO;           /* the hang ends with the connection closed */
    struct MHD_Response *r = MHD_create_response_from_buffer (strlen (reply), reply, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (r, "Content-Type", code == 502 ? "text/html" : "application/json");
    enum MHD_Result rc = MHD_queue_response (c, code, r);
    MHD_destroy_response (r);
    return rc;
}

static void
s_done (void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void) cls; (void) c; (void) t;
    s_post_t *p = (s_post_t *) *con_cls;
    if (p) {
        free (p->body);
        free (p);
    }
    *con_cls = NULL;
}

fake_api_t *
fake_api_new (const char *token)
{
    fake_api_t *self = (fake_api_t *) calloc (1, sizeof (fake_api_t));
    pthread_mutex_init (&self->lock, NULL);
    snprintf (self->prefix, sizeof self->prefix, "/bot%s/", token);
    self->sent = json_array ();
    self->next_id = 100;
    self->hang_ms = 4000;
    struct sockaddr_in sa;
    memset (&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    self->http = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                                   s_answer, self, MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL, MHD_OPTION_SOCK_ADDR,
                                   (struct sockaddr *) &sa, MHD_OPTION_END);
    if (!self->http) {
        fake_api_destroy (&self);
        return NULL;
    }
    self->port = MHD_get_daemon_info (self->http, MHD_DAEMON_INFO_BIND_PORT)->port;
    return self;
}

void
fake_api_destroy (fake_api_t **self_p)
{
    fake_api_t *self = *self_p;
    if (!self)
        return;
    self->stopping = true;
    if (self->http)
        MHD_stop_daemon (self->http);
    for (size_t i = 0; i < self->nupdates; i++)
        free (self->updates[i].raw);
    free (self->updates);
    free (self->poll_ms);
    json_decref (self->sent);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int fake_api_port (fake_api_t *self) { return self->port; }

static int64_t
s_queue (fake_api_t *self, char *raw_with_id_fmt)
{
    pthread_mutex_lock (&self->lock);
    int64_t id = ++self->next_id;
    char num[32];
    snprintf (num, sizeof num, "%lld", (long long) id);
    /* "%ID%" -> the id */
    size_t cap = strlen (raw_with_id_fmt) * 2 + 64, o = 0;
    char *raw = (char *) malloc (cap);
    for (const char *p = raw_with_id_fmt; *p;) {
        if (!strncmp (p, "%ID%", 4)) {
            o += (size_t) snprintf (raw + o, cap - o, "%s", num);
            p += 4;
        }
        else
            raw[o++] = *p++;
    }
    raw[o] = 0;
    s_update_t *grown = (s_update_t *) realloc (self->updates, (self->nupdates + 1) * sizeof *grown);
    self->updates = grown;
    self->updates[self->nupdates].id = id;
    self->updates[self->nupdates++].raw = raw;
    pthread_mutex_unlock (&self->lock);
    return id;
}

int64_t
fake_api_raw (fake_api_t *self, const char *raw)
{
    char *copy = strdup (raw);
    int64_t id = s_queue (self, copy);
    free (copy);
    return id;
}

int64_t
fake_api_message (fake_api_t *self, long long from, const char *text, int64_t date)
{
    /* The shape of a private message (Update, Message, User, Chat). */
    json_t *u = json_pack ("{s:s, s:{s:i, s:I, s:{s:I, s:b, s:s}, s:{s:I, s:s}, s:s}}", "update_id", "%ID%",
                           "message", "message_id", 1, "date", (json_int_t) (date ? date : time (NULL)), "from",
                           "id", (json_int_t) from, "is_bot", 0, "first_name", "Lab", "chat", "id",
                           (json_int_t) from, "type", "private", "text", text);
    char *s = json_dumps (u, JSON_COMPACT);
    json_decref (u);
    /* update_id is a number: drop the quotes the placeholder needed. */
    char *q = strstr (s, "\"%ID%\"");
    memmove (q, q + 1, strlen (q + 1) + 1);
    q = strstr (s, "%ID%\"");
    memmove (q + 4, q + 5, strlen (q + 5) + 1);
    int64_t id = s_queue (self, s);
    free (s);
    return id;
}

void
fake_api_fail_polls (fake_api_t *self, int n, fake_fault_t fault, int retry_after)
{
    pthread_mutex_lock (&self->lock);
    self->poll_faults = (s_faults_t) { n, fault, retry_after };
    pthread_mutex_unlock (&self->lock);
}

void
fake_api_fail_sends (fake_api_t *self, int n, fake_fault_t fault, int retry_after)
{
    pthread_mutex_lock (&self->lock);
    self->send_faults = (s_faults_t) { n, fault, retry_after };
    pthread_mutex_unlock (&self->lock);
}

void fake_api_set_hang_ms (fake_api_t *self, int ms) { self->hang_ms = ms; }

void
fake_api_hold_sends (fake_api_t *self, bool hold)
{
    pthread_mutex_lock (&self->lock);
    self->hold_sends = hold;
    pthread_mutex_unlock (&self->lock);
}

static int
s_count (fake_api_t *self, const char *chat, const char *needle, bool exact)
{
    int n = 0;
    pthread_mutex_lock (&self->lock);
    size_t i;
    json_t *m;
    json_array_foreach (self->sent, i, m) {
        const char *c = json_string_value (json_object_get (m, "chat_id"));
        const char *t = json_string_value (json_object_get (m, "text"));
        if (c && t && !strcmp (c, chat) && (exact ? !strcmp (t, needle) : strstr (t, needle) != NULL))
            n++;
    }
    pthread_mutex_unlock (&self->lock);
    return n;
}

int fake_api_sent (fake_api_t *self, const char *chat, const char *needle) { return s_count (self, chat, needle, false); }
int fake_api_sent_exact (fake_api_t *self, const char *chat, const char *text) { return s_count (self, chat, text, true); }

int
fake_api_polls (fake_api_t *self)
{
    pthread_mutex_lock (&self->lock);
    int n = self->npolls;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
fake_api_polls_since (fake_api_t *self, uint64_t t_ms)
{
    pthread_mutex_lock (&self->lock);
    int n = 0;
    for (int i = 0; i < self->npolls; i++)
        n += self->poll_ms[i] > t_ms;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
fake_api_send_requests (fake_api_t *self)
{
    pthread_mutex_lock (&self->lock);
    int n = self->send_requests;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
fake_api_pending (fake_api_t *self)
{
    pthread_mutex_lock (&self->lock);
    int n = (int) self->nupdates;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
fake_api_bad_requests (fake_api_t *self)
{
    pthread_mutex_lock (&self->lock);
    int n = self->bad_requests;
    pthread_mutex_unlock (&self->lock);
    return n;
}
