#pragma once
#include <stdint.h>
#include <stddef.h>
typedef uint32_t TickType_t;
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
#define pdTRUE 1
#define pdFALSE 0
#define pdPASS pdTRUE
#define portMAX_DELAY ((TickType_t) 0xffffffffUL)
#define configTICK_RATE_HZ 100
#define pdMS_TO_TICKS(ms) ((TickType_t) (((TickType_t) (ms) * (TickType_t) configTICK_RATE_HZ) / (TickType_t) 1000U))
#define portTICK_PERIOD_MS ((TickType_t) 1000 / configTICK_RATE_HZ)
typedef struct StaticQueue_t { void *dummy[20]; } StaticQueue_t;
typedef struct QueueDefinition *QueueHandle_t;
typedef QueueHandle_t SemaphoreHandle_t;
typedef StaticQueue_t StaticSemaphore_t;
