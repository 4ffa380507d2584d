/* AE registration accounting (plugin/aaa/acct_ae.c): Start/Interim/Stop
 * records and their counters, the table file across a clean restart and a
 * crash, sessions whose AE vanished, re-registration, the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/aaa/acct_ae.h"

typedef struct seen {
    int n;
    cssf_radius_acct_t recs[32];
    char ids[32][40], users[32][64], calling[32][64];
} seen_t;

static void collect(void *ctx, const cssf_radius_acct_t *rec) {
    seen_t *s = ctx;
    assert_true(s->n < 32);
    s->recs[s->n] = *rec;
    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", rec->session_id);
    snprintf(s->users[s->n], sizeof s->users[0], "%s", rec->user_name ? rec->user_name : "");
    snprintf(s->calling[s->n], sizeof s->calling[0], "%s",
             rec->calling_station_id ? rec->calling_station_id : "");
    s->n++;
}

typedef struct fixture {
    char dir[64], path[96];
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/acct-ae-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/acct.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static cssf_acct_ae_t *open_at(const char *path, unsigned interim, size_t max, seen_t *s) {
    cssf_acct_ae_config_t c = {path, interim, max, collect, s};
    cssf_acct_ae_t *t = NULL;
    char err[256];
    assert_int_equal(cssf_acct_ae_open(&c, &t, err, sizeof err), 0);
    return t;
}

static void start_interim_stop(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    cssf_acct_ae_t *t = open_at(f->path, 60, 8, &s);
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    assert_int_equal(cssf_acct_ae_start(t, "Cdev1", "dev-psk-1", 120, 300, 1000), 0);
    assert_int_equal(cssf_acct_ae_start(t, "Cother", NULL, 10, 20, 1000), 0);
    assert_int_equal(cssf_acct_ae_start(t, "", NULL, 0, 0, 1000), -1);
    assert_int_equal(cssf_acct_ae_start(t, NULL, NULL, 0, 0, 1000), -1);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.recs[0].status_type, CSSF_RADIUS_ACCT_START);
    assert_string_equal(s.users[0], "dev-psk-1");
    assert_string_equal(s.calling[0], "Cdev1");
    assert_int_equal(strlen(s.ids[0]), 3 + 16);
    assert_memory_equal(s.ids[0], "ae-", 3);
    assert_string_not_equal(s.ids[0], s.ids[1]);
    assert_string_equal(s.users[1], "Cother"); /* no identity: the AE-ID */

    /* Requests of the AE count; others (and prefixes of it) do not. */
    cssf_acct_ae_traffic(t, "Cdev1", 100, 1000);
    cssf_acct_ae_traffic(t, "Cdev1", 50, 500);
    cssf_acct_ae_traffic(t, "Cdev", 7, 7);
    cssf_acct_ae_traffic(t, "unknown", 7, 7);
    cssf_acct_ae_traffic(t, NULL, 7, 7);
    assert_int_equal(cssf_acct_ae_tick(t, 1059), 0);
    assert_int_equal(cssf_acct_ae_tick(t, 1060), 2);
    const cssf_radius_acct_t *in = strcmp(s.calling[2], "Cdev1") == 0 ? &s.recs[2] : &s.recs[3];
    int ii = in == &s.recs[2] ? 2 : 3;
    assert_int_equal(in->status_type, CSSF_RADIUS_ACCT_INTERIM);
    assert_string_equal(s.ids[ii], s.ids[0]);
    assert_int_equal(in->session_time, 60);
    assert_int_equal(in->input_octets, 270); /* the registration itself counts */
    assert_int_equal(in->output_octets, 1800);
    assert_int_equal(in->input_packets, 3);
    assert_int_equal(in->output_packets, 3);
    assert_int_equal(in->terminate_cause, 0);
    assert_int_equal(cssf_acct_ae_tick(t, 1100), 0); /* next one at 1120 */

    assert_int_equal(cssf_acct_ae_stop(t, "Cdev1", CSSF_ACCT_CAUSE_USER_REQUEST, 1130), 0);
    assert_int_equal(s.recs[4].status_type, CSSF_RADIUS_ACCT_STOP);
    assert_string_equal(s.ids[4], s.ids[0]);
    assert_int_equal(s.recs[4].session_time, 130);
    assert_int_equal(s.recs[4].terminate_cause, CSSF_ACCT_CAUSE_USER_REQUEST);
    assert_int_equal(s.recs[4].input_octets, 270);
    assert_int_equal(cssf_acct_ae_stop(t, "Cdev1", 1, 1131), -1); /* already stopped */
    assert_int_equal(cssf_acct_ae_stop(t, "Cother", CSSF_ACCT_CAUSE_SESSION_TIMEOUT, 1200), 0);
    assert_int_equal(s.recs[5].terminate_cause, CSSF_ACCT_CAUSE_SESSION_TIMEOUT);
    assert_int_equal(s.recs[5].session_time, 200);
    assert_int_equal(s.n, 6);
    assert_int_equal(cssf_acct_ae_open_count(t), 0);
    cssf_acct_ae_close(t, 0, 1300);

    /* Stopped sessions left the file. */
    seen_t s2 = {0};
    t = open_at(f->path, 60, 8, &s2);
    assert_int_equal(cssf_acct_ae_open_count(t), 0);
    cssf_acct_ae_close(t, 0, 1300);
    assert_int_equal(s2.n, 0);
}

