/* The audit log writer (see audit.h). */
#define _GNU_SOURCE /* sem_clockwait */
#include "plugin/data/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cse/host.h"
#include "plugin/data/audit_line.h"
#include "plugin/data/audit_queue.h"

/* How long a busy writer waits for more lines before the next batch. */
#define WRITER_LINGER_NS 2000000L

struct cssf_audit {
    cssf_audit_queue_t queue;
    sem_t wake;
    pthread_t writer;
    int writer_started;
    atomic_int stop;
    atomic_int paused;
    atomic_int idle; /* the writer sleeps until a submit wakes it */
    atomic_int keep;
    atomic_uint_least64_t submitted, written, dropped;
    /* writer thread only */
    char *path;
    size_t max_bytes;
    FILE *file;
    size_t size;
    atomic_uint_least64_t dropped_reported; /* written by the writer, read by flush */
    int write_failed;
};

static FILE *open_log(const char *path, size_t *size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return NULL;
    struct stat st;
    *size = fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
    FILE *f = fdopen(fd, "a");
    if (!f)
        close(fd);
    return f;
}

/* audit.log.(k-1) -> audit.log.k ... audit.log -> audit.log.1, then a
 * fresh audit.log. With keep 0 the old content is simply removed. */
static void rotate(cssf_audit_t *a) {
    fflush(a->file);
    fclose(a->file);
    a->file = NULL;
    int keep = atomic_load(&a->keep);
    size_t n = strlen(a->path) + 16;
    char *from = malloc(n), *to = malloc(n);
    if (from && to) {
        if (keep == 0) {
            unlink(a->path);
        } else {
            for (int i = keep - 1; i >= 1; i--) {
                snprintf(from, n, "%s.%d", a->path, i);
                snprintf(to, n, "%s.%d", a->path, i + 1);
                rename(from, to);
            }
            snprintf(to, n, "%s.1", a->path);
            if (rename(a->path, to) < 0)
                cse_log(CSE_LOG_WARN, "audit: cannot rotate %s: %s", a->path, strerror(errno));
        }
    }
    free(from);
    free(to);
    a->file = open_log(a->path, &a->size);
    if (!a->file)
        cse_log(CSE_LOG_ERROR, "audit: cannot reopen %s: %s", a->path, strerror(errno));
}

static void write_line(cssf_audit_t *a, const char *line) {
    size_t len = strlen(line) + 1;
    if (a->file && a->max_bytes && a->size > 0 && a->size + len > a->max_bytes)
        rotate(a);
    if (!a->file) {
        a->file = open_log(a->path, &a->size);
        if (!a->file)
            return;
    }
    if (fputs(line, a->file) == EOF || fputc('\n', a->file) == EOF) {
        if (!a->write_failed)
            cse_log(CSE_LOG_ERROR, "audit: write to %s failed: %s", a->path, strerror(errno));
        a->write_failed = 1;
        return;
    }
    a->write_failed = 0;
    a->size += len;
}

/* Turns a count of dropped lines into a warning line of its own. Returns
 * the count covered, published by the caller once the file is flushed. */
static uint64_t report_drops(cssf_audit_t *a) {
    uint64_t dropped = atomic_load(&a->dropped);
    uint64_t reported = atomic_load(&a->dropped_reported);
    if (dropped == reported)
        return dropped;
    uint64_t delta = dropped - reported;
    cse_log(CSE_LOG_WARN, "audit: queue full, %llu line(s) dropped (%llu in total)",
            (unsigned long long)delta, (unsigned long long)dropped);
    char *line = cssf_audit_line_dropped(delta, dropped);
    if (line) {
        write_line(a, line);
        free(line);
    }
    return dropped;
}

/* After a drain of n lines. Busy (n > 0): lines keep coming, so the writer
 * lingers a little and takes the next ones in one batch — one write for
 * many lines, and submitters need not wake it. Idle: it sleeps until the
 * next submit, which wakes it only when it finds the writer idle. */
static void writer_wait(cssf_audit_t *a, uint64_t n) {
    if (n > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WRITER_LINGER_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (sem_clockwait(&a->wake, CLOCK_MONOTONIC, &until) < 0 && errno == EINTR)
            ;
        return;
    }
    atomic_store(&a->idle, 1);
    /* A submit counted before idle was visible does not wake us: look
     * again (submitted grows before the push, so nothing slips between). */
    if (atomic_load(&a->stop) ||
        atomic_load(&a->submitted) != atomic_load(&a->written) + atomic_load(&a->dropped)) {
        atomic_store(&a->idle, 0);
        return;
    }
    while (sem_wait(&a->wake) < 0 && errno == EINTR)
        ;
}

