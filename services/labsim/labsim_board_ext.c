/* labsim_board_ext - the default (empty) extension of simulated boards.
 * An area that extends them (flash emulation, OTA responder) replaces this
 * file: it filters it out of LABSIM_SRC below its own marker in
 * services/labsim/build.mk and defines these two functions in its own file. */
#include "services/labsim/labsim_board.h"

int
labsim_board_ext_attach (labsim_board_t *board, lab_config_t *cfg, zconfig_t *node, char *err,
                         size_t errlen)
{
    (void) board;
    (void) cfg;
    (void) node;
    (void) err;
    (void) errlen;
    return 0;
}

void
labsim_board_ext_detach (labsim_board_t *board)
{
    (void) board;
}
