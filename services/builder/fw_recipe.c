/* fw_recipe - see fw_recipe.h. */
#include "services/builder/fw_recipe.h"
#include "services/labd/labd_unit.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
fw_deliver_name (fw_deliver_t d)
{
    return d == FW_DELIVER_ESPNOW ? "espnow" : "usb";
}

bool
fw_name_ok (const char *name)
{
    if (!name || !*name || strlen (name) >= FW_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("-_.", *p))
            return false;
    return true;
}

/* BASE/PATH made absolute (PATH may already be). */
static void
s_abs (const char *base, const char *path, char *out, size_t outlen)
{
    if (path[0] == '/')
        snprintf (out, outlen, "%s", path);
    else if (!strcmp (path, "."))
        snprintf (out, outlen, "%s", base);
    else
        snprintf (out, outlen, "%s/%s", base, path);
}

static int
s_recipe (lab_config_t *cfg, zconfig_t *node, fw_recipe_t *r, int keep_default, char *err, size_t errlen)
{
    static const char *const keys[] = { "command", "cwd", "artefact", "timeout", "keep", "deliver",
                                        "via", "known_good", NULL };
    const char *name = zconfig_name (node);
    if (!fw_name_ok (name))
        return lab_config_error (cfg, node, err, errlen, "recipe name '%s': letters, digits, - _ . only", name);
    snprintf (r->name, sizeof r->name, "%s", name);
    if (lab_config_known_keys (cfg, node, keys, err, errlen))
        return -1;
    const char *command = zconfig_get (node, "command", NULL);
    if (!command || !*command)
        return lab_config_error (cfg, node, err, errlen, "recipe %s has no command", name);
    r->argv = labd_argv_split (command);
    if (!r->argv || !r->argv[0])
        return lab_config_error (cfg, zconfig_locate (node, "command"), err, errlen,
                                 "recipe %s: command has an unterminated quote or is empty", name);
    const char *artefact = zconfig_get (node, "artefact", NULL);
    if (!artefact || !*artefact)
        return lab_config_error (cfg, node, err, errlen, "recipe %s has no artefact path", name);
    char here[PATH_MAX];
    if (!getcwd (here, sizeof here))
        return lab_config_error (cfg, node, err, errlen, "getcwd: %s", strerror (errno));
    s_abs (here, zconfig_get (node, "cwd", "."), r->cwd, sizeof r->cwd);
    s_abs (r->cwd, artefact, r->artefact, sizeof r->artefact);
    long v;
    if (lab_config_duration_ms (cfg, node, "timeout", 600000, &v, err, errlen))
        return -1;
    if (v <= 0)
        return lab_config_error (cfg, zconfig_locate (node, "timeout"), err, errlen, "recipe %s: timeout must be > 0", name);
    r->timeout_ms = (int) v;
    if (lab_config_int (cfg, node, "keep", keep_default, 1, 1000, &v, err, errlen))
        return -1;
    r->keep = (int) v;
    const char *deliver = zconfig_get (node, "deliver", "usb");
    if (!strcmp (deliver, "usb"))
        r->deliver = FW_DELIVER_USB;
    else if (!strcmp (deliver, "espnow"))
        r->deliver = FW_DELIVER_ESPNOW;
    else
        return lab_config_error (cfg, zconfig_locate (node, "deliver"), err, errlen,
                                 "recipe %s: deliver is usb or espnow, not '%s'", name, deliver);
    const char *via = zconfig_get (node, "via", "");
    if (*via && !fw_name_ok (via))
        return lab_config_error (cfg, zconfig_locate (node, "via"), err, errlen, "recipe %s: bad board name '%s'", name, via);
    if (r->deliver == FW_DELIVER_ESPNOW && !*via)
        return lab_config_error (cfg, node, err, errlen, "recipe %s: deliver = espnow needs via = BOARD", name);
    snprintf (r->via, sizeof r->via, "%s", via);
    return lab_config_bool (cfg, node, "known_good", false, &r->known_good, err, errlen);
}

int
fw_recipes_load (lab_config_t *cfg, fw_recipes_t *out, char *err, size_t errlen)
{
    static const char *const keys[] = { "keep", "boot_timeout", "recipes", "power", NULL };
    memset (out, 0, sizeof *out);
    out->boot_timeout_ms = 20000;
    int cap = 0;
    for (zconfig_t *s = zconfig_child (lab_config_root (cfg)); s; s = zconfig_next (s)) {
        if (strcmp (zconfig_name (s), "builds"))
            continue;
        long keep, boot;
        if (lab_config_known_keys (cfg, s, keys, err, errlen)
            || lab_config_int (cfg, s, "keep", 5, 1, 1000, &keep, err, errlen)
            || lab_config_duration_ms (cfg, s, "boot_timeout", out->boot_timeout_ms, &boot, err, errlen))
            goto fail;
        out->boot_timeout_ms = (int) boot;
        const char *power = zconfig_get (s, "power", NULL);
        if (power) {
            char **argv = labd_argv_split (power);
            bool ok = argv && argv[0];
            labd_argv_free (argv);
            if (!ok) {
                lab_config_error (cfg, zconfig_locate (s, "power"), err, errlen,
                                  "power: an argv (unterminated quote or empty)");
                goto fail;
            }
            snprintf (out->power, sizeof out->power, "%s", power);
        }
        zconfig_t *recipes = zconfig_locate (s, "recipes");
        for (zconfig_t *r = recipes ? zconfig_child (recipes) : NULL; r; r = zconfig_next (r)) {
            if (fw_recipes_find (out, zconfig_name (r))) {
                lab_config_error (cfg, r, err, errlen, "recipe %s is defined twice", zconfig_name (r));
                goto fail;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 8;
                fw_recipe_t *bigger = (fw_recipe_t *) realloc (out->recipes, (size_t) cap * sizeof *bigger);
                if (!bigger)
                    goto fail;
                out->recipes = bigger;
            }
            fw_recipe_t *rec = &out->recipes[out->n++];
            memset (rec, 0, sizeof *rec);
            if (s_recipe (cfg, r, rec, (int) keep, err, errlen))
                goto fail;
        }
    }
    return 0;
fail:
    fw_recipes_free (out);
    return -1;
}

void
fw_recipes_free (fw_recipes_t *set)
{
    for (int i = 0; i < set->n; i++)
        labd_argv_free (set->recipes[i].argv);
    free (set->recipes);
    set->recipes = NULL;
    set->n = 0;
}

const fw_recipe_t *
fw_recipes_find (const fw_recipes_t *set, const char *name)
{
    for (int i = 0; name && i < set->n; i++)
        if (!strcmp (set->recipes[i].name, name))
            return &set->recipes[i];
    return NULL;
}

const fw_recipe_t *
fw_recipes_known_good (const fw_recipes_t *set)
{
    for (int i = 0; i < set->n; i++)
        if (set->recipes[i].known_good)
            return &set->recipes[i];
    return NULL;
}
