/* The audit log: queue, line format, writer, drops and rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cse/plugin.h"
#include "plugin/data/audit.h"
#include "plugin/data/audit_line.h"
#include "plugin/data/audit_queue.h"

static void test_queue_bounds(void **state) {
    (void)state;
    cssf_audit_queue_t q;
    assert_int_equal(cssf_audit_queue_init(&q, 3), 0); /* rounded up to 4 */
    for (int i = 0; i < 4; i++) {
        char *s = malloc(8);
        snprintf(s, 8, "l%d", i);
        assert_int_equal(cssf_audit_queue_push(&q, s), 0);
    }
    char *extra = strdup("x");
    assert_int_equal(cssf_audit_queue_push(&q, extra), -1); /* full: caller still owns it */
    free(extra);
    for (int i = 0; i < 4; i++) {
        char *s = cssf_audit_queue_pop(&q);
        char want[8];
        snprintf(want, sizeof(want), "l%d", i);
        assert_string_equal(s, want); /* FIFO */
        free(s);
    }
    assert_null(cssf_audit_queue_pop(&q));
    /* wraps around */
    for (int round = 0; round < 10; round++) {
        assert_int_equal(cssf_audit_queue_push(&q, strdup("r")), 0);
        char *s = cssf_audit_queue_pop(&q);
        assert_string_equal(s, "r");
        free(s);
    }
    assert_int_equal(cssf_audit_queue_push(&q, strdup("left")), 0);
    cssf_audit_queue_destroy(&q); /* frees what is still queued */
}

typedef struct producer_arg {
    cssf_audit_queue_t *q;
    int id, n;
} producer_arg_t;

static void *producer(void *p) {
    producer_arg_t *a = p;
    for (int i = 0; i < a->n; i++) {
        char *s = malloc(32);
        snprintf(s, 32, "%d:%d", a->id, i);
        while (cssf_audit_queue_push(a->q, s) < 0)
            sched_yield(); /* the test consumer drains */
    }
    return NULL;
}

/* Several producers, one consumer: nothing lost, per-producer order kept. */
static void test_queue_concurrent(void **state) {
    (void)state;
    enum { P = 3, N = 5000 };
    cssf_audit_queue_t q;
    assert_int_equal(cssf_audit_queue_init(&q, 64), 0);
    pthread_t t[P];
    producer_arg_t args[P];
    for (int i = 0; i < P; i++) {
        args[i] = (producer_arg_t){&q, i, N};
        pthread_create(&t[i], NULL, producer, &args[i]);
    }
    int next[P] = {0};
    int got = 0;
    while (got < P * N) {
        char *s = cssf_audit_queue_pop(&q);
        if (!s) {
            sched_yield();
            continue;
        }
        int id, i;
        assert_int_equal(sscanf(s, "%d:%d", &id, &i), 2);
        assert_int_equal(i, next[id]);
        next[id]++;
        got++;
        free(s);
    }
    for (int i = 0; i < P; i++)
        pthread_join(t[i], NULL);
    assert_null(cssf_audit_queue_pop(&q));
    cssf_audit_queue_destroy(&q);
}