/* A clean shutdown keeps sessions and all their counters; the next run
 * continues the same Acct-Session-Id, timed from the registration. */
static void restart_continues(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    cssf_acct_ae_t *t = open_at(f->path, 60, 8, &s);
    assert_int_equal(cssf_acct_ae_start(t, "CAE1", "alice", 10, 20, 5000), 0);
    cssf_acct_ae_traffic(t, "CAE1", 1, 2);
    assert_int_equal(cssf_acct_ae_tick(t, 5060), 1);
    cssf_acct_ae_traffic(t, "CAE1", 4, 8); /* after the Interim: written at close */
    cssf_acct_ae_close(t, 0, 5070);
    assert_int_equal(s.n, 2); /* Start, Interim; no Stop */

    seen_t s2 = {0};
    t = open_at(f->path, 60, 8, &s2);
    assert_int_equal(s2.n, 0); /* nothing emitted at open */
    assert_int_equal(cssf_acct_ae_open_count(t), 1);
    assert_int_equal(cssf_acct_ae_tick(t, 5100), 0); /* the Interim at 5060 is remembered */
    cssf_acct_ae_traffic(t, "CAE1", 100, 200);
    assert_int_equal(cssf_acct_ae_tick(t, 5120), 1);
    assert_string_equal(s2.ids[0], s.ids[0]);
    assert_int_equal(s2.recs[0].session_time, 120);
    assert_int_equal(s2.recs[0].input_octets, 115);
    assert_int_equal(s2.recs[0].output_octets, 230);
    assert_int_equal(s2.recs[0].input_packets, 4);
    assert_string_equal(s2.users[0], "alice");
    assert_string_equal(s2.calling[0], "CAE1");
    assert_int_equal(cssf_acct_ae_stop(t, "CAE1", CSSF_ACCT_CAUSE_USER_REQUEST, 5200), 0);
    assert_string_equal(s2.ids[1], s.ids[0]);
    assert_int_equal(s2.recs[1].session_time, 200);
    assert_int_equal(s2.recs[1].input_octets, 115);
    cssf_acct_ae_close(t, 0, 5300);
}

/* A crash keeps what the last Interim-Update wrote: a copy of the file
 * taken while the table is open is what a killed process leaves. */
