/* PSK lookups on worker threads (see coap_psk_async.h). */
#include "cse/coap/coap_psk_async.h"

#include <errno.h>
#include <mbedtls/platform_util.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cse/host.h"
#include "cse/plugin.h"

typedef struct job {
    struct job *next;
    cse_psk_async_result_t r;
    struct sockaddr_storage peer;
    socklen_t peer_len;
} job_t;

struct cse_psk_async {
    cse_coap_event_fn run_event;
    int binding;
    int efd;
    pthread_mutex_t lock;
    pthread_cond_t work;
    job_t *todo, *todo_tail, *done; /* done: newest first, order does not matter */
    size_t in_flight, max;          /* queued + running + finished but not taken */
    int stopping, nworkers;
    pthread_t workers[8];
};

static void lookup(cse_psk_async_t *a, job_t *j) {
    cse_evt_psk_lookup_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.binding = a->binding;
    ev.identity = j->r.identity;
    ev.peer = j->peer_len ? (const struct sockaddr *)&j->peer : NULL;
    ev.peer_len = j->peer_len;
    ev.key = j->r.key;
    ev.key_cap = sizeof(j->r.key);
    int rc = a->run_event(CSE_EVT_PSK_LOOKUP, &ev);
    j->r.found = rc == CSE_PLUGIN_OK && ev.key_len > 0 && ev.key_len <= sizeof(j->r.key);
    j->r.key_len = j->r.found ? ev.key_len : 0;
    if (!j->r.found)
        mbedtls_platform_zeroize(j->r.key, sizeof(j->r.key));
}

static void *worker(void *arg) {
    cse_psk_async_t *a = arg;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->todo && !a->stopping)
            pthread_cond_wait(&a->work, &a->lock);
        if (a->stopping)
            break;
        job_t *j = a->todo;
        a->todo = j->next;
        if (!a->todo)
            a->todo_tail = NULL;
        pthread_mutex_unlock(&a->lock);
        lookup(a, j);
        pthread_mutex_lock(&a->lock);
        j->next = a->done;
        a->done = j;
        uint64_t one = 1;
        if (write(a->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
            cse_log(CSE_LOG_WARN, "coap: cannot wake the event loop: %s", strerror(errno));
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

cse_psk_async_t *cse_psk_async_new(cse_coap_event_fn run_event, int binding, int workers,
                                   size_t max_queued) {
    cse_psk_async_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->run_event = run_event;
    a->binding = binding;
    a->max = max_queued ? max_queued : 1;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->work, NULL);
    a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!run_event || a->efd < 0) {
        cse_psk_async_free(a);
        return NULL;
    }
    if (workers < 1)
        workers = 1;
    for (int i = 0; i < workers && i < (int)(sizeof(a->workers) / sizeof(a->workers[0])); i++) {
        if (pthread_create(&a->workers[i], NULL, worker, a) != 0)
            break;
        a->nworkers++;
    }
    if (!a->nworkers) {
        cse_psk_async_free(a);
        return NULL;
    }
    return a;
}

static void free_jobs(job_t *j) {
    while (j) {
        job_t *next = j->next;
        mbedtls_platform_zeroize(j, sizeof(*j));
        free(j);
        j = next;
    }
}

void cse_psk_async_free(cse_psk_async_t *a) {
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stopping = 1;
    pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->lock);
    for (int i = 0; i < a->nworkers; i++)
        pthread_join(a->workers[i], NULL);
    free_jobs(a->todo);
    free_jobs(a->done);
    if (a->efd >= 0)
        close(a->efd);
    pthread_cond_destroy(&a->work);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

int cse_psk_async_fd(const cse_psk_async_t *a) {
    return a ? a->efd : -1;
}

int cse_psk_async_submit(cse_psk_async_t *a, uint64_t session_id, const char *identity,
                         const struct sockaddr *peer, socklen_t peer_len) {
    if (!a || !identity || strlen(identity) >= CSE_PSK_ASYNC_IDENTITY_MAX ||
        peer_len > sizeof(struct sockaddr_storage))
        return -1;
    job_t *j = calloc(1, sizeof(*j));
    if (!j)
        return -1;
    j->r.session_id = session_id;
    memcpy(j->r.identity, identity, strlen(identity) + 1);
    if (peer && peer_len) {
        memcpy(&j->peer, peer, peer_len);
        j->peer_len = peer_len;
    }
    pthread_mutex_lock(&a->lock);
    int full = a->in_flight >= a->max;
    if (!full) {
        a->in_flight++;
        if (a->todo_tail)
            a->todo_tail->next = j;
        else
            a->todo = j;
        a->todo_tail = j;
        pthread_cond_signal(&a->work);
    }
    pthread_mutex_unlock(&a->lock);
    if (full)
        free(j);
    return full ? -1 : 0;
}

int cse_psk_async_take(cse_psk_async_t *a, cse_psk_async_result_t *out) {
    uint64_t count;
    if (!a)
        return 0;
    if (read(a->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return 0;
    pthread_mutex_lock(&a->lock);
    job_t *j = a->done;
    if (j) {
        a->done = j->next;
        a->in_flight--;
    }
    /* Results left for later: keep the eventfd readable for them. */
    if (a->done) {
        uint64_t one = 1;
        if (write(a->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
            cse_log(CSE_LOG_WARN, "coap: cannot wake the event loop: %s", strerror(errno));
    }
    pthread_mutex_unlock(&a->lock);
    if (!j)
        return 0;
    *out = j->r;
    mbedtls_platform_zeroize(j, sizeof(*j));
    free(j);
    return 1;
}
