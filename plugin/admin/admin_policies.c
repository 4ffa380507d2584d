/*
 * /cssf/v1/policies: the policy directory as one JSON document
 *     {"main": <cssf.json>, "acps": {"<name>.json": <ACP file>, ...}}
 * GET reads it from the directory; PUT validates it with the same parser
 * as the files (nothing is written when a problem is found), writes the
 * files (each through a temporary file and rename), then applies it as a
 * RELOAD would. If the CSE refuses it, the previous files come back and
 * the previous policy stays in force.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/admin/admin_internal.h"
#include "plugin/data/policy.h"

#define MAX_FILES 256

typedef struct policy_file {
    char name[128]; /* "cssf.json" or "acps/<name>.json" */
    char *text;
} policy_file_t;

typedef struct policy_set {
    policy_file_t f[MAX_FILES + 1];
    size_t n;
} policy_set_t;

static void set_free(policy_set_t *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->f[i].text);
    s->n = 0;
}

static int acp_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n < 6 || n > 100 || strcmp(name + n - 5, ".json") != 0 || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(CSSF_POLICY_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CSSF_POLICY_MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf || n > CSSF_POLICY_MAX_FILE_BYTES) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The policy files on disk (cssf.json first, then acps/ in name order). */
static int read_dir(const char *dir, policy_set_t *s) {
    char path[4200];
    s->n = 0;
    snprintf(path, sizeof(path), "%s/cssf.json", dir);
    if (!(s->f[0].text = read_text(path)))
        return -1;
    snprintf(s->f[0].name, sizeof(s->f[0].name), "cssf.json");
    s->n = 1;
    snprintf(path, sizeof(path), "%s/acps", dir);
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!acp_name_ok(e->d_name))
            continue;
        if (s->n >= MAX_FILES) {
            rc = -1;
            break;
        }
        policy_file_t *pf = &s->f[s->n];
        snprintf(pf->name, sizeof(pf->name), "acps/%.100s", e->d_name);
        snprintf(path, sizeof(path), "%s/acps/%s", dir, e->d_name);
        if (!(pf->text = read_text(path))) {
            rc = -1;
            break;
        }
        s->n++;
    }
    closedir(d);
    return rc;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(((const policy_file_t *)a)->name, ((const policy_file_t *)b)->name);
}

static int get(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (cssf_admin_query_only(rq, NULL) < 0)
        return CSE_PLUGIN_OK;
    policy_set_t *s = calloc(1, sizeof(*s));
    if (!s)
        return cssf_admin_error(rq, 500, NULL, "out of memory");
    int rc;
    if (read_dir(a->policy_dir, s) < 0) {
        rc = cssf_admin_error(rq, 500, NULL, "cannot read the policy directory");
        goto out;
    }
    qsort(s->f + 1, s->n - 1, sizeof(s->f[0]), name_cmp);
    json_t *doc = json_object(), *acps = json_object();
    for (size_t i = 0; i < s->n; i++) {
        json_t *v = json_loads(s->f[i].text, 0, NULL);
        if (!v)
            v = json_string(s->f[i].text); /* edited by hand into something else */
        if (i == 0)
            json_object_set_new(doc, "main", v);
        else
            json_object_set_new(acps, s->f[i].name + 5, v);
    }
    json_object_set_new(doc, "acps", acps);
    rc = cssf_admin_reply(rq, 200, doc);
out:
    set_free(s);
    free(s);
    return rc;
}

/* The files of a PUT body, or -1 with the reply set. */
static int files_of(cssf_admin_req_t *rq, const json_t *doc, policy_set_t *s) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        if (strcmp(key, "main") != 0 && strcmp(key, "acps") != 0) {
            cssf_admin_error(rq, 400, key, "unknown field");
            return -1;
        }
    }
    json_t *main_doc = json_object_get(doc, "main"), *acps = json_object_get(doc, "acps");
    if (!json_is_object(main_doc)) {
        cssf_admin_error(rq, 400, "main", "must be the object of cssf.json");
        return -1;
    }
    if (acps && !json_is_object(acps)) {
        cssf_admin_error(rq, 400, "acps", "must map file names to ACP documents");
        return -1;
    }
    if (json_object_size(acps) > MAX_FILES - 1) {
        cssf_admin_error(rq, 400, "acps", "more than %d files", MAX_FILES - 1);
        return -1;
    }
    snprintf(s->f[0].name, sizeof(s->f[0].name), "cssf.json");
    s->f[0].text = json_dumps(main_doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    s->n = 1;
    json_object_foreach(acps, key, v) {
        char field[160];
        snprintf(field, sizeof(field), "acps.%.120s", key);
        if (!acp_name_ok(key)) {
            cssf_admin_error(rq, 400, field,
                             "file names are letters, digits, - _ . and end in .json");
            return -1;
        }
        snprintf(s->f[s->n].name, sizeof(s->f[0].name), "acps/%.100s", key);
        s->f[s->n].text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        s->n++;
    }
    for (size_t i = 0; i < s->n; i++)
        if (!s->f[i].text) {
            cssf_admin_error(rq, 500, NULL, "out of memory");
            return -1;
        }
    qsort(s->f + 1, s->n - 1, sizeof(s->f[0]), name_cmp);
    return 0;
}

