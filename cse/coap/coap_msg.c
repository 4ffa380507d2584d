#include "cse/coap/coap_msg.h"

#include <stdio.h>
#include <string.h>

void cse_coap_limits_default(cse_coap_limits_t *lim) {
    lim->max_message = CSE_COAP_DEFAULT_MAX_MESSAGE;
    lim->max_options = CSE_COAP_DEFAULT_MAX_OPTIONS;
    lim->max_option_len = CSE_COAP_DEFAULT_MAX_OPTION_LEN;
}

void cse_coap_msg_init(cse_coap_msg_t *msg) {
    memset(msg, 0, sizeof(*msg));
}

/* Reads an option delta or length nibble with its extension bytes (RFC 7252
 * §3.1). Returns the value, or -1 for the reserved nibble 15 or truncation. */
static long read_ext(unsigned nibble, const uint8_t *buf, size_t len, size_t *pos) {
    if (nibble < 13)
        return nibble;
    if (nibble == 13) {
        if (*pos + 1 > len)
            return -1;
        return 13 + buf[(*pos)++];
    }
    if (nibble == 14) {
        if (*pos + 2 > len)
            return -1;
        long v = ((long)buf[*pos] << 8) | buf[*pos + 1];
        *pos += 2;
        return 269 + v;
    }
    return -1;
}

static int parse_options(const uint8_t *buf, size_t len, size_t pos, const cse_coap_limits_t *lim,
                         cse_coap_msg_t *msg) {
    unsigned long num = 0;
    while (pos < len) {
        uint8_t b = buf[pos++];
        if (b == 0xff) {
            /* A marker followed by a zero-length payload is a format error. */
            if (pos == len)
                return CSE_COAP_E_FORMAT;
            msg->payload = buf + pos;
            msg->payload_len = len - pos;
            return CSE_COAP_OK;
        }
        long delta = read_ext(b >> 4, buf, len, &pos);
        long olen = read_ext(b & 0x0f, buf, len, &pos);
        if (delta < 0 || olen < 0)
            return CSE_COAP_E_FORMAT;
        num += (unsigned long)delta;
        if (num > 0xffff || (size_t)olen > len - pos)
            return CSE_COAP_E_FORMAT;
        if ((size_t)olen > lim->max_option_len)
            return CSE_COAP_E_OPTION_LEN;
        if (msg->nopts >= lim->max_options || msg->nopts >= CSE_COAP_MAX_OPTIONS)
            return CSE_COAP_E_OPTIONS;
        cse_coap_option_t *o = &msg->opts[msg->nopts++];
        o->num = (uint16_t)num;
        o->len = (uint16_t)olen;
        o->val = buf + pos;
        pos += (size_t)olen;
    }
    return CSE_COAP_OK;
}

int cse_coap_parse(const uint8_t *buf, size_t len, const cse_coap_limits_t *lim,
                   cse_coap_msg_t *msg) {
    cse_coap_limits_t def;
    if (!lim) {
        cse_coap_limits_default(&def);
        lim = &def;
    }
    cse_coap_msg_init(msg);
    if (!buf || len < 4)
        return CSE_COAP_E_SHORT;
    if ((buf[0] >> 6) != CSE_COAP_VERSION)
        return CSE_COAP_E_VERSION;
    msg->type = (buf[0] >> 4) & 0x03;
    msg->code = buf[1];
    msg->mid = (uint16_t)((buf[2] << 8) | buf[3]);
    unsigned tkl = buf[0] & 0x0f;
    msg->header_ok = 1; /* type and MID are enough for an RST */
    if (tkl > CSE_COAP_MAX_TOKEN || len < 4 + tkl)
        return CSE_COAP_E_FORMAT;
    msg->token_len = (uint8_t)tkl;
    memcpy(msg->token, buf + 4, tkl);
    if (len > lim->max_message)
        return CSE_COAP_E_TOO_BIG;
    int cls = CSE_COAP_CLASS(msg->code);
    if (cls == 1 || cls == 6 || cls == 7) /* reserved classes (RFC 7252 §12.1) */
        return CSE_COAP_E_FORMAT;
    if (msg->code == CSE_COAP_EMPTY && len != 4) /* empty message: header only */
        return CSE_COAP_E_FORMAT;
    return parse_options(buf, len, 4 + tkl, lim, msg);
}

const uint8_t *cse_coap_opt_value(const cse_coap_option_t *opt) {
    return opt->val ? opt->val : opt->inl;
}

/* Writes a delta or length nibble's extension; returns its nibble. */
static unsigned ext_nibble(size_t v) {
    return v < 13 ? (unsigned)v : v < 269 ? 13u : 14u;
}

static int put_ext(size_t v, uint8_t *out, size_t cap, size_t *pos) {
    if (v < 13)
        return 0;
    if (v < 269) {
        if (*pos + 1 > cap)
            return -1;
        out[(*pos)++] = (uint8_t)(v - 13);
        return 0;
    }
    if (*pos + 2 > cap)
        return -1;
    out[(*pos)++] = (uint8_t)((v - 269) >> 8);
    out[(*pos)++] = (uint8_t)(v - 269);
    return 0;
}

