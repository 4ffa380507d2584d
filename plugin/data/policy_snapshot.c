/* The current policy snapshot (see policy_snapshot.h for the argument). */
#include "plugin/data/policy_snapshot.h"

#include <sched.h>

void cssf_policy_holder_init(cssf_policy_holder_t *h, cssf_policy_t *pol) {
    atomic_init(&h->current, pol);
    atomic_init(&h->epoch, 0);
    atomic_init(&h->active[0], 0);
    atomic_init(&h->active[1], 0);
}

cssf_policy_t *cssf_policy_holder_acquire(cssf_policy_holder_t *h) {
    for (;;) {
        unsigned e = atomic_load(&h->epoch);
        atomic_fetch_add(&h->active[e & 1], 1);
        if (atomic_load(&h->epoch) == e) {
            cssf_policy_t *pol = atomic_load(&h->current);
            if (pol)
                cssf_policy_retain(pol);
            atomic_fetch_sub(&h->active[e & 1], 1);
            return pol;
        }
        atomic_fetch_sub(&h->active[e & 1], 1);
    }
}

void cssf_policy_holder_publish(cssf_policy_holder_t *h, cssf_policy_t *pol) {
    cssf_policy_t *old = atomic_exchange(&h->current, pol);
    unsigned e = atomic_fetch_add(&h->epoch, 1);
    /* The window a reader spends in a slot is a few instructions. */
    while (atomic_load(&h->active[e & 1]) != 0)
        sched_yield();
    cssf_policy_release(old);
}

void cssf_policy_holder_destroy(cssf_policy_holder_t *h) {
    cssf_policy_release(atomic_exchange(&h->current, NULL));
}
