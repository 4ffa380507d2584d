/* libFuzzer target: the CSE's INI configuration parser (cse_config_load),
 * fed through an in-memory file. Any text must give a configuration or a
 * "file:line: [section] key: reason" error, never a crash or a leak. */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cse/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("cse.ini", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64], err[512];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        cse_config_t cfg;
        cse_config_defaults(&cfg);
        if (cse_config_load(&cfg, path, err, sizeof(err)) != 0 && !strchr(err, ':'))
            __builtin_trap(); /* an error always names where */
        cse_config_free(&cfg);
    }
    close(fd);
    return 0;
}
