#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"
typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA, WIFI_MODE_NAN, WIFI_MODE_MAX } wifi_mode_t;
typedef enum { WIFI_IF_STA = 0, WIFI_IF_AP = 1 } wifi_interface_t;
typedef enum { WIFI_STORAGE_FLASH, WIFI_STORAGE_RAM } wifi_storage_t;
typedef enum { WIFI_PS_NONE, WIFI_PS_MIN_MODEM, WIFI_PS_MAX_MODEM } wifi_ps_type_t;
typedef enum { WIFI_SECOND_CHAN_NONE = 0, WIFI_SECOND_CHAN_ABOVE, WIFI_SECOND_CHAN_BELOW } wifi_second_chan_t;
typedef enum { WIFI_SEND_SUCCESS = 0, WIFI_SEND_FAIL } wifi_tx_status_t;
typedef int wifi_phy_rate_t;
/* ESP32 (classic) receive metadata; only the fields the glue reads. */
typedef struct {
    signed rssi : 8;
    unsigned rate : 5;
    unsigned : 1;
    unsigned sig_mode : 2;
    unsigned : 16;
    unsigned mcs : 7;
    unsigned cwb : 1;
    unsigned : 16;
    unsigned smoothing : 1;
    unsigned not_sounding : 1;
    unsigned : 1;
    unsigned aggregation : 1;
    unsigned stbc : 2;
    unsigned fec_coding : 1;
    unsigned sgi : 1;
    signed noise_floor : 8;
    unsigned ampdu_cnt : 8;
    unsigned channel : 4;
    unsigned secondary_channel : 4;
    unsigned : 8;
    unsigned timestamp : 32;
    unsigned : 32;
    unsigned : 31;
    unsigned ant : 1;
    unsigned sig_len : 12;
    unsigned : 12;
    unsigned rx_state : 8;
} wifi_pkt_rx_ctrl_t;
typedef struct {
    uint8_t *des_addr;
    uint8_t *src_addr;
    wifi_interface_t ifidx;
    uint8_t *data;
    uint8_t data_len;
    wifi_phy_rate_t rate;
    wifi_tx_status_t tx_status;
} wifi_tx_info_t;
typedef struct { int magic; } wifi_init_config_t;
#define WIFI_INIT_CONFIG_MAGIC 0x1F2F3F4F
#define WIFI_INIT_CONFIG_DEFAULT() { .magic = WIFI_INIT_CONFIG_MAGIC }
esp_err_t esp_wifi_init(const wifi_init_config_t *config);
esp_err_t esp_wifi_set_mode(wifi_mode_t mode);
esp_err_t esp_wifi_set_storage(wifi_storage_t storage);
esp_err_t esp_wifi_start(void);
esp_err_t esp_wifi_set_ps(wifi_ps_type_t type);
esp_err_t esp_wifi_set_channel(uint8_t primary, wifi_second_chan_t second);
