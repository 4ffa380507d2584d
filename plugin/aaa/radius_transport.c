/* One RADIUS request/answer exchange over a connected UDP socket. */
#include "plugin/aaa/radius_transport.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
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

/* ---- pipelined exchange ---- */

static void many_end(cssf_radius_mxchg_t *m, size_t *left, cssf_radius_xchg_status_t st,
                     const char *reason) {
    for (size_t i = 0; i < m->n; i++) {
        cssf_radius_mreq_t *r = &m->reqs[i];
        if (r->done)
            continue;
        r->done = 1;
        r->status = st;
        r->reason = reason;
    }
    *left = 0;
}

/* Sends request r (first time or again). Returns 0, or -1 after ending
 * every request still open (the socket failed or the port is closed). */
static int many_send(cssf_radius_mxchg_t *m, int fd, cssf_radius_mreq_t *r, size_t *left) {
    if (send(fd, r->req, r->req_len, 0) >= 0) {
        r->deadline = now_ms() + r->wait;
        return 0;
    }
    if (errno == ECONNREFUSED)
        many_end(m, left, CSSF_RADIUS_XCHG_REFUSED, "port unreachable");
    else
        many_end(m, left, CSSF_RADIUS_XCHG_ERROR, "send failed");
    return -1;
}

/* Reads every datagram waiting on fd and hands each to its request. */
static int many_receive(cssf_radius_mxchg_t *m, int fd, const int16_t *slot, uint8_t *buf,
                        size_t *left) {
    for (;;) {
        ssize_t n = recv(fd, buf, CSSF_RADIUS_MAX_LEN, MSG_TRUNC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return 0;
            if (errno == ECONNREFUSED)
                many_end(m, left, CSSF_RADIUS_XCHG_REFUSED, "port unreachable");
            else
                many_end(m, left, CSSF_RADIUS_XCHG_ERROR, "recv failed");
            return -1;
        }
        int16_t k = n >= 2 ? slot[buf[1]] : -1;
        if (k < 0) {
            m->stray++;
            continue;
        }
        cssf_radius_mreq_t *r = &m->reqs[k];
        if (r->done) /* a second answer to a retransmission */
            continue;
        if ((size_t)n > CSSF_RADIUS_MAX_LEN) {
            r->invalid++;
            r->reason = "datagram larger than 4096 bytes";
            continue;
        }
        cssf_radius_view_t v;
        const char *why = NULL;
        if (cssf_radius_verify_response(buf, (size_t)n, r->req, m->secret, m->slen, m->require_ma,
                                        &v, &why) != 0) {
            r->invalid++;
            r->reason = why;
            continue;
        }
        r->done = 1;
        r->status = CSSF_RADIUS_XCHG_OK;
        (*left)--;
        if (m->on_answer)
            m->on_answer(m->ctx, (size_t)k, &v);
    }
}

int cssf_radius_exchange_many(cssf_radius_mxchg_t *m) {
    int16_t slot[256];
    size_t left = m->n;
    uint8_t *buf = NULL;
    int fd = -1, rc = -1;
    m->stray = 0;
    for (size_t i = 0; i < m->n; i++) {
        m->reqs[i].status = CSSF_RADIUS_XCHG_ERROR;
        m->reqs[i].invalid = 0;
        m->reqs[i].reason = NULL;
        m->reqs[i].done = 0;
        m->reqs[i].attempt = 0;
        m->reqs[i].wait = m->timeout_ms ? m->timeout_ms : 1;
    }
    for (size_t i = 0; i < 256; i++)
        slot[i] = -1;
    if (m->n == 0 || m->n > CSSF_RADIUS_WINDOW_MAX)
        goto bad;
    for (size_t i = 0; i < m->n; i++) {
        if (m->reqs[i].req_len < 20 || slot[m->reqs[i].req[1]] >= 0)
            goto bad;
        slot[m->reqs[i].req[1]] = (int16_t)i;
    }
    buf = malloc(CSSF_RADIUS_MAX_LEN);
    fd = socket(m->addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (!buf || fd < 0 || connect(fd, m->addr, m->addrlen) != 0) {
        many_end(m, &left, CSSF_RADIUS_XCHG_ERROR, !buf ? "out of memory" : "socket failed");
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < m->n && left; i++)
        if (many_send(m, fd, &m->reqs[i], &left) != 0)
            break;
    while (left) {
        /* Wake at the earliest deadline; expire or retransmit what is due. */
        uint64_t now = now_ms(), next = UINT64_MAX;
        for (size_t i = 0; i < m->n && left; i++) {
            cssf_radius_mreq_t *r = &m->reqs[i];
            if (r->done)
                continue;
            if (r->deadline <= now) {
                if (r->attempt < m->retries) {
                    r->attempt++;
                    r->wait = r->wait >= MAX_WAIT_MS / 2 ? MAX_WAIT_MS : r->wait * 2;
                    if (many_send(m, fd, r, &left) != 0)
                        break;
                } else {
                    r->done = 1;
                    r->status = CSSF_RADIUS_XCHG_TIMEOUT;
                    if (!r->invalid)
                        r->reason = "no answer";
                    left--;
                    continue;
                }
            }
            if (r->deadline < next)
                next = r->deadline;
        }
        if (!left)
            break;
        now = now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, next > now ? (int)(next - now) : 0);
        if (pr < 0 && errno != EINTR) {
            many_end(m, &left, CSSF_RADIUS_XCHG_ERROR, "poll failed");
            break;
        }
        if (pr > 0)
            many_receive(m, fd, slot, buf, &left);
    }
    rc = 0;
    goto out;
bad:
    many_end(m, &left, CSSF_RADIUS_XCHG_ERROR, "bad pipelined request");
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}
