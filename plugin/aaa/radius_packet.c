/* RADIUS wire format: packet builder and bounded attribute walker. */
#include "plugin/aaa/radius_packet.h"

#include <string.h>

static void set_length(cssf_radius_pkt_t *p) {
    p->data[2] = (uint8_t)(p->len >> 8);
    p->data[3] = (uint8_t)(p->len & 0xff);
}

void cssf_radius_pkt_init(cssf_radius_pkt_t *p, uint8_t code, uint8_t id, const uint8_t *auth) {
    memset(p->data, 0, CSSF_RADIUS_HDR_LEN);
    p->data[0] = code;
    p->data[1] = id;
    if (auth)
        memcpy(p->data + 4, auth, CSSF_RADIUS_AUTH_LEN);
    p->len = CSSF_RADIUS_HDR_LEN;
    p->ma_off = 0;
    set_length(p);
}

int cssf_radius_pkt_put(cssf_radius_pkt_t *p, uint8_t type, const void *val, size_t len) {
    if (len > CSSF_RADIUS_ATTR_MAX || p->len + 2 + len > CSSF_RADIUS_MAX_LEN)
        return -1;
    p->data[p->len] = type;
    p->data[p->len + 1] = (uint8_t)(len + 2);
    if (len)
        memcpy(p->data + p->len + 2, val, len);
    p->len += 2 + len;
    set_length(p);
    return 0;
}

int cssf_radius_pkt_put_str(cssf_radius_pkt_t *p, uint8_t type, const char *s) {
    size_t n = strlen(s);
    /* RFC 2865 §5: text and string attributes are never empty. */
    if (n == 0)
        return -1;
    return cssf_radius_pkt_put(p, type, s, n);
}

int cssf_radius_pkt_put_u32(cssf_radius_pkt_t *p, uint8_t type, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return cssf_radius_pkt_put(p, type, b, sizeof b);
}

int cssf_radius_pkt_put_ma(cssf_radius_pkt_t *p) {
    static const uint8_t zero[CSSF_RADIUS_AUTH_LEN];
    if (p->ma_off)
        return -1;
    if (cssf_radius_pkt_put(p, CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR, zero, sizeof zero) < 0)
        return -1;
    p->ma_off = p->len - CSSF_RADIUS_AUTH_LEN;
    return 0;
}

int cssf_radius_parse(const uint8_t *buf, size_t len, cssf_radius_view_t *v, const char **reason) {
    if (len < CSSF_RADIUS_HDR_LEN) {
        *reason = "packet shorter than the RADIUS header";
        return -1;
    }
    size_t plen = ((size_t)buf[2] << 8) | buf[3];
    if (plen < CSSF_RADIUS_HDR_LEN || plen > CSSF_RADIUS_MAX_LEN) {
        *reason = "Length field out of range";
        return -1;
    }
    if (plen > len) {
        *reason = "packet shorter than its Length field";
        return -1;
    }
    for (size_t off = CSSF_RADIUS_HDR_LEN; off < plen;) {
        if (plen - off < 2 || buf[off + 1] < 2 || buf[off + 1] > plen - off) {
            *reason = "malformed attribute";
            return -1;
        }
        off += buf[off + 1];
    }
    v->code = buf[0];
    v->id = buf[1];
    v->auth = buf + 4;
    v->attrs = buf + CSSF_RADIUS_HDR_LEN;
    v->attrs_len = plen - CSSF_RADIUS_HDR_LEN;
    v->len = plen;
    return 0;
}

int cssf_radius_attr_next(const cssf_radius_view_t *v, size_t *pos, uint8_t *type,
                          const uint8_t **val, size_t *vlen) {
    /* The view was validated by cssf_radius_parse; re-check anyway so a
     * hand-built view can never make this read out of bounds. */
    if (*pos + 2 > v->attrs_len)
        return 0;
    size_t alen = v->attrs[*pos + 1];
    if (alen < 2 || alen > v->attrs_len - *pos)
        return 0;
    *type = v->attrs[*pos];
    *val = v->attrs + *pos + 2;
    *vlen = alen - 2;
    *pos += alen;
    return 1;
}

size_t cssf_radius_attr_count(const cssf_radius_view_t *v, uint8_t type) {
    size_t pos = 0, n = 0, vlen;
    uint8_t t;
    const uint8_t *val;
    while (cssf_radius_attr_next(v, &pos, &t, &val, &vlen))
        n += t == type;
    return n;
}

const uint8_t *cssf_radius_attr_find(const cssf_radius_view_t *v, uint8_t type, size_t *vlen) {
    size_t pos = 0;
    uint8_t t;
    const uint8_t *val;
    while (cssf_radius_attr_next(v, &pos, &t, &val, vlen))
        if (t == type)
            return val;
    return NULL;
}

const char *cssf_radius_code_name(int code) {
    switch (code) {
    case CSSF_RADIUS_ACCESS_REQUEST:
        return "Access-Request";
    case CSSF_RADIUS_ACCESS_ACCEPT:
        return "Access-Accept";
    case CSSF_RADIUS_ACCESS_REJECT:
        return "Access-Reject";
    case CSSF_RADIUS_ACCOUNTING_REQUEST:
        return "Accounting-Request";
    case CSSF_RADIUS_ACCOUNTING_RESPONSE:
        return "Accounting-Response";
    case CSSF_RADIUS_ACCESS_CHALLENGE:
        return "Access-Challenge";
    case CSSF_RADIUS_STATUS_SERVER:
        return "Status-Server";
    default:
        return "unknown";
    }
}
