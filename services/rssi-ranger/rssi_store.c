/* rssi_store - see rssi_store.h. */
#include "services/rssi-ranger/rssi_store.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rssi_store_parse (const char *text, rssi_stored_t *links, int max, int *bad)
{
    int n = 0;
    *bad = 0;
    rssi_stored_t *cur = NULL;
    const char *p = text;
    while (*p) {
        size_t len = strcspn (p, "\n");
        char line[256];
        if (len >= sizeof line) {
            (*bad)++;
            p += len + (p[len] == '\n');
            continue;
        }
        memcpy (line, p, len);
        line[len] = 0;
        p += len + (p[len] == '\n');
        char a[RSSI_NAME_MAX + 1], b[RSSI_NAME_MAX + 1];
        double d, sum, sumsq;
        int cnt;
        if (!line[0] || line[0] == '#')
            continue;
        if (sscanf (line, "link %48s %48s", a, b) == 2 && strlen (a) < RSSI_NAME_MAX
            && strlen (b) < RSSI_NAME_MAX && n < max) {
            cur = &links[n++];
            memset (cur, 0, sizeof *cur);
            snprintf (cur->a, sizeof cur->a, "%s", a);
            snprintf (cur->b, sizeof cur->b, "%s", b);
        }
        else if (cur && sscanf (line, "point %lf %d %lf %lf", &d, &cnt, &sum, &sumsq) == 4 && d > 0
                 && d < 1e4 && cnt > 0 && cnt < 100000000 && isfinite (sum) && isfinite (sumsq))
            rssi_calib_add_point (&cur->calib, d, cnt, sum, sumsq);
        else
            (*bad)++;
    }
    for (int i = 0; i < n; i++) {
        char why[160];
        rssi_calib_fit (&links[i].calib, why, sizeof why);
    }
    return n;
}

int
rssi_store_load (const char *path, rssi_stored_t *links, int max, int *bad)
{
    *bad = 0;
    FILE *f = fopen (path, "r");
    if (!f)
        return 0;
    char *text = (char *) calloc (1, 1 << 20);
    size_t got = fread (text, 1, (1 << 20) - 1, f);
    fclose (f);
    text[got] = 0;
    int n = rssi_store_parse (text, links, max, bad);
    free (text);
    return n;
}

int
rssi_store_save (const char *path, const rssi_stored_t *links, int n)
{
    char tmp[1100];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return -1;
    fprintf (f, "# rssi-ranger calibrations: samples per known distance, per link\n");
    for (int i = 0; i < n; i++) {
        fprintf (f, "link %s %s\n", links[i].a, links[i].b);
        for (int k = 0; k < links[i].calib.npoints; k++) {
            const rssi_point_t *pt = &links[i].calib.points[k];
            fprintf (f, "point %.4f %d %.6f %.6f\n", pt->distance_m, pt->n, pt->sum, pt->sumsq);
        }
    }
    if (fclose (f))
        return -1;
    return rename (tmp, path);
}
