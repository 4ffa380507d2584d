/*
 * /cssf/v1/audit: the most recent audit lines, newest first, read back
 * from the end of the audit log (after a flush, so the caller's own
 * changes are there), filtered by device, originator, decision or event.
 * Reads at most the last TAIL_BYTES of the file: it is a view of recent
 * decisions, not a search over the whole history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/admin/admin_internal.h"

#define TAIL_BYTES (1024 * 1024)
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 1000

typedef struct audit_filter {
    const char *from, *decision, *event;
    const char *device;           /* id */
    char *device_ids[3];          /* the device's identities (PSK identity, SAN, sha256:..) */
    char device_target[128 + 32]; /* admin lines about the device */
} audit_filter_t;

static int str_is(const json_t *line, const char *key, const char *want) {
    const char *v = json_string_value(json_object_get(line, key));
    return v && strcmp(v, want) == 0;
}

static int keep(const json_t *line, const audit_filter_t *f) {
    if (f->from && !str_is(line, "from", f->from))
        return 0;
    if (f->decision && !str_is(line, "decision", f->decision))
        return 0;
    if (f->event && !str_is(line, "event", f->event))
        return 0;
    if (!f->device)
        return 1;
    const char *target = json_string_value(json_object_get(line, "target"));
    if (target && (strcmp(target, f->device_target) == 0 ||
                   (strncmp(target, f->device_target, strlen(f->device_target)) == 0 &&
                    target[strlen(f->device_target)] == '/')))
        return 1;
    for (int i = 0; i < 3; i++)
        if (f->device_ids[i] && str_is(line, "identity", f->device_ids[i]))
            return 1;
    return 0;
}

/* The identities a device authenticates with, from its document. */
static void device_identities(cssf_admin_t *a, audit_filter_t *f) {
    snprintf(f->device_target, sizeof(f->device_target), "%s/devices/%.128s", CSSF_ADMIN_PREFIX,
             f->device);
    json_t *doc = cssf_registry_get(a->registry, f->device);
    json_t *cred = json_object_get(doc, "credentials");
    const char *psk = json_string_value(json_object_get(json_object_get(cred, "psk"), "identity"));
    json_t *cert = json_object_get(cred, "certificate");
    const char *san = json_string_value(json_object_get(cert, "san"));
    const char *fp = json_string_value(json_object_get(cert, "sha256"));
    f->device_ids[0] = psk ? strdup(psk) : NULL;
    f->device_ids[1] = san ? strdup(san) : NULL;
    if (fp && (f->device_ids[2] = malloc(strlen(fp) + 8)))
        sprintf(f->device_ids[2], "sha256:%s", fp);
    json_decref(doc);
}

/* Reads up to the last TAIL_BYTES of path; the first partial line is cut. */
static char *read_tail(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(f), &st) < 0)
        goto out;
    long start = st.st_size > TAIL_BYTES ? (long)(st.st_size - TAIL_BYTES) : 0;
    if (fseek(f, start, SEEK_SET) < 0 || !(buf = malloc(TAIL_BYTES + 1)))
        goto out;
    size_t n = fread(buf, 1, TAIL_BYTES, f);
    buf[n] = '\0';
    *len = n;
    if (start > 0) {
        char *nl = memchr(buf, '\n', n);
        size_t cut = nl ? (size_t)(nl - buf) + 1 : n;
        memmove(buf, buf + cut, n - cut + 1);
        *len = n - cut;
    }
out:
    fclose(f);
    return buf;
}

int cssf_admin_audit_tail(cssf_admin_t *a, cssf_admin_req_t *rq) {
    static const char *const allowed[] = {"device", "from", "decision", "event", "limit", NULL};
    if (strcmp(rq->method, "GET") != 0)
        return cssf_admin_error(rq, 405, NULL, "only GET");
    if (cssf_admin_query_only(rq, allowed) < 0)
        return CSE_PLUGIN_OK;
    size_t limit = DEFAULT_LIMIT;
    const char *lim = cssf_admin_query_get(&rq->query, "limit");
    if (lim && (cssf_admin_parse_count(lim, MAX_LIMIT, &limit) < 0 || limit == 0))
        return cssf_admin_error(rq, 400, "limit", "must be a number from 1 to %d", MAX_LIMIT);
    audit_filter_t f = {
        .from = cssf_admin_query_get(&rq->query, "from"),
        .decision = cssf_admin_query_get(&rq->query, "decision"),
        .event = cssf_admin_query_get(&rq->query, "event"),
        .device = cssf_admin_query_get(&rq->query, "device"),
    };
    if (f.device)
        device_identities(a, &f);
    if (a->audit)
        cssf_audit_flush(a->audit, 1000);
    size_t len = 0;
    char *text = read_tail(a->audit_file, &len);
    json_t *lines = json_array();
    /* Newest first: walk the lines backwards. */
    for (size_t end = len; text && end > 0 && json_array_size(lines) < limit;) {
        size_t start = end - 1;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        json_t *line = json_loadb(text + start, end - start, 0, NULL);
        if (line && keep(line, &f))
            json_array_append(lines, line);
        json_decref(line);
        end = start;
    }
    free(text);
    for (int i = 0; i < 3; i++)
        free(f.device_ids[i]);
    return cssf_admin_reply(rq, 200, json_pack("{s:o}", "lines", lines));
}
