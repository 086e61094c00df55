/* fuzz_openai_json - untrusted bytes as one OpenAI-compatible chunk or
 * reply, and as a request body as labsim llm reads it (user text, answer
 * plan). */
#include "services/eval-runner/eval_openai.h"
#include "services/eval-runner/eval_scenario.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    eval_chunk_t c;
    char err[256];
    if (eval_chunk_parse ((const char *) data, size, &c, err, sizeof err) == 0) {
        (void) eval_chunk_has_token (&c);
        (void) eval_text_has_template_leak (c.content);
        eval_chunk_clear (&c);
    }
    json_t *req = json_loadb ((const char *) data, size, 0, NULL);
    if (req) {
        char *user = eval_messages_user_text (json_object_get (req, "messages"));
        free (user);
        json_decref (req);
    }
    return 0;
}
