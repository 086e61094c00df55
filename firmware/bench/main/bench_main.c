/* bench_main - app_main of the bench firmware: one task runs the core. */
#include "bench.h"
#include "esp_log.h"
#include "esp_system.h"
#include "freertos/task.h"

/* The single instance: large (frame buffers) and alive for the whole run, so
 * static rather than on a task stack. */
static bench_t s_instance;

static void
s_bench_task (void *arg)
{
    bench_t *self = (bench_t *) arg;
    for (;;)
        bench_loop_once (self);
}

void
app_main (void)
{
    if (bench_init (&s_instance) != ESP_OK) {
        ESP_LOGE ("bench", "cannot start; rebooting in 5 s");
        vTaskDelay (pdMS_TO_TICKS (5000));
        esp_restart ();
    }
    xTaskCreate (s_bench_task, "bench", 6144, &s_instance, 5, NULL);
}
