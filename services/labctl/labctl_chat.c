/* labctl chat - the console transport of chat-gateway: the same commands
 * a phone sends, answered the same way. */
#include "services/labctl/labctl.h"
#include <czmq.h>
#include <string.h>
#include <unistd.h>

static int
s_say (labctl_t *ctx, const char *text)
{
    bus_client_t *bus = labctl_bus (ctx);
    if (!bus)
        return BUS_ERROR;
    const char *args[] = { text };
    Lab__CommandReply *reply = NULL;
    /* A chat command may run long (an eval summary, a reflash): two minutes
     * unless the caller said how long they are willing to wait. */
    int timeout = ctx->timeout_set ? ctx->timeout_ms : 120000;
    int rc = bus_client_call (bus, "chat-gateway", "console", 1, args, timeout, &reply);
    if (rc != BUS_OK) {
        fprintf (stderr, "labctl: chat-gateway: %s\n", bus_client_error (bus));
        return rc;
    }
    printf ("%s\n", reply->message);
    rc = reply->status;
    lab__command_reply__free_unpacked (reply, NULL);
    return rc;
}

int
labctl_cmd_chat (labctl_t *ctx, int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp (argv[1], "--help")) {
            printf ("usage: labctl chat [TEXT]\n  One message (e.g. \"/status\"), or an interactive console.\n");
            return 0;
        }
        char text[4096] = "";
        for (int i = 1; i < argc; i++) {
            strncat (text, argv[i], sizeof text - strlen (text) - 2);
            if (i + 1 < argc)
                strcat (text, " ");
        }
        return s_say (ctx, text);
    }
    char line[4096];
    bool tty = isatty (0);
    while (!zsys_interrupted) {
        if (tty) {
            printf ("lab> ");
            fflush (stdout);
        }
        if (!fgets (line, sizeof line, stdin))
            break;
        line[strcspn (line, "\r\n")] = 0;
        if (!line[0])
            continue;
        s_say (ctx, line);
    }
    return 0;
}
