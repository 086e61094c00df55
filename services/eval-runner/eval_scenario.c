/* eval_scenario - loads the scenario pack and turns a scenario into chat
 * messages; see eval_scenario.h. */
#include "services/eval-runner/eval_scenario.h"
#include "bus/lab_config.h"
#include <czmq.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

struct _eval_pack_t {
    eval_scenario_t *items;
    size_t n;
};

char *
eval_read_file (const char *path, size_t *len_p)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = (char *) malloc (cap);
    while (buf) {
        size_t n = fread (buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 >= cap) {
            cap *= 2;
            char *nb = (char *) realloc (buf, cap);
            if (!nb) {
                free (buf);
                buf = NULL;
            }
            else
                buf = nb;
        }
    }
    fclose (f);
    if (!buf)
        return NULL;
    buf[len] = 0;
    if (len_p)
        *len_p = len;
    return buf;
}

static char *
s_trimmed (const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen (s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return strndup (s, n);
}

/* Text given inline (KEY) or in a file (KEY_file) relative to DIR. */
static int
s_text (lab_config_t *cfg, zconfig_t *prompt, const char *dir, const char *key, char **out,
        char *err, size_t errlen)
{
    char fkey[64];
    snprintf (fkey, sizeof fkey, "%s_file", key);
    zconfig_t *inl = zconfig_locate (prompt, key);
    zconfig_t *file = zconfig_locate (prompt, fkey);
    *out = NULL;
    if (inl) {
        *out = s_trimmed (zconfig_value (inl));
        return 0;
    }
    if (file) {
        char path[1024];
        snprintf (path, sizeof path, "%s/%s", dir, zconfig_value (file));
        char *text = eval_read_file (path, NULL);
        if (!text)
            return lab_config_error (cfg, file, err, errlen, "cannot read %s", path);
        *out = s_trimmed (text);
        free (text);
    }
    return 0;
}

static char *
s_path_or_null (zconfig_t *prompt, const char *key, const char *dir)
{
    zconfig_t *n = zconfig_locate (prompt, key);
    if (!n || !*zconfig_value (n))
        return NULL;
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, zconfig_value (n));
    return strdup (path);
}

static void
s_scenario_free (eval_scenario_t *sc)
{
    free (sc->id);
    free (sc->kind);
    free (sc->dir);
    free (sc->system);
    free (sc->user);
    free (sc->image_file);
    free (sc->audio_file);
    free (sc->audio_format);
}

static int
s_load_one (const char *dir, eval_scenario_t *sc, char *err, size_t errlen)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/scenario.cfg", dir);
    lab_config_t *cfg = lab_config_load (path, err, errlen);
    if (!cfg)
        return -1;
    int rc = -1;
    memset (sc, 0, sizeof *sc);
    zconfig_t *root = lab_config_root (cfg);
    zconfig_t *prompt = zconfig_locate (root, "prompt");
    const char *id = lab_config_get (cfg, "scenario/id", NULL);
    if (!id || !*id) {
        snprintf (err, errlen, "%s: scenario/id is missing", path);
        goto done;
    }
    if (!prompt) {
        snprintf (err, errlen, "%s: the prompt section is missing", path);
        goto done;
    }
    sc->id = strdup (id);
    sc->kind = strdup (lab_config_get (cfg, "scenario/kind", "triage"));
    sc->dir = strdup (dir);
    if (s_text (cfg, prompt, dir, "system", &sc->system, err, errlen)
        || s_text (cfg, prompt, dir, "user", &sc->user, err, errlen))
        goto done;
    if (!sc->user) {
        lab_config_error (cfg, prompt, err, errlen, "prompt has neither user nor user_file");
        goto done;
    }
    sc->image_file = s_path_or_null (prompt, "image_file", dir);
    sc->audio_file = s_path_or_null (prompt, "audio_file", dir);
    sc->audio_format = strdup (zconfig_get (prompt, "audio_format", "wav"));
    if (lab_config_int (cfg, prompt, "max_tokens", 0, 0, 1000000, &sc->max_tokens, err, errlen))
        goto done;
    rc = 0;
done:
    if (rc)
        s_scenario_free (sc);
    lab_config_destroy (&cfg);
    return rc;
}

static int
s_cmp_id (const void *a, const void *b)
{
    return strcmp (((const eval_scenario_t *) a)->id, ((const eval_scenario_t *) b)->id);
}

eval_pack_t *
eval_pack_load (const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir (dir);
    if (!d) {
        snprintf (err, errlen, "cannot open scenario directory %s", dir);
        return NULL;
    }
    eval_pack_t *self = (eval_pack_t *) calloc (1, sizeof (eval_pack_t));
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir (d)) && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        char sub[1024], cfgpath[1100];
        snprintf (sub, sizeof sub, "%s/%s", dir, e->d_name);
        snprintf (cfgpath, sizeof cfgpath, "%s/scenario.cfg", sub);
        if (access (cfgpath, R_OK) != 0)
            continue;
        if (self->n == cap) {
            cap = cap ? cap * 2 : 16;
            self->items = (eval_scenario_t *) realloc (self->items, cap * sizeof (eval_scenario_t));
        }
        rc = s_load_one (sub, &self->items[self->n], err, errlen);
        if (rc == 0)
            self->n++;
    }
    closedir (d);
    if (rc) {
        eval_pack_destroy (&self);
        return NULL;
    }
    qsort (self->items, self->n, sizeof (eval_scenario_t), s_cmp_id);
    return self;
}

