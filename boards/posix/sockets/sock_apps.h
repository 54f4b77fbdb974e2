/* The applications of the sockets program (asnet-sock --mode NAME -- ARGS): each is ordinary BSD
 * sockets code, compiled against asnet_compat.h for the board (and, for errno, also natively, so the
 * test compares with Linux). Each returns the process exit code and prints one JSON line. */
#ifndef SOCK_APPS_H
#define SOCK_APPS_H
int app_errno(int argc, char **argv);        /* sock_errno.c */
int app_serve(int argc, char **argv);        /* sock_serve.c: select()/poll() echo server */
int app_threads(int argc, char **argv);      /* sock_threads.c */
int app_latency(int argc, char **argv);      /* sock_latency.c: blocking send/recv round trips */
int app_tls_client(int argc, char **argv);   /* tls_client.c */
int app_tls_server(int argc, char **argv);   /* tls_server.c */
#endif
