/* ota_pair - see ota_pair.h. Keys come from the system's CSPRNG through
 * libcrypto (RAND_bytes). */
#include "services/ota-initiator/ota_pair.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
s_lmk_path (const char *dir, const char *a, const char *b, char *out, size_t len)
{
    if (strcmp (a, b) > 0) {
        const char *t = a;
        a = b;
        b = t;
    }
    snprintf (out, len, "%s/espnow-%s+%s.lmk", dir, a, b);
}

/* 0 made, 1 existed, -1 failed. */
static int
s_make (const char *path, char *err, size_t errlen)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 1;
        snprintf (err, errlen, "cannot create %s: %s", path, strerror (errno));
        return -1;
    }
    uint8_t key[OTA_PAIR_KEY_LEN];
    char hex[2 * OTA_PAIR_KEY_LEN + 2];
    if (RAND_bytes (key, sizeof key) != 1) {
        close (fd);
        unlink (path);
        snprintf (err, errlen, "no random bytes for %s", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof key; i++)
        snprintf (hex + 2 * i, 3, "%02x", key[i]);
    hex[2 * OTA_PAIR_KEY_LEN] = '\n';
    ssize_t n = write (fd, hex, 2 * OTA_PAIR_KEY_LEN + 1);
    if (close (fd) || n != 2 * OTA_PAIR_KEY_LEN + 1) {
        unlink (path);
        snprintf (err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

int
ota_pair_keygen (const char *dir, const char *const *names, int n, char *err, size_t errlen)
{
    if (n > OTA_PAIR_MAX_BOARDS) {
        snprintf (err, errlen, "%d boards: ESP-NOW allows at most %d encrypted peers per board", n,
                  OTA_PAIR_MAX_BOARDS - 1);
        return -1;
    }
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    char path[1200];
    snprintf (path, sizeof path, "%s/espnow.pmk", dir);
    int made = 0, rc = s_make (path, err, errlen);
    if (rc < 0)
        return -1;
    made += rc == 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            s_lmk_path (dir, names[i], names[j], path, sizeof path);
            if ((rc = s_make (path, err, errlen)) < 0)
                return -1;
            made += rc == 0;
        }
    return made;
}

static int
s_read (const char *path, uint8_t key[OTA_PAIR_KEY_LEN])
{
    FILE *f = fopen (path, "r");
    char hex[2 * OTA_PAIR_KEY_LEN + 2] = "";
    bool ok = f && fgets (hex, sizeof hex, f) && strlen (hex) >= 2 * OTA_PAIR_KEY_LEN;
    if (f)
        fclose (f);
    for (size_t i = 0; ok && i < OTA_PAIR_KEY_LEN; i++) {
        unsigned v;
        ok = sscanf (hex + 2 * i, "%2x", &v) == 1;
        key[i] = (uint8_t) v;
    }
    return ok ? 0 : -1;
}

int
ota_pair_pmk (const char *dir, uint8_t pmk[OTA_PAIR_KEY_LEN])
{
    char path[1200];
    snprintf (path, sizeof path, "%s/espnow.pmk", dir);
    return s_read (path, pmk);
}

int
ota_pair_lmk (const char *dir, const char *a, const char *b, uint8_t lmk[OTA_PAIR_KEY_LEN])
{
    char path[1200];
    s_lmk_path (dir, a, b, path, sizeof path);
    return s_read (path, lmk);
}
