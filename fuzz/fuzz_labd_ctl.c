/* fuzz_labd_ctl - untrusted bytes as a request line on labd's control
 * socket: split into a command and words, or refused. */
#include "services/labd/labd_ctl.h"
#include <assert.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char command[LABD_CTL_WORD_MAX], args[LABD_CTL_ARGS_MAX][LABD_CTL_WORD_MAX];
    int n = labd_ctl_parse ((const char *) data, size, command, args);
    assert (n >= -1 && n <= LABD_CTL_ARGS_MAX);
    if (n >= 0) {
        assert (strlen (command) > 0 && strlen (command) < LABD_CTL_WORD_MAX);
        for (int i = 0; i < n; i++)
            assert (strlen (args[i]) > 0 && strlen (args[i]) < LABD_CTL_WORD_MAX);
    }
    return 0;
}