/* Validates s as the loader would; -1 with a 400 reply listing problems. */
static int validate(cssf_admin_t *a, cssf_admin_req_t *rq, const policy_set_t *s, size_t *nacps) {
    cssf_policy_report_t *rep = calloc(1, sizeof(*rep));
    cssf_policy_t *pol = cssf_policy_new(&a->policy_defaults);
    int rc = -1;
    if (!rep || !pol) {
        cssf_admin_error(rq, 500, NULL, "out of memory");
        goto out;
    }
    cssf_policy_report_init(rep);
    cssf_policy_parse_main(pol, s->f[0].name, s->f[0].text, strlen(s->f[0].text), rep);
    for (size_t i = 1; i < s->n; i++)
        cssf_policy_parse_acps(pol, s->f[i].name, s->f[i].text, strlen(s->f[i].text), a->acp_parent,
                               rep);
    if (rep->total == 0 && !rep->oom) {
        *nacps = pol->nacps;
        rc = 0;
        goto out;
    }
    json_t *problems = json_array();
    char line[1024];
    for (size_t i = 0; i < rep->n; i++) {
        cssf_policy_report_format(rep, i, line, sizeof(line));
        json_array_append_new(problems, json_string(line));
    }
    json_t *body = json_pack(
        "{s:s,s:s,s:o,s:I}", "error", rep->n ? rep->items[0].reason : "invalid policy", "field",
        rep->n ? rep->items[0].file : "", "problems", problems, "total", (json_int_t)rep->total);
    if (body && rep->n) {
        char field[600];
        snprintf(field, sizeof(field), "%s:%s", rep->items[0].file, rep->items[0].path);
        json_object_set_new(body, "field", json_string(field));
    }
    cssf_admin_reply(rq, 400, body);
out:
    cssf_policy_release(pol);
    if (rep)
        cssf_policy_report_clear(rep);
    free(rep);
    return rc;
}

static int write_atomic(const char *path, const char *text) {
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.admin-tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = off == len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Makes the directory hold exactly the files of s. 0 or -1. */
static int write_set(const char *dir, const policy_set_t *s, const policy_set_t *old) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/acps", dir);
    if (s->n > 1 && mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, s->f[i].name);
        if (write_atomic(path, s->f[i].text) < 0)
            return -1;
    }
    for (size_t i = 1; i < old->n; i++) {
        int kept = 0;
        for (size_t k = 1; k < s->n && !kept; k++)
            kept = strcmp(old->f[i].name, s->f[k].name) == 0;
        snprintf(path, sizeof(path), "%s/%s", dir, old->f[i].name);
        if (!kept && unlink(path) < 0 && errno != ENOENT)
            return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

static int put(cssf_admin_t *a, cssf_admin_req_t *rq) {
    static const char *const allowed[] = {"dry_run", NULL};
    if (cssf_admin_query_only(rq, allowed) < 0)
        return CSE_PLUGIN_OK;
    const char *dry = cssf_admin_query_get(&rq->query, "dry_run");
    int dry_run = dry && (strcmp(dry, "true") == 0 || strcmp(dry, "1") == 0 || !*dry);
    if (!dry_run)
        rq->change = "policy.apply";
    json_t *doc = cssf_admin_body(rq, CSSF_ADMIN_MAX_POLICY_BODY);
    if (!doc)
        return CSE_PLUGIN_OK;
    policy_set_t *s = calloc(1, sizeof(*s)), *old = calloc(1, sizeof(*old));
    size_t nacps = 0;
    char why[1024];
    if (!s || !old) {
        cssf_admin_error(rq, 500, NULL, "out of memory");
        goto out;
    }
    if (files_of(rq, doc, s) < 0 || validate(a, rq, s, &nacps) < 0)
        goto out;
    if (dry_run) {
        cssf_admin_reply(rq, 200, json_pack("{s:b,s:I}", "valid", 1, "acps", (json_int_t)nacps));
        goto out;
    }
    pthread_mutex_lock(&a->policy_lock);
    if (read_dir(a->policy_dir, old) < 0) {
        cssf_admin_error(rq, 500, NULL, "cannot read the current policy directory");
    } else if (write_set(a->policy_dir, s, old) < 0) {
        write_set(a->policy_dir, old, s);
        cssf_admin_error(rq, 500, NULL, "cannot write the policy files: %s", strerror(errno));
    } else if (!a->hooks.reload || a->hooks.reload(a->hooks.ctx, why, sizeof(why)) < 0) {
        /* The CSE refused it: the previous files come back, and the
         * previous policy, which never left, stays in force. */
        write_set(a->policy_dir, old, s);
        cssf_admin_error(rq, 400, NULL, "the CSE refused the policy: %s",
                         a->hooks.reload ? why : "no reload available");
    } else {
        cssf_admin_reply(rq, 200, json_pack("{s:b,s:I}", "applied", 1, "acps", (json_int_t)nacps));
    }
    pthread_mutex_unlock(&a->policy_lock);
out:
    if (s)
        set_free(s);
    if (old)
        set_free(old);
    free(s);
    free(old);
    json_decref(doc);
    return CSE_PLUGIN_OK;
}

int cssf_admin_policies(cssf_admin_t *a, cssf_admin_req_t *rq) {
    if (strcmp(rq->method, "GET") == 0)
        return get(a, rq);
    if (strcmp(rq->method, "PUT") == 0)
        return put(a, rq);
    return cssf_admin_error(rq, 405, NULL, "only GET and PUT");
}
