/* bus_curve - CURVE keys and the ZAP handler for the bus. */
#include "bus/bus_curve.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
bus_curve_endpoint_is_local (const char *endpoint)
{
    if (!strncmp (endpoint, "ipc://", 6) || !strncmp (endpoint, "inproc://", 9))
        return true;
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *host = endpoint + 6;
    return !strncmp (host, "127.", 4) || !strncmp (host, "localhost:", 10)
           || !strncmp (host, "[::1]:", 6);
}

zcert_t *
bus_curve_load_cert (const char *path, char *err, size_t errlen)
{
    if (access (path, R_OK)) {
        snprintf (err, errlen, "cannot read certificate %s: %s", path, strerror (errno));
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert)
        snprintf (err, errlen, "%s is not a certificate (make one with labctl keygen)", path);
    else if (!strcmp (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        snprintf (err, errlen, "%s holds no secret key (use the NAME_secret file)", path);
        zcert_destroy (&cert);
    }
    return cert;
}

int
bus_curve_load_public (const char *path, char out[41], char *err, size_t errlen)
{
    if (access (path, R_OK)) {
        snprintf (err, errlen, "cannot read certificate %s: %s", path, strerror (errno));
        return -1;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        snprintf (err, errlen, "%s is not a certificate", path);
        return -1;
    }
    snprintf (out, 41, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

void
bus_curve_apply_server (zsock_t *sock, zcert_t *cert)
{
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, "labbus");
}

void
bus_curve_apply_client (zsock_t *sock, zcert_t *cert, const char *server_public)
{
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_public);
}

zactor_t *
bus_curve_auth_new (const char *clients_dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat (clients_dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "allowed-clients directory %s does not exist", clients_dir);
        return NULL;
    }
    zactor_t *auth = zactor_new (zauth, NULL);
    if (!auth) {
        snprintf (err, errlen, "cannot start the authentication handler");
        return NULL;
    }
    /* zauth answers each command with a signal once it has taken effect. */
    zstr_sendx (auth, "CURVE", clients_dir, NULL);
    zsock_wait (auth);
    return auth;
}

int
bus_curve_keygen (const char *dir, const char *name, char *err, size_t errlen)
{
    if (!*name || strchr (name, '/')) {
        snprintf (err, errlen, "bad key name '%s'", name);
        return -1;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        snprintf (err, errlen, "cannot generate a key pair");
        return -1;
    }
    zcert_set_meta (cert, "name", "%s", name);
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    int rc = zcert_save (cert, path);
    zcert_destroy (&cert);
    if (rc) {
        snprintf (err, errlen, "cannot write %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}
