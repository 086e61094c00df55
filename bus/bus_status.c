/* bus_status - names for bus_status_t. */
#include "bus/bus_status.h"

const char *
bus_status_name (int status)
{
    switch (status) {
        case BUS_OK: return "ok";
        case BUS_ERROR: return "error";
        case BUS_EUSAGE: return "usage";
        case BUS_ENOTRUNNING: return "not running";
        case BUS_ETIMEOUT: return "timeout";
        case BUS_EBUSY: return "busy";
        case BUS_EDENIED: return "denied";
        case BUS_ENOTFOUND: return "not found";
        case BUS_EPROTO: return "protocol error";
        default: return "unknown status";
    }
}
