/*
 * Durable RADIUS accounting queue. Records are handed over by any thread
 * without waiting for the network (the ACCOUNTING event must not block),
 * written to their own SQLite file in batches (one transaction per batch,
 * WAL, synchronous=FULL), and sent oldest first by one sender thread.
 * The sender keeps a window of records in flight at once (one per
 * session: a session's next record waits for its previous one's answer,
 * so Start, Interims and Stop keep their order) and deletes the
 * acknowledged ones in one transaction per window. A record leaves the
 * file only after an authentic Accounting-Response, and is sent again
 * only if none came. During an outage the sender retries the oldest
 * record alone with exponential backoff and the rest wait behind it; each
 * carries Acct-Delay-Time (RFC 2866 §5.2) so the server knows how late it
 * is. Records survive restarts.
 *
 * What is lost in a crash: records handed over but not yet written (the
 * sender writes them as soon as it wakes, typically within a millisecond).
 */
#ifndef CSSF_AAA_ACCT_QUEUE_H
#define CSSF_AAA_ACCT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/aaa/radius_client.h"

typedef struct cssf_acct_queue cssf_acct_queue_t;

typedef struct cssf_acct_queue_config {
    const char *path;      /* SQLite file, created if missing (mode 0600) */
    size_t max_records;    /* waiting records, beyond which push refuses (100000) */
    unsigned retry_min_ms; /* first wait after a failed send (1000), doubled per failure */
    unsigned retry_max_ms; /* longest wait between attempts (60000) */
    unsigned window;       /* records in flight at once (64), at most 256 */
} cssf_acct_queue_config_t;

typedef struct cssf_acct_queue_stats {
    uint64_t pending;   /* waiting, in memory or on disk */
    uint64_t sent;      /* acknowledged since open */
    uint64_t refused;   /* pushes refused because the queue was full */
    uint64_t discarded; /* records that can never be encoded (logged, removed) */
    uint64_t failures;  /* failed send attempts since open */
} cssf_acct_queue_stats_t;

/*
 * Opens (or creates) the queue file and starts the sender, which sends
 * through client (borrowed; must outlive the queue). Records left by a
 * previous run are sent first. Returns 0 and *out, or -1 with err.
 */
int cssf_acct_queue_open(const cssf_acct_queue_config_t *cfg, cssf_radius_client_t *client,
                         cssf_acct_queue_t **out, char *err, size_t err_cap);

/* Copies rec into the queue and returns at once: 0, or -1 when the queue
 * is full or rec cannot be encoded (cssf_radius_acct_valid); refusals are
 * counted in stats.refused. */
int cssf_acct_queue_push(cssf_acct_queue_t *q, const cssf_radius_acct_t *rec);

/* Asks the sender to try now (ending any backoff) and waits up to
 * timeout_ms for the queue to empty. Returns 0 when empty, -1 otherwise. */
int cssf_acct_queue_flush(cssf_acct_queue_t *q, unsigned timeout_ms);

void cssf_acct_queue_get_stats(cssf_acct_queue_t *q, cssf_acct_queue_stats_t *out);

/* Stops the sender, writes records still in memory to the file, closes.
 * Waiting records stay in the file for the next open. */
void cssf_acct_queue_close(cssf_acct_queue_t *q);

#endif
