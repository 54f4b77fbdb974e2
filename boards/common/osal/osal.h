/* The OS layer under the sockets layer (boards/common/sockets): the five things it needs from an RTOS,
 * all with caller-provided storage, so nothing is allocated after init.
 *   mutex      lock / unlock (not recursive)
 *   sem        counting semaphore with a timeout: a blocked caller waits on its own one
 *   queue      fixed-depth FIFO of fixed-size items (the message queue in front of the stack task)
 *   thread     start a task on a given stack (pthreads: the size only)
 *   time       a monotonic ms clock, sleep
 * Implemented in osal_pthread.c (Linux, the posix board) and osal_freertos.c (ESP-IDF / FreeRTOS,
 * static objects: xSemaphoreCreateMutexStatic, xSemaphoreCreateCountingStatic, xQueueCreateStatic,
 * xTaskCreateStatic). Timeouts are ms; OSAL_FOREVER waits without end. */
#ifndef ASNET_OSAL_H
#define ASNET_OSAL_H
#include <stddef.h>
#include <stdint.h>

#define OSAL_FOREVER 0xffffffffu

#if defined(ESP_PLATFORM) || defined(ASNET_OSAL_FREERTOS)
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/queue.h"
#include "freertos/task.h"
typedef struct { StaticSemaphore_t buf; SemaphoreHandle_t h; } osal_mutex_t;
typedef struct { StaticSemaphore_t buf; SemaphoreHandle_t h; } osal_sem_t;
typedef struct { StaticQueue_t buf; QueueHandle_t h; } osal_queue_t;
typedef struct { StaticTask_t tcb; TaskHandle_t h; } osal_thread_t;
#else
#include <pthread.h>
typedef struct { pthread_mutex_t m; } osal_mutex_t;
typedef struct { pthread_mutex_t m; pthread_cond_t c; uint32_t count; } osal_sem_t;
typedef struct {
    pthread_mutex_t m; pthread_cond_t not_empty, not_full;
    uint8_t *storage; uint32_t item, depth, head, count;
} osal_queue_t;
typedef struct { pthread_t t; } osal_thread_t;
#endif

int osal_mutex_init(osal_mutex_t *m);
void osal_mutex_lock(osal_mutex_t *m);
void osal_mutex_unlock(osal_mutex_t *m);

int osal_sem_init(osal_sem_t *s, uint32_t initial);
void osal_sem_destroy(osal_sem_t *s);
/* 0 when taken, -1 on timeout. */
int osal_sem_wait(osal_sem_t *s, uint32_t timeout_ms);
void osal_sem_post(osal_sem_t *s);

/* storage holds depth * item bytes and outlives the queue. */
int osal_queue_init(osal_queue_t *q, void *storage, uint32_t item, uint32_t depth);
/* 0 when the item was copied in / out, -1 on timeout (0 ms: do not wait). */
int osal_queue_send(osal_queue_t *q, const void *item, uint32_t timeout_ms);
int osal_queue_recv(osal_queue_t *q, void *item, uint32_t timeout_ms);

typedef void (*osal_thread_fn)(void *arg);
/* stack: caller storage of stack_bytes (FreeRTOS), or NULL (pthreads: a stack of that size, or the
 * default when 0). 0 or -1. */
int osal_thread_start(osal_thread_t *t, const char *name, osal_thread_fn fn, void *arg,
                      void *stack, size_t stack_bytes, int prio);
/* pthreads: waits for the thread to end; FreeRTOS: not available (-1). */
int osal_thread_join(osal_thread_t *t);

uint32_t osal_now_ms(void);
void osal_sleep_ms(uint32_t ms);
#endif
