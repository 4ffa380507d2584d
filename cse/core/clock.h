/*
 * oneM2M time: microseconds since the Unix epoch (UTC) and the timestamp
 * text form YYYYMMDDTHHMMSS[,ffffff] of TS-0004.
 */
#ifndef CSE_CORE_CLOCK_H
#define CSE_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CSE_TIME_LEN 23 /* "20240101T120000,123456" + NUL */

/* Current wall-clock time in microseconds (UTC). */
int64_t cse_clock_now_us(void);

/* Writes us as "YYYYMMDDTHHMMSS,ffffff" into buf (cap >= CSE_TIME_LEN). */
void cse_clock_format(int64_t us, char *buf, size_t cap);

/* Parses "YYYYMMDDTHHMMSS" with an optional ",f..." fraction (1-6 digits)
 * and an optional trailing "Z". Returns 0 and sets *us, or -1. */
int cse_clock_parse(const char *text, int64_t *us);

#endif
