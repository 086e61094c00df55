#pragma once
/* Stand-in for the sdkconfig.h an ESP-IDF build generates from
 * firmware/bench/sdkconfig.defaults for target esp32 (ESP-IDF v5.5): only
 * the options the vendored headers and the glue read. */
#define CONFIG_IDF_TARGET "esp32"
#define CONFIG_IDF_TARGET_ESP32 1
#define CONFIG_SOC_WIFI_SUPPORTED 1
#define CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE 1
#ifndef CONFIG_FREERTOS_HZ
#define CONFIG_FREERTOS_HZ 100
#endif
#ifndef CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM
#define CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM 7
#endif
