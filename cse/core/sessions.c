#include "cse/core/sessions.h"

#include <pthread.h>

#include "cse/host.h"

/* Bindings come and go only at start-up and shutdown; a mutex held while
 * calling the (non-blocking) closers keeps removal race-free. */
static struct {
    cse_session_closer_fn fn;
    void *arg;
} closers[CSE_SESSIONS_MAX_CLOSERS];
static int nclosers;
static pthread_mutex_t closers_lock = PTHREAD_MUTEX_INITIALIZER;

int cse_sessions_add_closer(cse_session_closer_fn fn, void *arg) {
    int rc = -1;
    pthread_mutex_lock(&closers_lock);
    if (fn && nclosers < CSE_SESSIONS_MAX_CLOSERS) {
        closers[nclosers].fn = fn;
        closers[nclosers].arg = arg;
        nclosers++;
        rc = 0;
    }
    pthread_mutex_unlock(&closers_lock);
    return rc;
}

void cse_sessions_remove_closer(cse_session_closer_fn fn, void *arg) {
    pthread_mutex_lock(&closers_lock);
    for (int i = 0; i < nclosers; i++) {
        if (closers[i].fn == fn && closers[i].arg == arg) {
            closers[i] = closers[--nclosers];
            break;
        }
    }
    pthread_mutex_unlock(&closers_lock);
}

void cse_sessions_close(const char *identity) {
    if (!identity || !*identity)
        return;
    pthread_mutex_lock(&closers_lock);
    for (int i = 0; i < nclosers; i++)
        closers[i].fn(closers[i].arg, identity);
    pthread_mutex_unlock(&closers_lock);
    cse_log(CSE_LOG_INFO, "sessions: close requested identity=\"%.64s\"", identity);
}
