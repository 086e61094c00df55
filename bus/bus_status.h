/* bus_status - status codes shared by every bus reply and by labctl's exit codes.
 *
 * A CommandReply carries one of these in `status`; labctl exits with the same
 * number so scripts can tell "not running" from "timed out" from "refused". */
#ifndef BUS_STATUS_H
#define BUS_STATUS_H

typedef enum {
    BUS_OK = 0,           /* done */
    BUS_ERROR = 1,        /* the command ran and failed; message says why */
    BUS_EUSAGE = 2,       /* bad command or arguments */
    BUS_ENOTRUNNING = 3,  /* no service registered under that name */
    BUS_ETIMEOUT = 4,     /* no reply within the timeout */
    BUS_EBUSY = 5,        /* refused: something else is in progress */
    BUS_EDENIED = 6,      /* refused: not allowed */
    BUS_ENOTFOUND = 7,    /* the named object (board, job, image) does not exist */
    BUS_EPROTO = 8        /* malformed message on the wire */
} bus_status_t;

/* Short stable name of a status ("ok", "not running", ...). */
const char *bus_status_name (int status);

#endif