static void test_line_format(void **state) {
    (void)state;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(40123);
    inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
    cssf_audit_record_t r = {.event = "request",
                             .rqi = "rq1",
                             .binding = CSE_BINDING_COAPS,
                             .peer = &ss,
                             .identity = "dev1@psk",
                             .method = "dtls-psk",
                             .from = "Cdev1",
                             .target = "/cse-in/dev1",
                             .operation = CSE_OP_RETRIEVE,
                             .decision = "permit",
                             .rsc = 2000,
                             .acp = "acp123",
                             .rule = "rule=0"};
    char *line = cssf_audit_line_format(&r);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    json_error_t e;
    json_t *o = json_loads(line, 0, &e);
    assert_non_null(o);
    const char *time = json_string_value(json_object_get(o, "time"));
    assert_non_null(time);
    assert_int_equal(strlen(time), strlen("2024-01-02T03:04:05.123456Z"));
    assert_int_equal(time[strlen(time) - 1], 'Z');
    assert_string_equal(json_string_value(json_object_get(o, "event")), "request");
    assert_string_equal(json_string_value(json_object_get(o, "rqi")), "rq1");
    assert_string_equal(json_string_value(json_object_get(o, "binding")), "coaps");
    assert_string_equal(json_string_value(json_object_get(o, "peer")), "127.0.0.1:40123");
    assert_string_equal(json_string_value(json_object_get(o, "identity")), "dev1@psk");
    assert_string_equal(json_string_value(json_object_get(o, "method")), "dtls-psk");
    assert_string_equal(json_string_value(json_object_get(o, "from")), "Cdev1");
    assert_string_equal(json_string_value(json_object_get(o, "target")), "/cse-in/dev1");
    assert_string_equal(json_string_value(json_object_get(o, "op")), "retrieve");
    assert_string_equal(json_string_value(json_object_get(o, "decision")), "permit");
    assert_int_equal(json_integer_value(json_object_get(o, "rsc")), 2000);
    assert_string_equal(json_string_value(json_object_get(o, "acp")), "acp123");
    assert_string_equal(json_string_value(json_object_get(o, "rule")), "rule=0");
    assert_null(json_object_get(o, "reason"));
    assert_null(json_object_get(o, "trusted_claim"));
    json_decref(o);
    free(line);

    /* Unknowns are null; bad UTF-8 never drops the line; IPv6 peers. */
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    memset(&ss, 0, sizeof(ss));
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(8080);
    inet_pton(AF_INET6, "::1", &in6->sin6_addr);
    cssf_audit_record_t d = {.event = "authenticate",
                             .peer = &ss,
                             .from = "C\xff\xfe",
                             .decision = "deny",
                             .rsc = 4107,
                             .reason = "security association required",
                             .trusted_claim = 1};
    line = cssf_audit_line_format(&d);
    o = json_loads(line, 0, &e);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "from")));
    assert_true(json_is_null(json_object_get(o, "rqi")));
    assert_true(json_is_null(json_object_get(o, "op")));
    assert_string_equal(json_string_value(json_object_get(o, "peer")), "[::1]:8080");
    assert_string_equal(json_string_value(json_object_get(o, "reason")),
                        "security association required");
    assert_true(json_is_true(json_object_get(o, "trusted_claim")));
    json_decref(o);
    free(line);

    line = cssf_audit_line_dropped(3, 10);
    o = json_loads(line, 0, &e);
    assert_string_equal(json_string_value(json_object_get(o, "event")), "audit_dropped");
    assert_int_equal(json_integer_value(json_object_get(o, "dropped")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 10);
    json_decref(o);
    free(line);
}

/* Any text in any field: the line is JSON whose value is the text exactly
 * (escapes included), or null when the text is empty or not UTF-8 — the
 * answer jansson, the reference here, gives for the same text. */
static void test_line_any_text(void **state) {
    (void)state;
    static const char *const fixed[] = {"\"quoted\" \\ back",     "tab\tnl\nret\rbs\bff\f",
                                        "\x01\x1f\x7f end",       "caf\xc3\xa9 \xe2\x82\xac",
                                        "\xf0\x9f\x98\x80",       "\xc0\xaf overlong",
                                        "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 big",
                                        "cut \xe2\x82",           "/slash/"};
    unsigned seed = 12345;
    char text[64];
    for (int i = 0; i < 3000; i++) {
        const char *t;
        if (i < (int)(sizeof(fixed) / sizeof(fixed[0]))) {
            t = fixed[i];
        } else {
            size_t n = (size_t)(rand_r(&seed) % 20);
            for (size_t k = 0; k < n; k++)
                text[k] = (char)(rand_r(&seed) % 4 == 0 ? 0x80 + rand_r(&seed) % 128
                                                        : 1 + rand_r(&seed) % 127);
            text[n] = '\0';
            t = text;
        }
        cssf_audit_record_t r = {.event = "request", .from = t, .reason = t};
        char *line = cssf_audit_line_format(&r);
        assert_non_null(line);
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (!o)
            fail_msg("not JSON: %s (%s)", line, e.text);
        json_t *ref = json_string(t); /* NULL when jansson refuses the text */
        json_t *got = json_object_get(o, "reason");
        if (ref && *t)
            assert_true(json_equal(got, ref));
        else
            assert_true(json_is_null(got));
        assert_true(json_equal(got, json_object_get(o, "from")));
        json_decref(ref);
        json_decref(o);
        free(line);
    }
}

/* --- the writer ---------------------------------------------------------- */

