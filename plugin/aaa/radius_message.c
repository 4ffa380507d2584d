/* RADIUS requests built from their fields; answers decoded into a reply. */
#include "plugin/aaa/radius_message.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "plugin/aaa/radius_crypto.h"

int cssf_radius_nas_set_ip(cssf_radius_nas_t *nas, const char *literal) {
    if (inet_pton(AF_INET, literal, nas->ip) == 1) {
        nas->ip_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, literal, nas->ip) == 1) {
        nas->ip_family = AF_INET6;
        return 0;
    }
    return -1;
}

static int put_nas(cssf_radius_pkt_t *p, const cssf_radius_nas_t *nas) {
    int rc = 0;
    if (nas->identifier)
        rc |= cssf_radius_pkt_put_str(p, CSSF_RADIUS_A_NAS_IDENTIFIER, nas->identifier);
    if (nas->ip_family == AF_INET)
        rc |= cssf_radius_pkt_put(p, CSSF_RADIUS_A_NAS_IP_ADDRESS, nas->ip, 4);
    else if (nas->ip_family == AF_INET6)
        rc |= cssf_radius_pkt_put(p, CSSF_RADIUS_A_NAS_IPV6_ADDRESS, nas->ip, 16);
    else if (!nas->identifier)
        rc = -1;
    return rc;
}

/* Optional string attribute: absent when s is NULL. */
static int put_opt_str(cssf_radius_pkt_t *p, uint8_t type, const char *s) {
    return s ? cssf_radius_pkt_put_str(p, type, s) : 0;
}

int cssf_radius_msg_access_request(cssf_radius_pkt_t *p, uint8_t id, const uint8_t auth[16],
                                   const cssf_radius_nas_t *nas, const char *user,
                                   const uint8_t *pw, size_t pwlen, const char *calling_station_id,
                                   const uint8_t *secret, size_t slen) {
    if (!user || (!pw && pwlen))
        return -1;
    cssf_radius_pkt_init(p, CSSF_RADIUS_ACCESS_REQUEST, id, auth);
    /* Message-Authenticator first: a BlastRADIUS collision needs attacker
     * bytes before it, and servers that check it early find it at once. */
    if (cssf_radius_pkt_put_ma(p) < 0 ||
        cssf_radius_pkt_put_str(p, CSSF_RADIUS_A_USER_NAME, user) < 0 ||
        cssf_radius_hide_password(p, pw, pwlen, secret, slen) < 0 || put_nas(p, nas) < 0 ||
        put_opt_str(p, CSSF_RADIUS_A_CALLING_STATION_ID, calling_station_id) < 0)
        return -1;
    return cssf_radius_pkt_sign(p, secret, slen);
}

/* A 64-bit counter as the 32-bit attribute plus its Gigawords (RFC 2869 §5.1). */
static int put_counter64(cssf_radius_pkt_t *p, uint8_t type, uint8_t giga_type, uint64_t v) {
    int rc = cssf_radius_pkt_put_u32(p, type, (uint32_t)v);
    if (v >> 32)
        rc |= cssf_radius_pkt_put_u32(p, giga_type, (uint32_t)(v >> 32));
    return rc;
}

