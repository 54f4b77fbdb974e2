/* osal.h over FreeRTOS (ESP-IDF): every object is created static in the caller's storage
 * (configSUPPORT_STATIC_ALLOCATION, on in ESP-IDF), so the layer allocates nothing. */
#if defined(ESP_PLATFORM) || defined(ASNET_OSAL_FREERTOS)
#include "osal.h"

static TickType_t ticks(uint32_t ms) { return ms == OSAL_FOREVER ? portMAX_DELAY : pdMS_TO_TICKS(ms); }

int osal_mutex_init(osal_mutex_t *m) { m->h = xSemaphoreCreateMutexStatic(&m->buf); return m->h ? 0 : -1; }
void osal_mutex_lock(osal_mutex_t *m) { (void)xSemaphoreTake(m->h, portMAX_DELAY); }
void osal_mutex_unlock(osal_mutex_t *m) { (void)xSemaphoreGive(m->h); }

int osal_sem_init(osal_sem_t *s, uint32_t initial)
{
    s->h = xSemaphoreCreateCountingStatic(0x7fffu, initial, &s->buf);
    return s->h ? 0 : -1;
}
void osal_sem_destroy(osal_sem_t *s) { vSemaphoreDelete(s->h); }
int osal_sem_wait(osal_sem_t *s, uint32_t timeout_ms) { return xSemaphoreTake(s->h, ticks(timeout_ms)) == pdTRUE ? 0 : -1; }
void osal_sem_post(osal_sem_t *s) { (void)xSemaphoreGive(s->h); }

int osal_queue_init(osal_queue_t *q, void *storage, uint32_t item, uint32_t depth)
{
    q->h = xQueueCreateStatic(depth, item, storage, &q->buf);
    return q->h ? 0 : -1;
}
int osal_queue_send(osal_queue_t *q, const void *item, uint32_t timeout_ms) { return xQueueSend(q->h, item, ticks(timeout_ms)) == pdTRUE ? 0 : -1; }
int osal_queue_recv(osal_queue_t *q, void *item, uint32_t timeout_ms) { return xQueueReceive(q->h, item, ticks(timeout_ms)) == pdTRUE ? 0 : -1; }

int osal_thread_start(osal_thread_t *t, const char *name, osal_thread_fn fn, void *arg,
                      void *stack, size_t stack_bytes, int prio)
{
    if (stack == NULL || stack_bytes < 1024u) return -1;
    t->h = xTaskCreateStatic(fn, name, (uint32_t)(stack_bytes / sizeof(StackType_t)), arg,
                             (UBaseType_t)prio, (StackType_t *)stack, &t->tcb);
    return t->h ? 0 : -1;
}
int osal_thread_join(osal_thread_t *t) { (void)t; return -1; }

uint32_t osal_now_ms(void) { return (uint32_t)(xTaskGetTickCount() * portTICK_PERIOD_MS); }
void osal_sleep_ms(uint32_t ms) { vTaskDelay(ticks(ms)); }
#endif