static void crash_keeps_interim_counters(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    char copy[128], cmd[512];
    snprintf(copy, sizeof copy, "%s/crashed.db", f->dir);
    cssf_acct_ae_t *t = open_at(f->path, 60, 8, &s);
    assert_int_equal(cssf_acct_ae_start(t, "CAE2", NULL, 10, 20, 100), 0);
    cssf_acct_ae_traffic(t, "CAE2", 5, 5);
    assert_int_equal(cssf_acct_ae_tick(t, 160), 1);
    cssf_acct_ae_traffic(t, "CAE2", 1000, 1000); /* not yet written */
    assert_int_equal(cssf_acct_ae_sync(t, 2000), 0);
    snprintf(cmd, sizeof cmd, "cp %s %s && cp %s-wal %s-wal", f->path, copy, f->path, copy);
    assert_int_equal(system(cmd), 0);
    cssf_acct_ae_close(t, 0, 170);

    seen_t s2 = {0};
    t = open_at(copy, 60, 8, &s2);
    assert_int_equal(cssf_acct_ae_open_count(t), 1);
    assert_int_equal(cssf_acct_ae_stop(t, "CAE2", CSSF_ACCT_CAUSE_SESSION_TIMEOUT, 300), 0);
    assert_string_equal(s2.ids[0], s.ids[0]);
    assert_int_equal(s2.recs[0].input_octets, 15);
    assert_int_equal(s2.recs[0].input_packets, 2);
    assert_int_equal(s2.recs[0].session_time, 200);
    cssf_acct_ae_close(t, 0, 300);
}

static int exists_only(void *ctx, const char *aei) {
    return strcmp(aei, (const char *)ctx) == 0;
}

/* Sessions whose AE is gone stop (and leave the file); the others run on. */
static void reconcile_stops_vanished(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    cssf_acct_ae_t *t = open_at(f->path, 0, 8, &s);
    assert_int_equal(cssf_acct_ae_start(t, "Ckeep", NULL, 0, 0, 10), 0);
    assert_int_equal(cssf_acct_ae_start(t, "Cgone1", NULL, 0, 0, 10), 0);
    assert_int_equal(cssf_acct_ae_start(t, "Cgone2", NULL, 0, 0, 10), 0);
    assert_int_equal(cssf_acct_ae_tick(t, 100000), 0); /* interim 0: none */
    cssf_acct_ae_close(t, 0, 20);

    seen_t s2 = {0};
    t = open_at(f->path, 0, 8, &s2);
    assert_int_equal(
        cssf_acct_ae_reconcile(t, exists_only, "Ckeep", CSSF_ACCT_CAUSE_SESSION_TIMEOUT, 50), 2);
    assert_int_equal(s2.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s2.recs[i].status_type, CSSF_RADIUS_ACCT_STOP);
        assert_int_equal(s2.recs[i].terminate_cause, CSSF_ACCT_CAUSE_SESSION_TIMEOUT);
        assert_int_equal(s2.recs[i].session_time, 40);
        assert_memory_equal(s2.calling[i], "Cgone", 5);
    }
    assert_int_equal(cssf_acct_ae_open_count(t), 1);
    cssf_acct_ae_close(t, 0, 60);

    seen_t s3 = {0};
    t = open_at(f->path, 0, 8, &s3);
    assert_int_equal(cssf_acct_ae_open_count(t), 1);
    assert_int_equal(cssf_acct_ae_stop(t, "Ckeep", 1, 70), 0);
    assert_int_equal(s3.recs[0].session_time, 60);
    cssf_acct_ae_close(t, 0, 80);
}

/* A registration of an AE-ID still open ends the old session first; the
 * bound refuses more; a close with a cause stops everything. */
