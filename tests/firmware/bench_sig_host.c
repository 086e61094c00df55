/* bench_sig_host - bench_sig_init for the host builds of the bench glue: the
 * same ota_sig_t as firmware/bench/main/bench_sig.c (mbedTLS on the board),
 * here on libcrypto through firmware/sim/sim_sig.c, with the public key the
 * IDF fake says is built into the image (idf_fake.sig_pub_path). */
#include "firmware/bench/main/bench.h"
#include "firmware/sim/sim_sig.h"
#include "tests/firmware/idf_fake.h"
#include <stdio.h>
#include <string.h>

const ota_sig_t *
bench_sig_init (void)
{
    /* One per process, as on the board; rebuilt when the key path changes
     * between tests. */
    static sim_sig_t *sig;
    static char path[sizeof idf_fake.sig_pub_path];
    if (!sig || strcmp (path, idf_fake.sig_pub_path)) {
        sim_sig_destroy (&sig);
        snprintf (path, sizeof path, "%s", idf_fake.sig_pub_path);
        sig = sim_sig_new (path);
    }
    return sim_sig_ops (sig);
}
