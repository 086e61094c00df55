/* fw_recipe - the build recipes of the lab config (`builds` section):
 *
 *   builds
 *       keep = 5                  artefacts kept per recipe (default 5)
 *       boot_timeout = "20s"      flash/OTA end -> boot report
 *       power = "uhubctl -a cycle -l 1-1 -p {port}"   /diagnose: power-cycles a board
 *       recipes
 *           bench
 *               command = "toolbox run -c esp-idf idf.py -C firmware/bench build"
 *               cwd = "."                         where it runs (default: the lab's cwd)
 *               artefact = "firmware/bench/build/bench.bin"   relative to cwd
 *               timeout = "10m"
 *               keep = 5
 *               deliver = "usb"                   usb (serial-bridge flash) | espnow
 *               via = "board-a"                   espnow: the initiator board
 *               known_good = false                /diagnose flashes this recipe's image
 *
 * command is an argv (split on blanks, "quotes" group) run with execve:
 * never a shell. Unknown keys are errors naming file and line. */
#ifndef FW_RECIPE_H
#define FW_RECIPE_H

#include <limits.h>
#include <stdbool.h>
#include "bus/lab_config.h"

#define FW_NAME_MAX 64

typedef enum { FW_DELIVER_USB, FW_DELIVER_ESPNOW } fw_deliver_t;

typedef struct {
    char name[FW_NAME_MAX];
    char **argv;                  /* NULL-terminated; labd_argv_free */
    char cwd[PATH_MAX];           /* absolute */
    char artefact[PATH_MAX];      /* absolute */
    int timeout_ms;
    int keep;
    fw_deliver_t deliver;
    char via[FW_NAME_MAX];
    bool known_good;
} fw_recipe_t;

typedef struct {
    fw_recipe_t *recipes;
    int n;
    int boot_timeout_ms;
    char power[512];              /* argv template, {board} replaced; "" none */
} fw_recipes_t;

/* Reads every `builds` section of CFG. Returns 0, or -1 with "file:line:
 * ..." in ERR. An empty set (no builds section) is fine. */
int fw_recipes_load (lab_config_t *cfg, fw_recipes_t *out, char *err, size_t errlen);
void fw_recipes_free (fw_recipes_t *set);
/* The recipe called NAME, or NULL. */
const fw_recipe_t *fw_recipes_find (const fw_recipes_t *set, const char *name);
/* The first recipe marked known_good, or NULL. */
const fw_recipe_t *fw_recipes_known_good (const fw_recipes_t *set);
const char *fw_deliver_name (fw_deliver_t d);
/* Names of recipes, boards and jobs: letters, digits, - _ . only. */
bool fw_name_ok (const char *name);

#endif