void
eval_pack_destroy (eval_pack_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    eval_pack_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_scenario_free (&self->items[i]);
    free (self->items);
    free (self);
    *self_p = NULL;
}

size_t
eval_pack_size (eval_pack_t *self)
{
    return self ? self->n : 0;
}

const eval_scenario_t *
eval_pack_at (eval_pack_t *self, size_t i)
{
    return i < self->n ? &self->items[i] : NULL;
}

const eval_scenario_t *
eval_pack_find (eval_pack_t *self, const char *id)
{
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp (self->items[i].id, id))
            return &self->items[i];
    return NULL;
}

const eval_scenario_t *
eval_pack_match_user (eval_pack_t *self, const char *text)
{
    if (!self || !text)
        return NULL;
    char *t = s_trimmed (text);
    const eval_scenario_t *found = NULL;
    for (size_t i = 0; i < self->n && !found; i++)
        if (!strcmp (self->items[i].user, t))
            found = &self->items[i];
    free (t);
    return found;
}

static char *
s_base64_file (const char *path)
{
    size_t len = 0;
    char *data = eval_read_file (path, &len);
    if (!data)
        return NULL;
    zarmour_t *arm = zarmour_new ();
    zarmour_set_mode (arm, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_line_breaks (arm, false);
    char *enc = zarmour_encode (arm, (const byte *) data, len);
    zarmour_destroy (&arm);
    free (data);
    return enc;
}

static const char *
s_image_mime (const char *path)
{
    const char *dot = strrchr (path, '.');
    if (dot && (!strcasecmp (dot, ".jpg") || !strcasecmp (dot, ".jpeg")))
        return "image/jpeg";
    if (dot && !strcasecmp (dot, ".webp"))
        return "image/webp";
    return "image/png";
}

json_t *
eval_scenario_messages (const eval_scenario_t *sc, char *err, size_t errlen)
{
    json_t *msgs = json_array ();
    if (sc->system)
        json_array_append_new (msgs, json_pack ("{s:s, s:s}", "role", "system", "content", sc->system));
    json_t *content;
    if (!sc->image_file && !sc->audio_file)
        content = json_string (sc->user);
    else {
        content = json_array ();
        json_array_append_new (content, json_pack ("{s:s, s:s}", "type", "text", "text", sc->user));
        if (sc->image_file) {
            char *b64 = s_base64_file (sc->image_file);
            if (!b64) {
                snprintf (err, errlen, "%s: cannot read image %s", sc->id, sc->image_file);
                json_decref (content);
                json_decref (msgs);
                return NULL;
            }
            char *url = zsys_sprintf ("data:%s;base64,%s", s_image_mime (sc->image_file), b64);
            json_array_append_new (content, json_pack ("{s:s, s:{s:s}}", "type", "image_url",
                                                       "image_url", "url", url));
            zstr_free (&url);
            zstr_free (&b64);
        }
        if (sc->audio_file) {
            char *b64 = s_base64_file (sc->audio_file);
            if (!b64) {
                snprintf (err, errlen, "%s: cannot read audio %s", sc->id, sc->audio_file);
                json_decref (content);
                json_decref (msgs);
                return NULL;
            }
            json_array_append_new (content,
                                   json_pack ("{s:s, s:{s:s, s:s}}", "type", "input_audio",
                                              "input_audio", "data", b64, "format",
                                              sc->audio_format ? sc->audio_format : "wav"));
            zstr_free (&b64);
        }
    }
    json_array_append_new (msgs, json_pack ("{s:s, s:o}", "role", "user", "content", content));
    return msgs;
}

char *
eval_messages_user_text (json_t *messages)
{
    if (!json_is_array (messages))
        return NULL;
    for (size_t i = json_array_size (messages); i-- > 0;) {
        json_t *m = json_array_get (messages, i);
        const char *role = json_string_value (json_object_get (m, "role"));
        if (!role || strcmp (role, "user"))
            continue;
        json_t *c = json_object_get (m, "content");
        if (json_is_string (c))
            return strdup (json_string_value (c));
        if (!json_is_array (c))
            return NULL;
        char *out = strdup ("");
        size_t k;
        json_t *part;
        json_array_foreach (c, k, part) {
            const char *type = json_string_value (json_object_get (part, "type"));
            const char *text = json_string_value (json_object_get (part, "text"));
            if (type && !strcmp (type, "text") && text) {
                char *n = zsys_sprintf ("%s%s%s", out, *out ? "\n" : "", text);
                free (out);
                out = strdup (n);
                zstr_free (&n);
            }
        }
        return out;
    }
    return NULL;
}
