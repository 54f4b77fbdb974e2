#include "ip_config.h"

/* One octet: 1..3 digits, value <= 255; advances *p past it. */
static int parse_octet(const char **p, uint32_t *value) {
  uint32_t v = 0;
  int digits = 0;
  while (**p >= '0' && **p <= '9' && digits < 4) {
    v = v * 10 + (uint32_t)(**p - '0');
    (*p)++;
    digits++;
  }
  if (digits == 0 || digits > 3 || v > 255) return -1;
  *value = v;
  return 0;
}

int ip_config_parse(const char *text, uint32_t *out) {
  uint32_t ip = 0, octet;
  const char *p = text;
  for (int i = 0; i < 4; i++) {
    if (parse_octet(&p, &octet)) return -1;
    ip = (ip << 8) | octet;
    if (i < 3 && *p++ != '.') return -1;
  }
  if (*p != '\0') return -1;
  *out = ip;
  return 0;
}

uint32_t ip_config_mac_hi(const uint8_t mac[6]) { return ((uint32_t)mac[0] << 8) | mac[1]; }

uint32_t ip_config_mac_lo(const uint8_t mac[6]) {
  return ((uint32_t)mac[2] << 24) | ((uint32_t)mac[3] << 16) | ((uint32_t)mac[4] << 8) | mac[5];
}
