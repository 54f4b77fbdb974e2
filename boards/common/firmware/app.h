/* The firmware's network application: TCP echo (RFC 862) on port 7 and a small HTTP/1.0 page
 * on port 80, plus console lines for TCP state changes and per-connection stats. */
#ifndef APP_H
#define APP_H
#include <stdint.h>
int app_start(void);
/* One pass: accept, move data, report. Returns ms until the stack's next timer. */
uint32_t app_poll(void);
#endif
