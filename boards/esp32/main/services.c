#include "services.h"
#include <stdio.h>
#include <string.h>
#include "stack_abi.h"
#include "stack_rt.h"

#define MAX_CONNS 16
#define CHUNK 512

enum service { SVC_NONE, SVC_ECHO, SVC_HTTP };

struct conn {
  int32_t handle;        /* 0 = free slot */
  enum service service;
  uint16_t pending;      /* echo: bytes in buf not yet accepted by tcp_send */
  uint16_t offset;
  uint32_t header_tail;  /* http: last four request bytes, to find the blank line */
  uint8_t responded;
  uint8_t buf[CHUNK];
};

static struct conn conns[MAX_CONNS];
static int32_t echo_listener, http_listener;

static const char http_page[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
    "asnet: TCP/IP in WebAssembly on ESP32 (WAMR)\r\n";

static struct conn *conn_find(int32_t handle) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (conns[i].handle == handle) return &conns[i];
  return NULL;
}

static int32_t listen_on(uint16_t port) {
  int32_t h = stack_rt_call0(STACK_RT_tcp_socket);
  if (h < 0) return h;
  stack_rt_call3(STACK_RT_tcp_setsockopt, (uint32_t)h, STACK_SO_REUSEADDR, 1);
  int32_t rc = stack_rt_call3(STACK_RT_tcp_bind, (uint32_t)h, 0, port);
  if (rc == 0) rc = stack_rt_call2(STACK_RT_tcp_listen, (uint32_t)h, 4);
  return rc < 0 ? rc : h;
}

int services_start(uint16_t echo_port, uint16_t http_port) {
  echo_listener = echo_port ? listen_on(echo_port) : 0;
  if (echo_listener < 0) return echo_listener;
  http_listener = http_port ? listen_on(http_port) : 0;
  return http_listener < 0 ? http_listener : 0;
}

/* Copy bytes into the io buffer and queue them; returns bytes accepted or the stack's error. */
static int32_t send_bytes(int32_t handle, const uint8_t *data, uint32_t len) {
  uint32_t io = (uint32_t)stack_rt_call0(STACK_RT_io_buffer);
  uint8_t *dst = stack_rt_mem(io, len);
  if (!dst) return STACK_EFAULT;
  memcpy(dst, data, len);
  return stack_rt_call3(STACK_RT_tcp_send, (uint32_t)handle, io, len);
}

/* Read up to CHUNK bytes into c->buf; returns bytes, 0 at end of stream, or the stack's error. */
static int32_t recv_bytes(struct conn *c) {
  uint32_t io = (uint32_t)stack_rt_call0(STACK_RT_io_buffer);
  int32_t n = stack_rt_call3(STACK_RT_tcp_recv, (uint32_t)c->handle, io, CHUNK);
  if (n <= 0) return n;
  const uint8_t *src = stack_rt_mem(io, (uint32_t)n);
  if (!src) return STACK_EFAULT;
  memcpy(c->buf, src, (size_t)n);
  return n;
}

static void conn_close(struct conn *c) {
  stack_rt_call1(STACK_RT_tcp_close, (uint32_t)c->handle);
  memset(c, 0, sizeof *c);
}

/* Echo: resend what is pending, and read more only once everything went out. */
static void echo_pump(struct conn *c) {
  for (;;) {
    if (c->pending) {
      int32_t sent = send_bytes(c->handle, c->buf + c->offset, c->pending);
      if (sent == STACK_EAGAIN) return; /* EV_WRITABLE resumes us */
      if (sent < 0) { conn_close(c); return; }
      c->pending -= (uint16_t)sent;
      c->offset += (uint16_t)sent;
      if (c->pending) return;
    }
    int32_t n = recv_bytes(c);
    if (n == STACK_EAGAIN) return;
    if (n <= 0) { conn_close(c); return; } /* end of stream or error: close our side too */
    c->pending = (uint16_t)n;
    c->offset = 0;
  }
}

/* HTTP/1.0: read the request up to the blank line (RFC 1945 §4.1), answer, half-close. */
static void http_pump(struct conn *c) {
  while (!c->responded) {
    int32_t n = recv_bytes(c);
    if (n == STACK_EAGAIN) return;
    if (n <= 0) { conn_close(c); return; }
    for (int32_t i = 0; i < n && !c->responded; i++) {
      c->header_tail = (c->header_tail << 8) | c->buf[i];
      if (c->header_tail == 0x0d0a0d0au) c->responded = 1;
    }
  }
  if (c->responded == 1) {
    int32_t sent = send_bytes(c->handle, (const uint8_t *)http_page, sizeof http_page - 1);
    if (sent == STACK_EAGAIN) return;
    c->responded = 2;
    stack_rt_call2(STACK_RT_tcp_shutdown, (uint32_t)c->handle, STACK_SHUT_WR);
  }
  uint32_t io = (uint32_t)stack_rt_call0(STACK_RT_io_buffer); /* drain until the peer's FIN */
  int32_t n;
  while ((n = stack_rt_call3(STACK_RT_tcp_recv, (uint32_t)c->handle, io, CHUNK)) > 0) {}
  if (n != STACK_EAGAIN) conn_close(c);
}

static void accept_all(int32_t listener, enum service service) {
  int32_t h;
  while ((h = stack_rt_call1(STACK_RT_tcp_accept, (uint32_t)listener)) > 0) {
    struct conn *c = conn_find(0);
    if (!c) { stack_rt_call1(STACK_RT_tcp_close, (uint32_t)h); continue; }
    memset(c, 0, sizeof *c);
    c->handle = h;
    c->service = service;
  }
}

static void on_event(int32_t handle, uint32_t events) {
  if (events & STACK_EV_ACCEPT) {
    if (handle == echo_listener) accept_all(handle, SVC_ECHO);
    if (handle == http_listener) accept_all(handle, SVC_HTTP);
    return;
  }
  struct conn *c = conn_find(handle);
  if (!c) return;
  if (c->service == SVC_ECHO) echo_pump(c); else http_pump(c);
  if (c->handle && (events & (STACK_EV_ERROR | STACK_EV_CLOSED))) conn_close(c);
}

void services_poll(void) {
  int32_t ev;
  while ((ev = stack_rt_call0(STACK_RT_ev_poll)) > 0) {
    app_dhcp_event(ev & 0xffff, (uint32_t)ev >> 16);   /* the DHCP client's handle, if it is */
    on_event(ev & 0xffff, (uint32_t)ev >> 16);
  }
}