static char *tmp_dir(void) {
    char *dir = strdup("/tmp/cssf-audit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void rm_dir(char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* Lines of a file (static buffer); -1 if it does not exist. */
static int count_lines(const char *path, char *first, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    char buf[4096];
    while (fgets(buf, sizeof(buf), f)) {
        if (n == 0 && first)
            snprintf(first, cap, "%.200s", buf);
        n++;
    }
    fclose(f);
    return n;
}

static char *line_n(int i) {
    char *s = malloc(64);
    snprintf(s, 64, "{\"n\":%d,\"pad\":\"%040d\"}", i, 0); /* 57 bytes + newline */
    return s;
}

static void test_writer_and_flush(void **state) {
    (void)state;
    char *dir = tmp_dir();
    char path[512];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    char err[256];
    cssf_audit_options_t o = {path, 0, 3, 16, 0};
    cssf_audit_t *a = cssf_audit_open(&o, err, sizeof(err));
    assert_non_null(a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cssf_audit_submit(a, line_n(i)), 0);
    assert_int_equal(cssf_audit_flush(a, 5000), 0);
    char first[256];
    assert_int_equal(count_lines(path, first, sizeof(first)), 10);
    assert_non_null(strstr(first, "\"n\":0,"));
    assert_int_equal(cssf_audit_submit(a, NULL), -1);
    /* close writes what is still queued */
    for (int i = 10; i < 15; i++)
        cssf_audit_submit(a, line_n(i));
    cssf_audit_close(a);
    assert_int_equal(count_lines(path, NULL, 0), 15);
    /* reopening appends */
    a = cssf_audit_open(&o, err, sizeof(err));
    cssf_audit_submit(a, line_n(15));
    cssf_audit_close(a);
    assert_int_equal(count_lines(path, NULL, 0), 16);
    /* a directory that does not exist */
    cssf_audit_options_t bad = {"/nonexistent/dir/audit.log", 0, 1, 0, 0};
    assert_null(cssf_audit_open(&bad, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot open audit file /nonexistent/dir/audit.log"));
    rm_dir(dir);
}

/* A full queue drops (never blocks) and the writer says so in the log. */
static void test_drops(void **state) {
    (void)state;
    char *dir = tmp_dir();
    char path[512];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    char err[256];
    cssf_audit_options_t o = {path, 0, 1, 4, 1 /* paused */};
    cssf_audit_t *a = cssf_audit_open(&o, err, sizeof(err));
    assert_non_null(a);
    int queued = 0, dropped = 0;
    for (int i = 0; i < 10; i++) {
        if (cssf_audit_submit(a, line_n(i)) == 0)
            queued++;
        else
            dropped++;
    }
    assert_int_equal(queued, 4);
    assert_int_equal(dropped, 6);
    assert_int_equal(cssf_audit_dropped(a), 6);
    cssf_audit_resume(a);
    assert_int_equal(cssf_audit_flush(a, 5000), 0);
    FILE *f = fopen(path, "r");
    char buf[512];
    int lines = 0, warned = 0;
    while (fgets(buf, sizeof(buf), f)) {
        lines++;
        if (strstr(buf, "\"event\":\"audit_dropped\"") && strstr(buf, "\"dropped\":6") &&
            strstr(buf, "\"total\":6"))
            warned++;
    }
    fclose(f);
    assert_int_equal(lines, 5);
    assert_int_equal(warned, 1);
    cssf_audit_close(a);
    rm_dir(dir);
}

/* Size-based rotation keeps `keep` old files; the newest lines are in the
 * current file, the oldest kept ones in .keep. */
static void test_rotation(void **state) {
    (void)state;
    char *dir = tmp_dir();
    char path[512], p1[520], p2[520], p3[520];
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    snprintf(p2, sizeof(p2), "%s.2", path);
    snprintf(p3, sizeof(p3), "%s.3", path);
    char err[256];
    /* 58-byte lines, 4 per 240-byte file */
    cssf_audit_options_t o = {path, 240, 2, 64, 0};
    cssf_audit_t *a = cssf_audit_open(&o, err, sizeof(err));
    for (int i = 0; i < 14; i++)
        cssf_audit_submit(a, line_n(i));
    assert_int_equal(cssf_audit_flush(a, 5000), 0);
    char first[256];
    /* 0-3 (gone), 4-7 in .2, 8-11 in .1, 12-13 current */
    assert_int_equal(count_lines(path, first, sizeof(first)), 2);
    assert_non_null(strstr(first, "\"n\":12,"));
    assert_int_equal(count_lines(p1, first, sizeof(first)), 4);
    assert_non_null(strstr(first, "\"n\":8,"));
    assert_int_equal(count_lines(p2, first, sizeof(first)), 4);
    assert_non_null(strstr(first, "\"n\":4,"));
    assert_int_equal(count_lines(p3, NULL, 0), -1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size <= 240);

    /* keep 0: the old content is removed, nothing rotated */
    cssf_audit_set_keep(a, 0);
    for (int i = 14; i < 20; i++)
        cssf_audit_submit(a, line_n(i));
    assert_int_equal(cssf_audit_flush(a, 5000), 0);
    assert_int_equal(count_lines(path, first, sizeof(first)), 4);
    assert_non_null(strstr(first, "\"n\":16,"));
    assert_int_equal(count_lines(p1, first, sizeof(first)), 4);
    assert_non_null(strstr(first, "\"n\":8,")); /* untouched */
    cssf_audit_close(a);
    rm_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_bounds),     cmocka_unit_test(test_queue_concurrent),
        cmocka_unit_test(test_line_format),      cmocka_unit_test(test_line_any_text),
        cmocka_unit_test(test_writer_and_flush), cmocka_unit_test(test_drops),
        cmocka_unit_test(test_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
