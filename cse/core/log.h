/* Host logging: one line per event, "time level message", to stderr or a file. */
#ifndef CSE_CORE_LOG_H
#define CSE_CORE_LOG_H

#include "cse/host.h"

/* Sets the threshold from "error|warn|info|debug"; returns -1 if unknown. */
int cse_log_set_level_name(const char *name);
/* Sends the log to path (append) instead of stderr; returns -1 on error. */
int cse_log_open(const char *path);

#endif