long cse_coap_serialize(const cse_coap_msg_t *msg, uint8_t *out, size_t cap) {
    if (msg->token_len > CSE_COAP_MAX_TOKEN || msg->nopts < 0 || msg->nopts > CSE_COAP_MAX_OPTIONS)
        return CSE_COAP_E_FORMAT;
    /* Stable insertion sort of option indices by number. */
    int order[CSE_COAP_MAX_OPTIONS];
    for (int i = 0; i < msg->nopts; i++) {
        int j = i;
        while (j > 0 && msg->opts[order[j - 1]].num > msg->opts[i].num) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t pos = 4 + msg->token_len;
    if (pos > cap)
        return CSE_COAP_E_CAPACITY;
    out[0] = (uint8_t)((CSE_COAP_VERSION << 6) | ((msg->type & 3) << 4) | msg->token_len);
    out[1] = msg->code;
    out[2] = (uint8_t)(msg->mid >> 8);
    out[3] = (uint8_t)msg->mid;
    memcpy(out + 4, msg->token, msg->token_len);
    unsigned prev = 0;
    for (int i = 0; i < msg->nopts; i++) {
        const cse_coap_option_t *o = &msg->opts[order[i]];
        size_t delta = o->num - prev;
        prev = o->num;
        if (pos + 1 > cap)
            return CSE_COAP_E_CAPACITY;
        out[pos++] = (uint8_t)((ext_nibble(delta) << 4) | ext_nibble(o->len));
        if (put_ext(delta, out, cap, &pos) < 0 || put_ext(o->len, out, cap, &pos) < 0)
            return CSE_COAP_E_CAPACITY;
        if (o->len > cap - pos)
            return CSE_COAP_E_CAPACITY;
        if (o->len)
            memcpy(out + pos, cse_coap_opt_value(o), o->len);
        pos += o->len;
    }
    if (msg->payload_len) {
        if (msg->payload_len + 1 > cap - pos)
            return CSE_COAP_E_CAPACITY;
        out[pos++] = 0xff;
        memcpy(out + pos, msg->payload, msg->payload_len);
        pos += msg->payload_len;
    }
    return (long)pos;
}

int cse_coap_msg_add(cse_coap_msg_t *msg, uint16_t num, const void *val, size_t len) {
    if (msg->nopts >= CSE_COAP_MAX_OPTIONS || len > 0xffff)
        return CSE_COAP_E_CAPACITY;
    cse_coap_option_t *o = &msg->opts[msg->nopts++];
    memset(o, 0, sizeof(*o));
    o->num = num;
    o->len = (uint16_t)len;
    o->val = len ? val : NULL;
    return CSE_COAP_OK;
}

int cse_coap_msg_add_uint(cse_coap_msg_t *msg, uint16_t num, uint32_t value) {
    if (msg->nopts >= CSE_COAP_MAX_OPTIONS)
        return CSE_COAP_E_CAPACITY;
    cse_coap_option_t *o = &msg->opts[msg->nopts++];
    memset(o, 0, sizeof(*o));
    o->num = num;
    uint8_t be[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8),
                     (uint8_t)value};
    int skip = 0;
    while (skip < 4 && be[skip] == 0)
        skip++;
    o->len = (uint16_t)(4 - skip);
    memcpy(o->inl, be + skip, o->len);
    return CSE_COAP_OK;
}

int cse_coap_msg_add_str(cse_coap_msg_t *msg, uint16_t num, const char *s) {
    return cse_coap_msg_add(msg, num, s, strlen(s));
}

void cse_coap_msg_remove(cse_coap_msg_t *msg, uint16_t num) {
    int w = 0;
    for (int r = 0; r < msg->nopts; r++)
        if (msg->opts[r].num != num)
            msg->opts[w++] = msg->opts[r];
    msg->nopts = w;
}

const cse_coap_option_t *cse_coap_msg_next(const cse_coap_msg_t *msg, uint16_t num,
                                           const cse_coap_option_t *prev) {
    int i = prev ? (int)(prev - msg->opts) + 1 : 0;
    for (; i < msg->nopts; i++)
        if (msg->opts[i].num == num)
            return &msg->opts[i];
    return NULL;
}

const cse_coap_option_t *cse_coap_msg_find(const cse_coap_msg_t *msg, uint16_t num) {
    return cse_coap_msg_next(msg, num, NULL);
}

int cse_coap_opt_uint(const cse_coap_option_t *opt, uint32_t *value) {
    if (opt->len > 4)
        return -1;
    const uint8_t *v = cse_coap_opt_value(opt);
    uint32_t x = 0;
    for (int i = 0; i < opt->len; i++)
        x = (x << 8) | v[i];
    *value = x;
    return 0;
}

const char *cse_coap_code_str(int code, char *buf, size_t cap) {
    snprintf(buf, cap, "%d.%02d", CSE_COAP_CLASS(code & 0xff), CSE_COAP_DETAIL(code & 0xff));
    return buf;
}
