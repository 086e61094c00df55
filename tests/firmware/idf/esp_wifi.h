#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"
/* The types are ESP-IDF v5.5's own (vendored, ../idf-v5.5/esp_wifi_types.h). */
#include "esp_wifi_types.h"
typedef struct { int magic; } wifi_init_config_t;
#define WIFI_INIT_CONFIG_MAGIC 0x1F2F3F4F
#define WIFI_INIT_CONFIG_DEFAULT() { .magic = WIFI_INIT_CONFIG_MAGIC }
esp_err_t esp_wifi_init(const wifi_init_config_t *config);
esp_err_t esp_wifi_set_mode(wifi_mode_t mode);
esp_err_t esp_wifi_set_storage(wifi_storage_t storage);
esp_err_t esp_wifi_start(void);
esp_err_t esp_wifi_set_ps(wifi_ps_type_t type);
esp_err_t esp_wifi_set_channel(uint8_t primary, wifi_second_chan_t second);
