/*
 * The audit log: one JSON line per decision, written by its own thread so
 * a request never waits for the disk. Lines go through a bounded lock-free
 * queue; when it is full the line is dropped and counted, and the writer
 * logs a warning line saying how many were lost. The file is rotated by
 * size (audit.log -> audit.log.1 -> ... -> audit.log.N) and flushed and
 * synced on close.
 */
#ifndef CSSF_DATA_AUDIT_H
#define CSSF_DATA_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define CSSF_AUDIT_DEFAULT_MAX_BYTES (10u * 1024 * 1024)
#define CSSF_AUDIT_DEFAULT_QUEUE 4096

typedef struct cssf_audit cssf_audit_t;

typedef struct cssf_audit_options {
    const char *path; /* file to append to (created with mode 0640) */
    size_t max_bytes; /* rotate before a line would make the file larger; 0 = never */
    int keep;         /* rotated files kept (audit.log.1 .. .keep); 0 = none */
    size_t queue_cap; /* lines waiting at most; 0 = default */
    int start_paused; /* the writer waits for cssf_audit_resume() (tests) */
} cssf_audit_options_t;

/* Opens the file and starts the writer. NULL with a reason in err. */
cssf_audit_t *cssf_audit_open(const cssf_audit_options_t *opts, char *err, size_t err_cap);

/* Queues one line (JSON text without newline; malloc'd, ownership always
 * moves here). Never blocks. 0 queued, -1 dropped (queue full). */
int cssf_audit_submit(cssf_audit_t *a, char *line);

/* Changes the number of rotated files kept (from a policy reload). */
void cssf_audit_set_keep(cssf_audit_t *a, int keep);

/* Lines dropped because the queue was full, since open. */
uint64_t cssf_audit_dropped(const cssf_audit_t *a);

/* Lets a writer started paused run. */
void cssf_audit_resume(cssf_audit_t *a);

/* Waits up to timeout_ms until every line queued so far is written and
 * flushed. 0, or -1 on timeout. */
int cssf_audit_flush(cssf_audit_t *a, int timeout_ms);

/* Writes what is queued, flushes, syncs, stops the writer, frees a. */
void cssf_audit_close(cssf_audit_t *a);

#endif
