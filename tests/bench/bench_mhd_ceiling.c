/*
 * The ceiling for the HTTP benchmark: a bare libmicrohttpd responder with the
 * daemon settings of the CSE's binding (epoll, internal thread pool of one
 * thread per core, the same connection memory) that answers every request
 * with a small fixed JSON body and the oneM2M response headers.
 *
 * usage: bench_mhd_ceiling [PORT]   (0 or none = a free port)
 * Prints "bench_mhd_ceiling: listening on http://127.0.0.1:PORT" and serves
 * until SIGTERM/SIGINT.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "{\"m2m:cb\":{\"rn\":\"cse-in\",\"ri\":\"id-in\",\"ty\":5,"
                           "\"csi\":\"/id-in\",\"srv\":[\"2a\",\"3\",\"4\",\"5\"]}}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (!*con_cls) { /* answer on the second call, as the CSE does (keep-alive) */
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    const char *ri = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-M2M-RI");
    MHD_add_response_header(r, "X-M2M-RSC", "2000");
    MHD_add_response_header(r, "X-M2M-RI", ri ? ri : "");
    MHD_add_response_header(r, "X-M2M-RVI", "3");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cores > 0 ? (unsigned)cores : 1;
    size_t pool = 16 * 1024 + 6 * 1024; /* the CSE's default max_header, sized the same way */

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         on_request, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
                         MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench_mhd_ceiling: cannot start\n");
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("bench_mhd_ceiling: listening on http://127.0.0.1:%u\n", di ? di->port : 0);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
