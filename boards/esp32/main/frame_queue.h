/* Single-producer/single-consumer ring of received Ethernet frames between the esp_eth RX task
 * (producer) and the runtime task that owns the stack (consumer). The stack is single-threaded
 * (docs/ABI.md), so frames cross threads here and nowhere else. Frames are copied into fixed
 * slots: no allocation on the receive path. */
#ifndef FRAME_QUEUE_H
#define FRAME_QUEUE_H
#include <stdatomic.h>
#include <stdint.h>

#define FRAME_QUEUE_SLOTS 8u          /* power of two */
#define FRAME_QUEUE_SLOT_BYTES 1536u  /* the stack's rx_buffer size (docs/ABI.md) */

struct frame_queue {
  atomic_uint head; /* next slot the producer fills */
  atomic_uint tail; /* next slot the consumer drains */
  atomic_uint dropped;
  uint16_t len[FRAME_QUEUE_SLOTS];
  uint8_t data[FRAME_QUEUE_SLOTS][FRAME_QUEUE_SLOT_BYTES];
};

void frame_queue_init(struct frame_queue *q);
/* Producer: copy one frame in. 0, or -1 when full or the frame is too long (counted in dropped). */
int frame_queue_push(struct frame_queue *q, const uint8_t *frame, uint32_t len);
/* Consumer: the oldest frame (length in *len), or NULL when empty. Valid until frame_queue_pop. */
const uint8_t *frame_queue_peek(struct frame_queue *q, uint32_t *len);
void frame_queue_pop(struct frame_queue *q);
#endif
