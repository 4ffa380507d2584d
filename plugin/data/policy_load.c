/*
 * Building a policy snapshot from a directory, and its lifetime
 * (reference count). Lookups used by the decisions live here too, since
 * they only read the snapshot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cse/plugin.h"
#include "plugin/data/policy.h"
#include "plugin/data/policy_json.h"

#define DEFAULT_ADMIN_ORIGINATOR "CAdmin"
#define DEFAULT_AUDIT_KEEP 5

cssf_policy_t *cssf_policy_new(const cssf_policy_defaults_t *defs) {
    cssf_policy_t *pol = calloc(1, sizeof(*pol));
    if (!pol)
        return NULL;
    atomic_init(&pol->refs, 1);
    for (int i = 0; i < CSSF_POLICY_BINDINGS; i++)
        pol->authn_mode[i] = defs ? defs->authn_mode : CSSF_AUTHN_REQUIRED;
    pol->trust_claimed_admin = defs ? defs->trust_claimed_admin : 0;
    pol->audit_keep = DEFAULT_AUDIT_KEEP;
    pol->audit_permits = 1;
    pol->admin_originator = strdup(DEFAULT_ADMIN_ORIGINATOR);
    if (!pol->admin_originator) {
        free(pol);
        return NULL;
    }
    return pol;
}

static void policy_free(cssf_policy_t *pol) {
    free(pol->admin_originator);
    cssf_strlist_free(&pol->admins);
    for (size_t i = 0; i < pol->nidentities; i++) {
        free(pol->identities[i].identity);
        cssf_strlist_free(&pol->identities[i].aeids);
    }
    free(pol->identities);
    for (size_t i = 0; i < pol->nunauth; i++) {
        cssf_strlist_free(&pol->unauth[i].targets);
        free(pol->unauth[i].types);
    }
    free(pol->unauth);
    cssf_strlist_free(&pol->allowed_originators);
    cssf_strlist_free(&pol->allowed_app_ids);
    json_decref(pol->tokens);
    json_decref(pol->radius);
    cssf_strlist_free(&pol->radius_users);
    for (size_t i = 0; i < pol->nacps; i++) {
        free(pol->acps[i].file);
        free(pol->acps[i].parent);
        free(pol->acps[i].rn);
        free(pol->acps[i].body);
    }
    free(pol->acps);
    free(pol);
}

void cssf_policy_retain(cssf_policy_t *pol) {
    atomic_fetch_add(&pol->refs, 1);
}

void cssf_policy_release(cssf_policy_t *pol) {
    if (pol && atomic_fetch_sub(&pol->refs, 1) == 1)
        policy_free(pol);
}

int cssf_policy_is_admin(const cssf_policy_t *pol, const char *identity) {
    if (!identity)
        return 0;
    for (size_t i = 0; i < pol->admins.n; i++)
        if (strcmp(pol->admins.v[i], identity) == 0)
            return 1;
    return 0;
}

const cssf_identity_binding_t *cssf_policy_identity(const cssf_policy_t *pol,
                                                    const char *identity) {
    if (!identity)
        return NULL;
    for (size_t i = 0; i < pol->nidentities; i++)
        if (strcmp(pol->identities[i].identity, identity) == 0)
            return &pol->identities[i];
    return NULL;
}

int cssf_policy_authn_mode(const cssf_policy_t *pol, int binding) {
    if (binding < 1 || binding >= CSSF_POLICY_BINDINGS)
        return CSSF_AUTHN_REQUIRED;
    return pol->authn_mode[binding];
}

/* Reads a whole regular file of at most the policy size limit. Returns a
 * malloc'd NUL-terminated buffer, or NULL with the reason reported. */
static char *read_file(const char *path, size_t *len, cssf_policy_report_t *rep) {
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        cssf_policy_report_add(rep, path, "$", "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        cssf_policy_report_add(rep, path, "$", "not a regular file");
        goto out;
    }
    if (st.st_size > CSSF_POLICY_MAX_FILE_BYTES) {
        cssf_policy_report_add(rep, path, "$", "file larger than %d bytes",
                               CSSF_POLICY_MAX_FILE_BYTES);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        cssf_policy_report_add(rep, path, "$", "out of memory");
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            cssf_policy_report_add(rep, path, "$", "read failed: %s",
                                   r < 0 ? strerror(errno) : "file shrank");
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    *len = got;
out:
    close(fd);
    return buf;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int json_name(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Every *.json in dir/acps, sorted; a missing acps directory is fine. */
static void load_acp_dir(cssf_policy_t *pol, const char *dir, const char *acp_parent,
                         cssf_policy_report_t *rep) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/acps", dir);
    DIR *d = opendir(path);
    if (!d) {
        if (errno != ENOENT)
            cssf_policy_report_add(rep, path, "$", "cannot open directory: %s", strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!json_name(e->d_name))
            continue;
        if (n >= CSSF_POLICY_MAX_ACP_FILES) {
            cssf_policy_report_add(rep, path, "$", "more than %d policy files",
                                   CSSF_POLICY_MAX_ACP_FILES);
            break;
        }
        char **grown = realloc(names, (n + 1) * sizeof(*names));
        if (!grown || !(grown[n] = strdup(e->d_name))) {
            names = grown ? grown : names;
            cssf_policy_report_add(rep, path, "$", "out of memory");
            break;
        }
        names = grown;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char file[4096];
        size_t len = 0;
        snprintf(file, sizeof(file), "%s/acps/%s", dir, names[i]);
        char *text = read_file(file, &len, rep);
        if (text)
            cssf_policy_parse_acps(pol, file, text, len, acp_parent, rep);
        free(text);
        free(names[i]);
    }
    free(names);
}

cssf_policy_t *cssf_policy_load(const char *dir, const cssf_policy_defaults_t *defs,
                                cssf_policy_report_t *rep) {
    size_t before = rep->total;
    cssf_policy_t *pol = cssf_policy_new(defs);
    if (!pol) {
        cssf_policy_report_add(rep, dir, "$", "out of memory");
        return NULL;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        cssf_policy_report_add(rep, dir, "$", "not a directory");
        goto fail;
    }
    char file[4096];
    size_t len = 0;
    snprintf(file, sizeof(file), "%s/cssf.json", dir);
    char *text = read_file(file, &len, rep);
    if (text)
        cssf_policy_parse_main(pol, file, text, len, rep);
    free(text);
    const char *parent =
        defs && defs->acp_parent && *defs->acp_parent ? defs->acp_parent : "cse-in";
    load_acp_dir(pol, dir, parent, rep);
    if (rep->total == before && !rep->oom)
        return pol;
fail:
    cssf_policy_release(pol);
    return NULL;
}
