/* The labctl command table: LABCTL_COMMAND (name, function, one-line summary).
 * Included twice (declarations in labctl.h, the table in main.c). Add one line
 * per command; keep the list in the order `labctl --help` shows it. */
LABCTL_COMMAND ("status", labctl_cmd_status, "services, boards and bus statistics")
LABCTL_COMMAND ("sub", labctl_cmd_sub, "print live bus messages matching a topic prefix")
LABCTL_COMMAND ("pub", labctl_cmd_pub, "publish a text message on a topic")
LABCTL_COMMAND ("call", labctl_cmd_call, "send a command to a named service")
LABCTL_COMMAND ("replay", labctl_cmd_replay, "read back the broker's flight recorder")
LABCTL_COMMAND ("keygen", labctl_cmd_keygen, "make a CURVE key pair for a bus shared between hosts")
/* Each area adds its commands directly below its own marker. */
/* area:supervisor */
LABCTL_COMMAND ("start", labctl_cmd_start, "start a supervised service (or retry a FAILED one)")
LABCTL_COMMAND ("stop", labctl_cmd_stop, "stop a supervised service")
LABCTL_COMMAND ("restart", labctl_cmd_restart, "restart a supervised service")
LABCTL_COMMAND ("top", labctl_cmd_top, "live view: services, boards, jobs with progress")
/* area:boards */
LABCTL_COMMAND ("pingpong", labctl_cmd_pingpong, "ESP-NOW ping-pong between two boards (sent/lost/RTT)")
LABCTL_COMMAND ("tail", labctl_cmd_tail, "a board's live serial output with timestamps")
LABCTL_COMMAND ("reset", labctl_cmd_reset, "reset a board (DTR/RTS), optionally into the bootloader")
LABCTL_COMMAND ("flash", labctl_cmd_flash, "flash an image onto a board and show what it booted")
LABCTL_COMMAND ("board", labctl_cmd_board, "state of the boards, or of one board")
LABCTL_COMMAND ("keys", labctl_cmd_keys, "make the lab's OTA signing key (files only, never argv or bus)")
/* area:ota */
LABCTL_COMMAND ("ota", labctl_cmd_ota, "push firmware over ESP-NOW with progress; ota status")
/* area:rssi */
LABCTL_COMMAND ("rssi", labctl_cmd_rssi, "distance between boards: calibrate, watch, status")
/* area:eval */
LABCTL_COMMAND ("eval", labctl_cmd_eval, "eval sweeps: run, status, summary, decide, blind score, report")
/* area:quality */
/* area:chat */
LABCTL_COMMAND ("chat", labctl_cmd_chat, "talk to the lab as from a phone (/help)")
/* area:web */
/* area:reliability */
/* area:builds */
LABCTL_COMMAND ("build", labctl_cmd_build, "build firmware from a recipe: output, exit, size, SHA-256, version")
LABCTL_COMMAND ("builds", labctl_cmd_builds, "the last builds and the recipes")
LABCTL_COMMAND ("reflash", labctl_cmd_reflash, "build, flash or push to a board, confirm the version it booted")
LABCTL_COMMAND ("boards", labctl_cmd_boards, "boards with their firmware history")
LABCTL_COMMAND ("diagnose", labctl_cmd_diagnose, "code, board or cable/USB bridge? evidence and a verdict")
