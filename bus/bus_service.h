/* bus_service - the start of every lab service's main(): `-c CONFIG`
 * (default $LAB_CONFIG, then compose/lab.cfg), the config loaded, and a bus
 * client named $LAB_SERVICE_NAME (as labd starts it; else the program's own
 * name) with the 1 s heartbeat labd watches. */
#ifndef BUS_SERVICE_H
#define BUS_SERVICE_H

#include "bus/bus_client.h"

/* The config path from ARGV; NULL when the program should exit with
 * *EXIT_CODE (0 after --help, 2 on a bad argument; USAGE was printed). */
const char *bus_service_args (int argc, char **argv, const char *usage, int *exit_code);

/* Loads CONFIG_PATH into *CFG_OUT and connects; NULL with ERR filled. */
bus_client_t *bus_service_connect (const char *config_path, const char *name, lab_config_t **cfg_out,
                                   char *err, size_t errlen);

#endif
