#include "cse/coap/coap_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cse/core/sessions.h"
#include "cse/host.h"

#define RX_MAX 16640 /* a full DTLS record plus headers */
#define TX_MAX 2048
#define BURST 64      /* datagrams per socket per wake-up, so neither starves */
#define REVOKE_MAX 32 /* identities waiting for the loop; more closes every session */
#define REVOKE_ID_MAX 256

struct cse_coap_server {
    cse_coap_server_opts_t opts;
    char listen[64]; /* copy: opts.listen points here */
    int plain_fd, dtls_fd, wake_fd;
    int plain_port, dtls_port;
    cse_coap_endpoint_t *ep;
    cse_coap_dtls_t *dtls;
    pthread_t thread;
    int started;
    /* Revocations handed over by other threads (cse_sessions_close). */
    int revoke_fd;
    pthread_mutex_t revoke_lock;
    char revoke_ids[REVOKE_MAX][REVOKE_ID_MAX];
    int nrevoke;
    int revoke_overflow; /* the queue overflowed: close every session */
    int closer_added;
    uint8_t rx[RX_MAX];
    uint8_t tx[TX_MAX];
};

void cse_coap_server_opts_default(cse_coap_server_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->listen = "127.0.0.1";
    opts->port = -1;
    opts->dtls_port = 5684;
    cse_coap_endpoint_cfg_default(&opts->endpoint);
    cse_coap_dtls_cfg_default(&opts->dtls);
}

