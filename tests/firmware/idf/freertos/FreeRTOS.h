#pragma once
#include <stdint.h>
#include <stddef.h>
typedef uint32_t TickType_t;
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
#define pdTRUE 1
#define pdFALSE 0
#define pdPASS pdTRUE
#define pdFAIL pdFALSE
#define portMAX_DELAY ((TickType_t) 0xffffffffUL)
/* sdkconfig.h: the tick rate is a project setting; ESP-IDF's default is 100. */
#ifndef CONFIG_FREERTOS_HZ
#define CONFIG_FREERTOS_HZ 100
#endif
/* FreeRTOSConfig.h of ESP-IDF v5.5 (components/freertos/config/include/freertos/FreeRTOSConfig.h) */
#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define configUSE_QUEUE_SETS 1
/* FreeRTOS-Kernel V10.5.1 (ESP-IDF v5.5) include/projdefs.h: integer
 * division, so anything under one tick period is 0 ticks; a port may
 * override it, which the host checks do (tests/firmware/tick_check.h). */
#ifndef pdMS_TO_TICKS
#define pdMS_TO_TICKS(xTimeInMs) ((TickType_t) (((uint64_t) (xTimeInMs) * (uint64_t) configTICK_RATE_HZ) / (uint64_t) 1000U))
#endif
#define portTICK_PERIOD_MS ((TickType_t) 1000 / configTICK_RATE_HZ)
typedef struct StaticQueue_t { void *dummy[20]; } StaticQueue_t;
typedef struct QueueDefinition *QueueHandle_t;
typedef QueueHandle_t SemaphoreHandle_t;
typedef struct QueueDefinition *QueueSetHandle_t;
typedef struct QueueDefinition *QueueSetMemberHandle_t;
typedef StaticQueue_t StaticSemaphore_t;