static void reregistration_bound_and_stop_all(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    cssf_acct_ae_t *t = open_at(f->path, 60, 2, &s);
    assert_int_equal(cssf_acct_ae_start(t, "Cx", NULL, 0, 0, 1), 0);
    assert_int_equal(cssf_acct_ae_start(t, "Cx", NULL, 0, 0, 5), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.recs[1].status_type, CSSF_RADIUS_ACCT_STOP);
    assert_int_equal(s.recs[1].terminate_cause, CSSF_ACCT_CAUSE_LOST_SERVICE);
    assert_string_equal(s.ids[1], s.ids[0]);
    assert_int_equal(s.recs[2].status_type, CSSF_RADIUS_ACCT_START);
    assert_string_not_equal(s.ids[2], s.ids[0]);
    assert_int_equal(cssf_acct_ae_start(t, "Cy", NULL, 0, 0, 5), 0);
    assert_int_equal(cssf_acct_ae_start(t, "Cz", NULL, 0, 0, 5), -1); /* max 2 */
    char longid[CSSF_ACCT_AE_ID_MAX + 2];
    memset(longid, 'C', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(cssf_acct_ae_start(t, longid, NULL, 0, 0, 5), -1);
    assert_int_equal(cssf_acct_ae_open_count(t), 2);
    int before = s.n;
    cssf_acct_ae_close(t, CSSF_ACCT_CAUSE_NAS_REBOOT, 50);
    assert_int_equal(s.n - before, 2);
    for (int i = before; i < s.n; i++) {
        assert_int_equal(s.recs[i].status_type, CSSF_RADIUS_ACCT_STOP);
        assert_int_equal(s.recs[i].terminate_cause, CSSF_ACCT_CAUSE_NAS_REBOOT);
    }
    seen_t s2 = {0};
    t = open_at(f->path, 60, 2, &s2);
    assert_int_equal(cssf_acct_ae_open_count(t), 0);
    cssf_acct_ae_close(t, 0, 60);
}

/* Many AE-IDs sharing buckets: every one found, stops in any order. */
static void many(void **state) {
    fixture_t *f = *state;
    seen_t s = {0};
    cssf_acct_ae_config_t c = {f->path, 0, 5000, collect, &s};
    cssf_acct_ae_t *t = NULL;
    char err[256], id[32];
    assert_int_equal(cssf_acct_ae_open(&c, &t, err, sizeof err), 0);
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "CAE%d", i);
        s.n = 0;
        assert_int_equal(cssf_acct_ae_start(t, id, NULL, 0, 0, 1), 0);
    }
    for (int i = 0; i < 3000; i += 2) {
        snprintf(id, sizeof id, "CAE%d", i);
        s.n = 0;
        assert_int_equal(cssf_acct_ae_stop(t, id, 1, 2), 0);
    }
    for (int i = 1; i < 3000; i += 2) {
        snprintf(id, sizeof id, "CAE%d", i);
        s.n = 0;
        cssf_acct_ae_traffic(t, id, 1, 1);
        assert_int_equal(cssf_acct_ae_stop(t, id, 1, 2), 0);
        assert_int_equal(s.recs[0].input_packets, 2);
    }
    assert_int_equal(cssf_acct_ae_open_count(t), 0);
    assert_int_equal(cssf_acct_ae_sync(t, 5000), 0);
    cssf_acct_ae_close(t, 0, 3);
}

static void open_errors(void **state) {
    (void)state;
    seen_t s = {0};
    cssf_acct_ae_config_t c = {"/nonexistent-dir/acct.db", 0, 0, collect, &s};
    cssf_acct_ae_t *t = (cssf_acct_ae_t *)1;
    char err[256];
    assert_int_equal(cssf_acct_ae_open(&c, &t, err, sizeof err), -1);
    assert_null(t);
    assert_non_null(strstr(err, "/nonexistent-dir/acct.db"));
    c.path = NULL;
    assert_int_equal(cssf_acct_ae_open(&c, &t, err, sizeof err), -1);
    cssf_acct_ae_close(NULL, 0, 0);
    cssf_acct_ae_traffic(NULL, "Cx", 1, 1);
    assert_int_equal(cssf_acct_ae_stop(NULL, "Cx", 1, 1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(start_interim_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_keeps_interim_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(reconcile_stops_vanished, setup, teardown),
        cmocka_unit_test_setup_teardown(reregistration_bound_and_stop_all, setup, teardown),
        cmocka_unit_test_setup_teardown(many, setup, teardown),
        cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