static void *writer_main(void *arg) {
    cssf_audit_t *a = arg;
    for (;;) {
        if (atomic_load(&a->paused) && !atomic_load(&a->stop)) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* Read stop before draining: every line submitted before close()
         * is then visible to this drain. */
        int stopping = atomic_load(&a->stop);
        char *line;
        uint64_t n = 0;
        while ((line = cssf_audit_queue_pop(&a->queue))) {
            write_line(a, line);
            free(line);
            n++;
        }
        uint64_t reported = report_drops(a);
        if (a->file)
            fflush(a->file);
        atomic_fetch_add(&a->written, n);
        atomic_store(&a->dropped_reported, reported);
        if (stopping)
            break;
        writer_wait(a, n);
    }
    return NULL;
}

cssf_audit_t *cssf_audit_open(const cssf_audit_options_t *o, char *err, size_t err_cap) {
    cssf_audit_t *a = calloc(1, sizeof(*a));
    if (!a || !(a->path = strdup(o->path))) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    a->max_bytes = o->max_bytes;
    atomic_init(&a->keep, o->keep < 0 ? 0 : o->keep);
    atomic_init(&a->paused, o->start_paused ? 1 : 0);
    if (cssf_audit_queue_init(&a->queue, o->queue_cap ? o->queue_cap : CSSF_AUDIT_DEFAULT_QUEUE) <
        0) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    a->file = open_log(a->path, &a->size);
    if (!a->file) {
        snprintf(err, err_cap, "cannot open audit file %s: %s", a->path, strerror(errno));
        goto fail;
    }
    if (sem_init(&a->wake, 0, 0) < 0) {
        snprintf(err, err_cap, "sem_init: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&a->writer, NULL, writer_main, a) != 0) {
        snprintf(err, err_cap, "cannot start the audit writer thread");
        sem_destroy(&a->wake);
        goto fail;
    }
    a->writer_started = 1;
    return a;
fail:
    if (a) {
        if (a->file)
            fclose(a->file);
        cssf_audit_queue_destroy(&a->queue);
        free(a->path);
        free(a);
    }
    return NULL;
}

int cssf_audit_submit(cssf_audit_t *a, char *line) {
    if (!line)
        return -1;
    if (!a) {
        free(line);
        return -1;
    }
    atomic_fetch_add(&a->submitted, 1);
    if (cssf_audit_queue_push(&a->queue, line) < 0) {
        free(line);
        atomic_fetch_add(&a->dropped, 1);
        sem_post(&a->wake); /* so the writer reports the drop soon */
        return -1;
    }
    if (atomic_load(&a->idle) && atomic_exchange(&a->idle, 0))
        sem_post(&a->wake);
    return 0;
}

void cssf_audit_set_keep(cssf_audit_t *a, int keep) {
    if (a)
        atomic_store(&a->keep, keep < 0 ? 0 : keep);
}

uint64_t cssf_audit_dropped(const cssf_audit_t *a) {
    return a ? atomic_load(&((cssf_audit_t *)a)->dropped) : 0;
}

void cssf_audit_resume(cssf_audit_t *a) {
    atomic_store(&a->paused, 0);
    sem_post(&a->wake);
}

int cssf_audit_flush(cssf_audit_t *a, int timeout_ms) {
    uint64_t target = atomic_load(&a->submitted);
    for (int waited = 0;; waited++) {
        if (atomic_load(&a->written) + atomic_load(&a->dropped) >= target &&
            atomic_load(&a->dropped) == atomic_load(&a->dropped_reported))
            return 0;
        if (waited >= timeout_ms)
            return -1;
        sem_post(&a->wake);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

void cssf_audit_close(cssf_audit_t *a) {
    if (!a)
        return;
    atomic_store(&a->paused, 0);
    atomic_store(&a->stop, 1);
    sem_post(&a->wake);
    if (a->writer_started)
        pthread_join(a->writer, NULL);
    if (a->file) {
        fflush(a->file);
        fsync(fileno(a->file));
        fclose(a->file);
    }
    sem_destroy(&a->wake);
    cssf_audit_queue_destroy(&a->queue);
    free(a->path);
    free(a);
}
