/*
 * AE-IDs registered inside a security association. Such an AE-ID is
 * reserved for authenticated use: where a binding's authentication is
 * optional, a request that merely claims it as From (no association) is
 * refused, so a device that registered over DTLS or mutual TLS cannot be
 * impersonated over plain HTTP. The reservation is stored durably before
 * the registration is acknowledged and lifted when the AE is deregistered
 * (deleted or expired); a reservation whose AE never got stored (its commit
 * failed) only keeps the AE-ID for authenticated registrations: it fails
 * closed.
 *
 * Rows live in the CSE's SQLite file (table cssf_aeid_reservations) and in
 * memory for lookups; ":memory:" keeps them in memory only. Thread-safe.
 * Owner: plugin/data.
 */
#ifndef CSSF_DATA_AEID_RESERVATIONS_H
#define CSSF_DATA_AEID_RESERVATIONS_H

#include <stddef.h>

typedef struct cssf_aeid_reservations cssf_aeid_reservations_t;

/* Opens the table at db_path and loads it. 0, or -1 with err. */
int cssf_aeid_reservations_open(const char *db_path, cssf_aeid_reservations_t **out, char *err,
                                size_t err_cap);

/* Frees it; NULL is fine. */
void cssf_aeid_reservations_close(cssf_aeid_reservations_t *r);

/* Reserves aeid for identity (authenticated by method, e.g. "dtls-psk"),
 * durably. 0, or -1 with err (the registration must then be refused). */
int cssf_aeid_reservations_add(cssf_aeid_reservations_t *r, const char *aeid, const char *identity,
                               const char *method, char *err, size_t err_cap);

/* Lifts the reservation of aeid (none is fine). 0, or -1 with err. */
int cssf_aeid_reservations_remove(cssf_aeid_reservations_t *r, const char *aeid, char *err,
                                  size_t err_cap);

/* 1 if aeid is reserved, 0 if not (also for NULL arguments). */
int cssf_aeid_reservations_has(cssf_aeid_reservations_t *r, const char *aeid);

/* How many AE-IDs are reserved. */
size_t cssf_aeid_reservations_count(cssf_aeid_reservations_t *r);

#endif
