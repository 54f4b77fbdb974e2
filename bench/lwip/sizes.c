/* sizeof of lwIP's control blocks, compiled against Debian's lwIP 2.1.3 headers and options. */
#include <stdio.h>
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/pbuf.h"
int main(void)
{
    printf("{\"tcp_pcb\":%zu,\"tcp_pcb_listen\":%zu,\"tcp_seg\":%zu,\"pbuf\":%zu}\n", sizeof(struct tcp_pcb),
           sizeof(struct tcp_pcb_listen), sizeof(struct tcp_seg), sizeof(struct pbuf));
    return 0;
}