static int bind_udp(const char *host, int port, int *bound, char *err, size_t err_cap) {
    struct addrinfo hints, *ai = NULL;
    char service[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host && *host ? host : NULL, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, err_cap, "coap: bad listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, err_cap, "coap: cannot bind udp %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Plaintext from a DTLS session into the message layer. */
static size_t on_dtls_app(void *user, const cse_security_context_t *sec, const uint8_t *in,
                          size_t len, uint8_t *out, size_t cap) {
    cse_coap_server_t *srv = user;
    return cse_coap_endpoint_input(srv->ep, sec, in, len, cse_coap_now_ms(), out, cap);
}

static void serve_plain(cse_coap_server_t *srv) {
    size_t max = srv->opts.endpoint.limits.max_message + 1; /* +1 reveals oversize */
    if (max > sizeof(srv->rx))
        max = sizeof(srv->rx);
    for (int i = 0; i < BURST; i++) {
        cse_security_context_t sec;
        memset(&sec, 0, sizeof(sec));
        sec.version = 1;
        sec.binding = CSE_BINDING_COAP;
        sec.peer_len = sizeof(sec.peer);
        ssize_t n = recvfrom(srv->plain_fd, srv->rx, max, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&sec.peer, &sec.peer_len);
        if (n < 0)
            return;
        size_t len = (size_t)n < max ? (size_t)n : max;
        size_t out = cse_coap_endpoint_input(srv->ep, &sec, srv->rx, len, cse_coap_now_ms(),
                                             srv->tx, sizeof(srv->tx));
        if (out)
            sendto(srv->plain_fd, srv->tx, out, 0, (struct sockaddr *)&sec.peer, sec.peer_len);
    }
}

static void serve_dtls(cse_coap_server_t *srv) {
    for (int i = 0; i < BURST; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(srv->dtls_fd, srv->rx, sizeof(srv->rx), MSG_DONTWAIT,
                             (struct sockaddr *)&peer, &plen);
        if (n < 0)
            return;
        cse_coap_dtls_input(srv->dtls, (struct sockaddr *)&peer, plen, srv->rx, (size_t)n,
                            cse_coap_now_ms());
    }
}

/* cse_session_closer_fn: any thread; queues and wakes the loop. */
static void queue_revocation(void *arg, const char *identity) {
    cse_coap_server_t *srv = arg;
    pthread_mutex_lock(&srv->revoke_lock);
    if (srv->nrevoke < REVOKE_MAX && strlen(identity) < REVOKE_ID_MAX)
        snprintf(srv->revoke_ids[srv->nrevoke++], REVOKE_ID_MAX, "%s", identity);
    else
        srv->revoke_overflow = 1; /* fail closed: never leave a revoked session open */
    pthread_mutex_unlock(&srv->revoke_lock);
    uint64_t one = 1;
    if (write(srv->revoke_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        cse_log(CSE_LOG_WARN, "coap: cannot wake the event loop: %s", strerror(errno));
}

/* Event-loop thread: closes the sessions of every queued identity. */
static void serve_revocations(cse_coap_server_t *srv) {
    uint64_t count;
    if (read(srv->revoke_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return;
    char ids[REVOKE_MAX][REVOKE_ID_MAX];
    pthread_mutex_lock(&srv->revoke_lock);
    int n = srv->nrevoke, overflow = srv->revoke_overflow;
    memcpy(ids, srv->revoke_ids, sizeof(ids[0]) * (size_t)n);
    srv->nrevoke = srv->revoke_overflow = 0;
    pthread_mutex_unlock(&srv->revoke_lock);
    if (!srv->dtls)
        return;
    if (overflow) {
        cse_log(CSE_LOG_WARN, "coap: revocation queue overflowed: closing every dtls session");
        cse_coap_dtls_free(srv->dtls);
        char err[256];
        srv->dtls = cse_coap_dtls_new(&srv->opts.dtls, srv->dtls_fd, err, sizeof(err));
        if (!srv->dtls)
            cse_log(CSE_LOG_ERROR, "coap: dtls restart failed: %s", err);
        return;
    }
    for (int i = 0; i < n; i++) {
        int closed = cse_coap_dtls_close_identity(srv->dtls, ids[i]);
        cse_log(CSE_LOG_INFO, "coap: revoked identity=\"%.64s\" sessions_closed=%d", ids[i],
                closed);
    }
}

static void *loop(void *arg) {
    cse_coap_server_t *srv = arg;
    struct pollfd fds[5];
    int nfds = 0, iplain = -1, idtls = -1, ilookup = -1;
    fds[nfds++] = (struct pollfd){.fd = srv->wake_fd, .events = POLLIN};
    fds[nfds++] = (struct pollfd){.fd = srv->revoke_fd, .events = POLLIN};
    if (srv->plain_fd >= 0) {
        iplain = nfds;
        fds[nfds++] = (struct pollfd){.fd = srv->plain_fd, .events = POLLIN};
    }
    if (srv->dtls_fd >= 0) {
        idtls = nfds;
        fds[nfds++] = (struct pollfd){.fd = srv->dtls_fd, .events = POLLIN};
        ilookup = nfds;
        fds[nfds++] = (struct pollfd){.fd = -1, .events = POLLIN};
    }
    for (;;) {
        if (ilookup >= 0) /* the DTLS server may have been restarted (revocation overflow) */
            fds[ilookup].fd = cse_coap_dtls_lookup_fd(srv->dtls);
        int timeout = srv->dtls ? cse_coap_dtls_tick(srv->dtls, cse_coap_now_ms()) : 1000;
        int rc = poll(fds, (nfds_t)nfds, timeout);
        if (rc < 0 && errno != EINTR) {
            cse_log(CSE_LOG_ERROR, "coap: poll failed: %s", strerror(errno));
            break;
        }
        if (rc <= 0)
            continue;
        if (fds[0].revents)
            break;
        if (fds[1].revents)
            serve_revocations(srv);
        if (iplain >= 0 && fds[iplain].revents)
            serve_plain(srv);
        if (idtls >= 0 && fds[idtls].revents)
            serve_dtls(srv);
        if (ilookup >= 0 && fds[ilookup].revents && srv->dtls)
            cse_coap_dtls_lookups_done(srv->dtls);
    }
    return NULL;
}

cse_coap_server_t *cse_coap_server_start(const cse_coap_server_opts_t *opts, char *err,
                                         size_t err_cap) {
    cse_coap_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, err_cap, "coap: out of memory");
        return NULL;
    }
    srv->opts = *opts;
    snprintf(srv->listen, sizeof(srv->listen), "%s", opts->listen ? opts->listen : "");
    srv->opts.listen = srv->listen;
    srv->plain_fd = srv->dtls_fd = srv->wake_fd = srv->revoke_fd = -1;
    pthread_mutex_init(&srv->revoke_lock, NULL);
    srv->plain_port = srv->dtls_port = -1;
    if (srv->opts.endpoint.limits.max_message > TX_MAX) /* replies must fit tx */
        srv->opts.endpoint.limits.max_message = TX_MAX;
    if (!(srv->ep = cse_coap_endpoint_new(&srv->opts.endpoint))) {
        snprintf(err, err_cap, "coap: out of memory");
        goto fail;
    }
    if (opts->port >= 0 &&
        (srv->plain_fd = bind_udp(opts->listen, opts->port, &srv->plain_port, err, err_cap)) < 0)
        goto fail;
    if (opts->dtls_port >= 0) {
        if ((srv->dtls_fd =
                 bind_udp(opts->listen, opts->dtls_port, &srv->dtls_port, err, err_cap)) < 0)
            goto fail;
        srv->opts.dtls.on_app = on_dtls_app;
        srv->opts.dtls.app_user = srv;
        if (!(srv->dtls = cse_coap_dtls_new(&srv->opts.dtls, srv->dtls_fd, err, err_cap)))
            goto fail;
    }
    if ((srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
        (srv->revoke_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
        pthread_create(&srv->thread, NULL, loop, srv) != 0) {
        snprintf(err, err_cap, "coap: cannot start the event loop: %s", strerror(errno));
        goto fail;
    }
    srv->started = 1;
    if (srv->dtls) {
        if (cse_sessions_add_closer(queue_revocation, srv) != 0) {
            snprintf(err, err_cap, "coap: too many session-keeping bindings");
            goto fail;
        }
        srv->closer_added = 1;
    }
    return srv;
fail:
    cse_coap_server_stop(srv);
    return NULL;
}

void cse_coap_server_url(const cse_coap_server_t *srv, int dtls, char *buf, size_t cap) {
    const char *host = srv->opts.listen && *srv->opts.listen ? srv->opts.listen : "0.0.0.0";
    snprintf(buf, cap, strchr(host, ':') ? "%s://[%s]:%d" : "%s://%s:%d", dtls ? "coaps" : "coap",
             host, cse_coap_server_port(srv, dtls));
}

int cse_coap_server_port(const cse_coap_server_t *srv, int dtls) {
    return dtls ? srv->dtls_port : srv->plain_port;
}

void cse_coap_server_stop(cse_coap_server_t *srv) {
    if (!srv)
        return;
    if (srv->closer_added)
        cse_sessions_remove_closer(queue_revocation, srv);
    if (srv->started) {
        uint64_t one = 1;
        if (write(srv->wake_fd, &one, sizeof(one)) < 0)
            cse_log(CSE_LOG_WARN, "coap: cannot wake the event loop: %s", strerror(errno));
        pthread_join(srv->thread, NULL);
    }
    cse_coap_dtls_free(srv->dtls);
    cse_coap_endpoint_free(srv->ep);
    if (srv->plain_fd >= 0)
        close(srv->plain_fd);
    if (srv->dtls_fd >= 0)
        close(srv->dtls_fd);
    if (srv->wake_fd >= 0)
        close(srv->wake_fd);
    if (srv->revoke_fd >= 0)
        close(srv->revoke_fd);
    pthread_mutex_destroy(&srv->revoke_lock);
    free(srv);
}
