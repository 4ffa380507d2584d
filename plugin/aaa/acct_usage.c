/* Accounting usage counters (see acct_usage.h). */
#include "plugin/aaa/acct_usage.h"

void cssf_acct_usage_add(cssf_acct_usage_t *u, uint64_t bytes_in, uint64_t bytes_out) {
    u->in_octets += bytes_in;
    u->out_octets += bytes_out;
    u->in_packets++;
    u->out_packets++;
}

void cssf_acct_usage_fill(cssf_radius_acct_t *r, int type, const cssf_acct_usage_t *u,
                          uint64_t secs, uint32_t cause) {
    if (type == CSSF_RADIUS_ACCT_START)
        return;
    r->session_time = secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs;
    r->input_octets = u->in_octets;
    r->output_octets = u->out_octets;
    r->input_packets = u->in_packets;
    r->output_packets = u->out_packets;
    r->terminate_cause = type == CSSF_RADIUS_ACCT_STOP ? cause : 0;
}
