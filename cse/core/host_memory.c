/*
 * Memory that crosses the plugin boundary (include/cse/host.h).
 *
 * A plugin allocates reason strings and response bodies with these and the
 * host frees them with cse_free(), so both sides always use the same
 * allocator whatever the plugin was linked with.
 */
#include <stdlib.h>
#include <string.h>

#include "cse/host.h"

void *cse_malloc(size_t size) {
    /* Never NULL for size 0, so a NULL result always means out of memory. */
    return malloc(size ? size : 1);
}

void cse_free(void *ptr) {
    free(ptr);
}

char *cse_strdup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = cse_malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}
