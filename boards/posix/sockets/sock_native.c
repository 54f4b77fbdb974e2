/* The same applications on Linux's own sockets (no stack, no compat header): the reference the
 * board's results are compared with. asnet-sock-native MODE ARGS... */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "sock_apps.h"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "errno")) return app_errno(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "threads")) return app_threads(argc - 1, argv + 1);
    fprintf(stderr, "usage: asnet-sock-native errno|threads ARGS\n");
    return 64;
}
