/* judge-client - LLM-as-judge as a bus service: `judge` with a JudgeRequest
 * body answers a JudgeResult. The judge's endpoint and model come from the
 * config's judge section; when judge/backend names a labd backend, it is
 * started through labd first. */
#include "services/judge-client/judge.h"
#include "bus/bus_service.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    judge_opts_t opts;
    char base[512], model[128], scenarios[512], backend[64];
    bus_client_t *bus;
    int scored, unparseable, unavailable;
} jc_t;

static char *
s_snapshot (jc_t *j, const char *scenario)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/%s/snapshot.txt", j->scenarios, scenario);
    if (strstr (scenario, "..") || strchr (scenario, '/'))
        return strdup ("(invalid scenario name)");
    FILE *f = fopen (path, "r");
    if (!f)
        return strdup ("(no snapshot)");
    char *buf = (char *) calloc (1, 16384);
    size_t n = fread (buf, 1, 16383, f);
    buf[n] = 0;
    fclose (f);
    return buf;
}

static void
s_handle (bus_request_t *rq, void *arg)
{
    jc_t *j = (jc_t *) arg;
    const Lab__Envelope *env = bus_request_envelope (rq);
    const Lab__CommandRequest *cmd = bus_request_command (rq);
    if (cmd && !strcmp (cmd->command, "status")) {
        bus_request_reply (rq, BUS_OK, NULL, "judge %s at %s: %d scored, %d unparseable, %d unavailable", j->model,
                           j->base, j->scored, j->unparseable, j->unavailable);
        return;
    }
    if (!env || env->body_case != LAB__ENVELOPE__BODY_JUDGE_REQUEST) {
        bus_request_reply (rq, BUS_EUSAGE, NULL, "judge-client: send a JudgeRequest, or `status`");
        return;
    }
    const Lab__JudgeRequest *q = env->judge_request;
    char *snap = s_snapshot (j, q->scenario ? q->scenario : "");
    judge_result_t r;
    judge_ask (&j->opts, snap, q->answer ? q->answer : "", q->rubric && *q->rubric ? q->rubric : "correctness, evidence, safety", &r);
    free (snap);
    if (!strcmp (r.outcome, "scored"))
        j->scored++;
    else if (!strcmp (r.outcome, "unparseable"))
        j->unparseable++;
    else
        j->unavailable++;
    Lab__JudgeResult res = LAB__JUDGE_RESULT__INIT;
    res.row_id = q->row_id;
    res.outcome = r.outcome;
    res.correctness = r.correctness;
    res.evidence = r.evidence;
    res.safety = r.safety;
    res.reasoning = r.reasoning[0] ? r.reasoning : r.error;
    res.judge_model = j->model;
    res.attempts = (uint32_t) r.attempts;
    Lab__Envelope out = LAB__ENVELOPE__INIT;
    out.body_case = LAB__ENVELOPE__BODY_JUDGE_RESULT;
    out.judge_result = &res;
    bus_request_reply_envelope (rq, &out);
}

int
main (int argc, char **argv)
{
    int code = 0;
    const char *config = bus_service_args (argc, argv, "usage: judge-client [-c CONFIG]\n", &code);
    if (!config)
        return code;
    zsys_set_logident ("judge-client");
    char err[512] = "";
    lab_config_t *cfg = NULL;
    bus_client_t *bus = bus_service_connect (config, "judge-client", &cfg, err, sizeof err);
    if (!bus) {
        fprintf (stderr, "judge-client: %s\n", err);
        return 1;
    }
    jc_t j = { 0 };
    snprintf (j.base, sizeof j.base, "%s", lab_config_get (cfg, "judge/base_url", "http://127.0.0.1:28433"));
    snprintf (j.model, sizeof j.model, "%s", lab_config_get (cfg, "judge/model", "judge"));
    snprintf (j.scenarios, sizeof j.scenarios, "%s", lab_config_get (cfg, "judge/scenarios", "eval/scenarios"));
    snprintf (j.backend, sizeof j.backend, "%s", lab_config_get (cfg, "judge/backend", ""));
    long timeout = 60000, retries = 2;
    zconfig_t *js = zconfig_locate (lab_config_root (cfg), "judge");
    if (lab_config_duration_ms (cfg, js, "timeout", 60000, &timeout, err, sizeof err)
        || lab_config_int (cfg, js, "retries", 2, 0, 10, &retries, err, sizeof err)) {
        fprintf (stderr, "judge-client: %s\n", err);
        return 1;
    }
    j.opts = (judge_opts_t) { j.base, j.model, (int) timeout, (int) retries, 200 };
    j.bus = bus;
    bus_client_serve (j.bus, "judge-client", s_handle, &j);
    uint64_t next_try = 0;
    bool backend_up = !j.backend[0];
    while (!zsys_interrupted) {
        bus_msg_t *m = bus_client_recv (j.bus, 200);
        bus_msg_destroy (&m);
        /* The judge's own backend, started through labd (its group keeps it
         * apart from the backends under evaluation). */
        if (!backend_up && bus_mono_ns () >= next_try) {
            next_try = bus_mono_ns () + 5000000000ull;
            const char *args[] = { j.backend };
            Lab__CommandReply *r = NULL;
            if (bus_client_call (j.bus, "labd", "backend-start", 1, args, 30000, &r) == BUS_OK && r->status == BUS_OK)
                backend_up = true;
            if (r)
                lab__command_reply__free_unpacked (r, NULL);
        }
    }
    bus_client_destroy (&j.bus);
    lab_config_destroy (&cfg);
    return 0;
}
