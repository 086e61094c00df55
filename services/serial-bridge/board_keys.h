/* board_keys - the keys a board may have in the config's `boards` section.
 * serial-bridge and labsim read the same section, so both check against
 * this one list (a typo must not pass silently in either). */
#ifndef BOARD_KEYS_H
#define BOARD_KEYS_H

#define BOARD_KEYS                                                                              \
    "port", "baud", "mac", "tcp_port", "version", "silent_after", "reset", "flash",             \
        "elf", "addr2line", "hexdump", "log_max", "log_files", "description", "ota_no_confirm", "ota_firmware", "pairing", NULL

#endif
