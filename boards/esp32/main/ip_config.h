/* Static IPv4 settings from menuconfig (strings like "192.168.1.50") as the stack's numbers. */
#ifndef IP_CONFIG_H
#define IP_CONFIG_H
#include <stdint.h>
/* Parse a dotted quad into network order read as a number (docs/ABI.md "Numbers").
 * 0 on success, -1 when the text is not exactly four decimal octets 0..255. */
int ip_config_parse(const char *text, uint32_t *out);
/* mac_hi / mac_lo words for stack_init (docs/ABI.md "Numbers"). */
uint32_t ip_config_mac_hi(const uint8_t mac[6]);
uint32_t ip_config_mac_lo(const uint8_t mac[6]);
#endif
