/* osal.h over POSIX threads (the posix board). The semaphore and the queue are a mutex with condition
 * variables on CLOCK_MONOTONIC, so timeouts do not move with the wall clock. */
#if !defined(ESP_PLATFORM) && !defined(ASNET_OSAL_FREERTOS)
#include <errno.h>
#include <string.h>
#include <time.h>
#include "osal.h"

static void deadline_in(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000u;
    ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

static int cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int r = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return r == 0 ? 0 : -1;
}

/* Waits on c (m held) until pred holds or the deadline passes: 0, or -1 on timeout. */
static int cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *dl)
{
    int r = dl ? pthread_cond_timedwait(c, m, dl) : pthread_cond_wait(c, m);
    return r == ETIMEDOUT ? -1 : 0;
}

int osal_mutex_init(osal_mutex_t *m) { return pthread_mutex_init(&m->m, NULL) == 0 ? 0 : -1; }
void osal_mutex_lock(osal_mutex_t *m) { pthread_mutex_lock(&m->m); }
void osal_mutex_unlock(osal_mutex_t *m) { pthread_mutex_unlock(&m->m); }

int osal_sem_init(osal_sem_t *s, uint32_t initial)
{
    s->count = initial;
    if (pthread_mutex_init(&s->m, NULL) != 0) return -1;
    return cond_init(&s->c);
}

void osal_sem_destroy(osal_sem_t *s) { pthread_cond_destroy(&s->c); pthread_mutex_destroy(&s->m); }

int osal_sem_wait(osal_sem_t *s, uint32_t timeout_ms)
{
    struct timespec dl;
    if (timeout_ms != OSAL_FOREVER) deadline_in(&dl, timeout_ms);
    pthread_mutex_lock(&s->m);
    int r = 0;
    while (s->count == 0 && r == 0) r = timeout_ms == 0 ? -1 : cond_wait_until(&s->c, &s->m, timeout_ms == OSAL_FOREVER ? NULL : &dl);
    if (s->count > 0) { s->count--; r = 0; }
    pthread_mutex_unlock(&s->m);
    return r;
}

void osal_sem_post(osal_sem_t *s)
{
    pthread_mutex_lock(&s->m);
    s->count++;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
}

int osal_queue_init(osal_queue_t *q, void *storage, uint32_t item, uint32_t depth)
{
    q->storage = storage; q->item = item; q->depth = depth; q->head = q->count = 0;
    if (pthread_mutex_init(&q->m, NULL) != 0) return -1;
    return cond_init(&q->not_empty) == 0 && cond_init(&q->not_full) == 0 ? 0 : -1;
}

int osal_queue_send(osal_queue_t *q, const void *item, uint32_t timeout_ms)
{
    struct timespec dl;
    if (timeout_ms != OSAL_FOREVER) deadline_in(&dl, timeout_ms);
    pthread_mutex_lock(&q->m);
    int r = 0;
    while (q->count == q->depth && r == 0) r = timeout_ms == 0 ? -1 : cond_wait_until(&q->not_full, &q->m, timeout_ms == OSAL_FOREVER ? NULL : &dl);
    if (q->count < q->depth) {
        memcpy(q->storage + ((q->head + q->count) % q->depth) * q->item, item, q->item);
        q->count++;
        pthread_cond_signal(&q->not_empty);
        r = 0;
    }
    pthread_mutex_unlock(&q->m);
    return r;
}

int osal_queue_recv(osal_queue_t *q, void *item, uint32_t timeout_ms)
{
    struct timespec dl;
    if (timeout_ms != OSAL_FOREVER) deadline_in(&dl, timeout_ms);
    pthread_mutex_lock(&q->m);
    int r = 0;
    while (q->count == 0 && r == 0) r = timeout_ms == 0 ? -1 : cond_wait_until(&q->not_empty, &q->m, timeout_ms == OSAL_FOREVER ? NULL : &dl);
    if (q->count > 0) {
        memcpy(item, q->storage + q->head * q->item, q->item);
        q->head = (q->head + 1) % q->depth;
        q->count--;
        pthread_cond_signal(&q->not_full);
        r = 0;
    }
    pthread_mutex_unlock(&q->m);
    return r;
}

/* The thread's entry and argument live in the starter's frame until the thread has copied them. */
struct start_box { osal_thread_fn fn; void *arg; osal_sem_t copied; };

static void *trampoline(void *p)
{
    struct start_box *box = p;
    osal_thread_fn fn = box->fn;
    void *arg = box->arg;
    osal_sem_post(&box->copied);
    fn(arg);
    return NULL;
}

int osal_thread_start(osal_thread_t *t, const char *name, osal_thread_fn fn, void *arg,
                      void *stack, size_t stack_bytes, int prio)
{
    (void)name; (void)stack; (void)prio;
    struct start_box box = { .fn = fn, .arg = arg };
    if (osal_sem_init(&box.copied, 0) < 0) return -1;
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (stack_bytes) pthread_attr_setstacksize(&a, stack_bytes < 65536 ? 65536 : stack_bytes);
    int r = pthread_create(&t->t, &a, trampoline, &box);
    pthread_attr_destroy(&a);
    if (r == 0) osal_sem_wait(&box.copied, OSAL_FOREVER);
    osal_sem_destroy(&box.copied);
    return r == 0 ? 0 : -1;
}

int osal_thread_join(osal_thread_t *t) { return pthread_join(t->t, NULL) == 0 ? 0 : -1; }

uint32_t osal_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void osal_sleep_ms(uint32_t ms)
{
    struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}
#endif
