#include "frame_queue.h"
#include <string.h>

void frame_queue_init(struct frame_queue *q) {
  atomic_store(&q->head, 0);
  atomic_store(&q->tail, 0);
  atomic_store(&q->dropped, 0);
}

int frame_queue_push(struct frame_queue *q, const uint8_t *frame, uint32_t len) {
  unsigned head = atomic_load_explicit(&q->head, memory_order_relaxed);
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_acquire);
  if (len > FRAME_QUEUE_SLOT_BYTES || head - tail >= FRAME_QUEUE_SLOTS) {
    atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
    return -1;
  }
  unsigned slot = head % FRAME_QUEUE_SLOTS;
  memcpy(q->data[slot], frame, len);
  q->len[slot] = (uint16_t)len;
  atomic_store_explicit(&q->head, head + 1, memory_order_release); /* publish after the copy */
  return 0;
}

const uint8_t *frame_queue_peek(struct frame_queue *q, uint32_t *len) {
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  unsigned head = atomic_load_explicit(&q->head, memory_order_acquire);
  if (head == tail) return 0;
  unsigned slot = tail % FRAME_QUEUE_SLOTS;
  *len = q->len[slot];
  return q->data[slot];
}

void frame_queue_pop(struct frame_queue *q) {
  unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
  atomic_store_explicit(&q->tail, tail + 1, memory_order_release); /* slot free for the producer */
}
