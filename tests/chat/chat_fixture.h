/* chat_fixture - what the chat integration tests share: a broker, the fake
 * Bot API, fake lab services on the test's own bus client (labd,
 * serial-bridge, eval-runner) that count what they are asked, and
 * chat-gateway itself as a real process. */
#ifndef CHAT_FIXTURE_H
#define CHAT_FIXTURE_H

#include "tests/chat/fake_bot_api.h"
#include "tests/lab_test.h"
#include <stdbool.h>
#include <sys/types.h>

#define FX_BOARDS 64

typedef struct {
    char *dir;
    pid_t broker, gw;
    fake_api_t *api;
    char cfg[600];
    bus_client_t *bus;
    int restarts;                 /* labd restart requests */
    int tails[FX_BOARDS];         /* serial-bridge tail requests answered, per board bN */
    int hold_tail;                /* a tail of this board is kept unanswered (0: none) */
    int tails_held;
    bus_request_t *held;
    char decide_args[256];        /* what eval-runner was asked to decide */
    int decides;
    bool labd;                    /* broker and gateway run by labd (pid in broker) */
    int gw_restarts;              /* labd's view of chat-gateway, from state.service */
    int gw_pids[8], ngw_pids;     /* every pid labd reported for it */
    char gw_state[32];
} fx_t;

/* Broker, fake API, fake services and the config; EXTRA_CFG is appended
 * under chat/telegram (may be ""). Does not start the gateway. */
fx_t *fx_new (const char *extra_telegram_cfg);
/* The same with labd running the broker and chat-gateway (heartbeat 1 s,
 * 3 misses: a gateway whose loop stalls is killed and restarted). */
fx_t *fx_new_under_labd (void);
void fx_destroy (fx_t **self_p);
/* cmocka teardown: fx_destroy of the fixture in *STATE. */
int fx_teardown (void **state);
void fx_start_gw (fx_t *self);
void fx_kill_gw (fx_t *self, int sig);
/* Serves the fake services for MS. */
void fx_pump (fx_t *self, int ms);
/* Waits (serving) until CHAT got WANT messages containing NEEDLE. */
bool fx_wait_sent (fx_t *self, const char *chat, const char *needle, int want, int timeout_ms);
/* Lines of the audit log containing NEEDLE (and NEEDLE2 when not NULL). */
int fx_audit (fx_t *self, const char *needle, const char *needle2);
/* A counter from `chat-gateway counters`; -1 when it did not answer. */
long fx_counter (fx_t *self, const char *name);

#endif
