/* The HTTP offload pool: every submitted job runs exactly once, on a pool
 * thread, also when more jobs than threads arrive at once; drain runs what
 * is queued, and submit refuses once draining has begun. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "cse/http/http_offload.h"

#define JOBS 400
#define SUBMITTERS 4

typedef struct job {
    cse_http_job_t job;
    atomic_int runs;
    pthread_t ran_on;
} job_t;

static job_t jobs[JOBS];
static cse_http_offload_t *pool;
static pthread_t main_thread;
static atomic_int on_main;

static void run(cse_http_job_t *j) {
    job_t *job = (job_t *)j;
    job->ran_on = pthread_self();
    if (pthread_equal(job->ran_on, main_thread))
        atomic_fetch_add(&on_main, 1);
    if ((job - jobs) % 50 == 0)
        usleep(2000); /* a slow one: the others queue behind busy threads */
    atomic_fetch_add(&job->runs, 1);
}

static void *submitter(void *arg) {
    long k = (long)arg;
    for (long i = k; i < JOBS; i += SUBMITTERS) {
        jobs[i].job.run = run;
        if (cse_http_offload_submit(pool, &jobs[i].job) != 0)
            run(&jobs[i].job);
    }
    return NULL;
}

static void test_every_job_runs_once(void **state) {
    (void)state;
    main_thread = pthread_self();
    pool = cse_http_offload_start(3);
    assert_non_null(pool);
    pthread_t t[SUBMITTERS];
    for (long i = 0; i < SUBMITTERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, submitter, (void *)i), 0);
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(t[i], NULL);
    cse_http_offload_drain(pool); /* runs whatever is still queued */
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(atomic_load(&jobs[i].runs), 1);
    assert_int_equal(atomic_load(&on_main), 0);
    job_t late = {.job.run = run};
    assert_int_equal(cse_http_offload_submit(pool, &late.job), -1);
    assert_int_equal(atomic_load(&late.runs), 0);
    cse_http_offload_free(pool);
}

static void test_idle_pool_stops(void **state) {
    (void)state;
    cse_http_offload_t *p = cse_http_offload_start(0); /* one thread at least */
    assert_non_null(p);
    cse_http_offload_free(p); /* joins idle threads without a job */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_job_runs_once),
        cmocka_unit_test(test_idle_pool_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
