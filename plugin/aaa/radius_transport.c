/* One RADIUS request/answer exchange over a connected UDP socket. */
#include "plugin/aaa/radius_transport.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "plugin/aaa/radius_crypto.h"

/* Upper bound of one wait, whatever the configured timeout and retries. */
#define MAX_WAIT_MS 30000u

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Receives and checks one datagram. Returns 1 for an authentic answer, 0
 * for a dropped one (or nothing to read), -1 refused, -2 error. */
static int recv_one(int fd, cssf_radius_xchg_t *x) {
    ssize_t n = recv(fd, x->resp, sizeof x->resp, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        if (errno == ECONNREFUSED)
            return -1;
        x->reason = "recv failed";
        return -2;
    }
    if ((size_t)n > sizeof x->resp) {
        x->invalid++;
        x->reason = "datagram larger than 4096 bytes";
        return 0;
    }
    const char *why = NULL;
    if (cssf_radius_verify_response(x->resp, (size_t)n, x->req, x->secret, x->slen, x->require_ma,
                                    &x->view, &why) != 0) {
        x->invalid++;
        x->reason = why;
        return 0;
    }
    x->resp_len = (size_t)n;
    return 1;
}

cssf_radius_xchg_status_t cssf_radius_exchange(cssf_radius_xchg_t *x) {
    cssf_radius_xchg_status_t st = CSSF_RADIUS_XCHG_ERROR;
    x->resp_len = 0;
    x->invalid = 0;
    x->reason = NULL;
    x->rtt_ms = 0;
    int fd = socket(x->addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        x->reason = "socket failed";
        return CSSF_RADIUS_XCHG_ERROR;
    }
    if (connect(fd, x->addr, x->addrlen) != 0) {
        x->reason = "connect failed";
        goto out;
    }
    uint64_t start = now_ms();
    unsigned wait = x->timeout_ms ? x->timeout_ms : 1;
    for (unsigned attempt = 0; attempt <= x->retries; attempt++) {
        if (send(fd, x->req, x->req_len, 0) < 0) {
            if (errno == ECONNREFUSED) {
                st = CSSF_RADIUS_XCHG_REFUSED;
                x->reason = "port unreachable";
                goto out;
            }
            x->reason = "send failed";
            goto out;
        }
        uint64_t deadline = now_ms() + wait;
        for (;;) {
            uint64_t t = now_ms();
            if (t >= deadline)
                break;
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int pr = poll(&pfd, 1, (int)(deadline - t));
            if (pr < 0 && errno != EINTR) {
                x->reason = "poll failed";
                goto out;
            }
            if (pr <= 0)
                continue;
            int r = recv_one(fd, x);
            if (r == 1) {
                x->rtt_ms = (unsigned)(now_ms() - start);
                st = CSSF_RADIUS_XCHG_OK;
                goto out;
            }
            if (r == -1) {
                st = CSSF_RADIUS_XCHG_REFUSED;
                x->reason = "port unreachable";
                goto out;
            }
            if (r == -2)
                goto out;
        }
        wait = wait >= MAX_WAIT_MS / 2 ? MAX_WAIT_MS : wait * 2;
    }
    st = CSSF_RADIUS_XCHG_TIMEOUT;
    if (!x->invalid)
        x->reason = "no answer";
out:
    close(fd);
    return st;
}
