/* Policy problem report (see policy_report.h). */
#include "plugin/data/policy_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cssf_policy_report_init(cssf_policy_report_t *rep) {
    memset(rep, 0, sizeof(*rep));
}

void cssf_policy_report_clear(cssf_policy_report_t *rep) {
    for (size_t i = 0; i < rep->n; i++) {
        free(rep->items[i].file);
        free(rep->items[i].path);
        free(rep->items[i].reason);
    }
    cssf_policy_report_init(rep);
}

void cssf_policy_report_add(cssf_policy_report_t *rep, const char *file, const char *path,
                            const char *fmt, ...) {
    rep->total++;
    if (rep->n >= CSSF_POLICY_REPORT_MAX)
        return;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    cssf_policy_problem_t *p = &rep->items[rep->n];
    p->file = strdup(file ? file : "");
    p->path = strdup(path ? path : "$");
    p->reason = strdup(reason);
    if (!p->file || !p->path || !p->reason) {
        free(p->file);
        free(p->path);
        free(p->reason);
        memset(p, 0, sizeof(*p));
        rep->oom = 1;
        return;
    }
    rep->n++;
}

void cssf_policy_report_format(const cssf_policy_report_t *rep, size_t i, char *buf, size_t cap) {
    if (i >= rep->n) {
        snprintf(buf, cap, "%zu problem(s)", rep->total);
        return;
    }
    const cssf_policy_problem_t *p = &rep->items[i];
    snprintf(buf, cap, "%s: %s: %s", p->file, p->path, p->reason);
}

void cssf_policy_report_print(const cssf_policy_report_t *rep, FILE *out) {
    char line[2048];
    for (size_t i = 0; i < rep->n; i++) {
        cssf_policy_report_format(rep, i, line, sizeof(line));
        fprintf(out, "%s\n", line);
    }
    if (rep->total > rep->n)
        fprintf(out, "... and %zu more problem(s)\n", rep->total - rep->n);
}