int cssf_radius_msg_accounting_request(cssf_radius_pkt_t *p, uint8_t id,
                                       const cssf_radius_nas_t *nas, const cssf_radius_acct_t *rec,
                                       const uint8_t *secret, size_t slen) {
    int st = rec->status_type;
    if ((st != CSSF_RADIUS_ACCT_START && st != CSSF_RADIUS_ACCT_STOP &&
         st != CSSF_RADIUS_ACCT_INTERIM) ||
        !rec->session_id || rec->class_len > CSSF_RADIUS_ATTR_MAX)
        return -1;
    cssf_radius_pkt_init(p, CSSF_RADIUS_ACCOUNTING_REQUEST, id, NULL);
    int rc = cssf_radius_pkt_put_ma(p);
    rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_STATUS_TYPE, (uint32_t)st);
    rc |= cssf_radius_pkt_put_str(p, CSSF_RADIUS_A_ACCT_SESSION_ID, rec->session_id);
    rc |= put_opt_str(p, CSSF_RADIUS_A_USER_NAME, rec->user_name);
    rc |= put_nas(p, nas);
    rc |= put_opt_str(p, CSSF_RADIUS_A_CALLING_STATION_ID, rec->calling_station_id);
    if (rec->class_len)
        rc |= cssf_radius_pkt_put(p, CSSF_RADIUS_A_CLASS, rec->class_attr, rec->class_len);
    if (rec->delay_time)
        rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_DELAY_TIME, rec->delay_time);
    if (st != CSSF_RADIUS_ACCT_START) {
        rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_SESSION_TIME, rec->session_time);
        rc |= put_counter64(p, CSSF_RADIUS_A_ACCT_INPUT_OCTETS, CSSF_RADIUS_A_ACCT_INPUT_GIGAWORDS,
                            rec->input_octets);
        rc |= put_counter64(p, CSSF_RADIUS_A_ACCT_OUTPUT_OCTETS,
                            CSSF_RADIUS_A_ACCT_OUTPUT_GIGAWORDS, rec->output_octets);
        rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_INPUT_PACKETS, rec->input_packets);
        rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_OUTPUT_PACKETS, rec->output_packets);
    }
    if (st == CSSF_RADIUS_ACCT_STOP && rec->terminate_cause)
        rc |= cssf_radius_pkt_put_u32(p, CSSF_RADIUS_A_ACCT_TERMINATE_CAUSE, rec->terminate_cause);
    if (rc != 0)
        return -1;
    return cssf_radius_pkt_sign(p, secret, slen);
}

int cssf_radius_msg_status_server(cssf_radius_pkt_t *p, uint8_t id, const uint8_t auth[16],
                                  const cssf_radius_nas_t *nas, const uint8_t *secret,
                                  size_t slen) {
    cssf_radius_pkt_init(p, CSSF_RADIUS_STATUS_SERVER, id, auth);
    if (cssf_radius_pkt_put_ma(p) < 0 || put_nas(p, nas) < 0)
        return -1;
    return cssf_radius_pkt_sign(p, secret, slen);
}

/* Copies a text attribute for logs and callers: NUL-terminated, control
 * bytes replaced, so a server cannot inject lines into a log. */
static void copy_text(char *dst, size_t cap, const uint8_t *val, size_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (val[i] < 0x20 || val[i] == 0x7f) ? '?' : (char)val[i];
    dst[n] = '\0';
}

int cssf_radius_msg_decode_reply(const cssf_radius_view_t *v, const uint8_t *req_auth,
                                 const uint8_t *secret, size_t slen, cssf_radius_reply_t *r,
                                 const char **reason) {
    size_t pos = 0, vlen;
    uint8_t type;
    const uint8_t *val;
    r->code = v->code;
    while (cssf_radius_attr_next(v, &pos, &type, &val, &vlen)) {
        switch (type) {
        case CSSF_RADIUS_A_REPLY_MESSAGE:
            if (!r->reply_message[0])
                copy_text(r->reply_message, sizeof r->reply_message, val, vlen);
            break;
        case CSSF_RADIUS_A_FILTER_ID:
            if (!r->filter_id[0])
                copy_text(r->filter_id, sizeof r->filter_id, val, vlen);
            break;
        case CSSF_RADIUS_A_SESSION_TIMEOUT:
            if (vlen != 4) {
                *reason = "Session-Timeout has a wrong length";
                return -1;
            }
            r->session_timeout =
                (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 | (uint32_t)val[2] << 8 | val[3];
            break;
        case CSSF_RADIUS_A_CLASS:
            if (!r->class_len) {
                memcpy(r->class_attr, val, vlen);
                r->class_len = vlen;
            }
            break;
        case CSSF_RADIUS_A_TUNNEL_PASSWORD:
            if (r->has_tunnel_password)
                break;
            if (cssf_radius_tunnel_password_decrypt(val, vlen, req_auth, secret, slen,
                                                    r->tunnel_password, sizeof r->tunnel_password,
                                                    &r->tunnel_password_len, &r->tunnel_tag,
                                                    reason) != 0)
                return -1;
            r->has_tunnel_password = 1;
            break;
        default:
            break;
        }
    }
    return 0;
}
