/*
 * RADIUS wire format (RFC 2865 §3, §5): building a packet attribute by
 * attribute into a fixed buffer and walking the attributes of a received
 * one. Pure functions over caller-owned memory, no crypto, no I/O: every
 * length read from the wire is checked against the buffer before use.
 */
#ifndef CSSF_AAA_RADIUS_PACKET_H
#define CSSF_AAA_RADIUS_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define CSSF_RADIUS_HDR_LEN 20
#define CSSF_RADIUS_AUTH_LEN 16
#define CSSF_RADIUS_MAX_LEN 4096 /* RFC 2865 §3 */
#define CSSF_RADIUS_ATTR_MAX 253 /* value bytes in one attribute */

/* Packet codes. */
enum {
    CSSF_RADIUS_ACCESS_REQUEST = 1,
    CSSF_RADIUS_ACCESS_ACCEPT = 2,
    CSSF_RADIUS_ACCESS_REJECT = 3,
    CSSF_RADIUS_ACCOUNTING_REQUEST = 4,
    CSSF_RADIUS_ACCOUNTING_RESPONSE = 5,
    CSSF_RADIUS_ACCESS_CHALLENGE = 11,
    CSSF_RADIUS_STATUS_SERVER = 12,
};

/* Attribute types used by the client. */
enum {
    CSSF_RADIUS_A_USER_NAME = 1,
    CSSF_RADIUS_A_USER_PASSWORD = 2,
    CSSF_RADIUS_A_NAS_IP_ADDRESS = 4,
    CSSF_RADIUS_A_SERVICE_TYPE = 6,
    CSSF_RADIUS_A_FILTER_ID = 11,
    CSSF_RADIUS_A_REPLY_MESSAGE = 18,
    CSSF_RADIUS_A_CLASS = 25,
    CSSF_RADIUS_A_SESSION_TIMEOUT = 27,
    CSSF_RADIUS_A_CALLING_STATION_ID = 31,
    CSSF_RADIUS_A_NAS_IDENTIFIER = 32,
    CSSF_RADIUS_A_ACCT_STATUS_TYPE = 40,
    CSSF_RADIUS_A_ACCT_DELAY_TIME = 41,
    CSSF_RADIUS_A_ACCT_INPUT_OCTETS = 42,
    CSSF_RADIUS_A_ACCT_OUTPUT_OCTETS = 43,
    CSSF_RADIUS_A_ACCT_SESSION_ID = 44,
    CSSF_RADIUS_A_ACCT_SESSION_TIME = 46,
    CSSF_RADIUS_A_ACCT_INPUT_PACKETS = 47,
    CSSF_RADIUS_A_ACCT_OUTPUT_PACKETS = 48,
    CSSF_RADIUS_A_ACCT_TERMINATE_CAUSE = 49,
    CSSF_RADIUS_A_ACCT_INPUT_GIGAWORDS = 52,
    CSSF_RADIUS_A_ACCT_OUTPUT_GIGAWORDS = 53,
    CSSF_RADIUS_A_TUNNEL_PASSWORD = 69,
    CSSF_RADIUS_A_MESSAGE_AUTHENTICATOR = 80,
    CSSF_RADIUS_A_NAS_IPV6_ADDRESS = 95,
};

/* A packet under construction. The header's Length field always matches
 * len, so the bytes in data[0..len) are a well-formed packet at any time. */
typedef struct cssf_radius_pkt {
    uint8_t data[CSSF_RADIUS_MAX_LEN];
    size_t len;
    size_t ma_off; /* offset of the Message-Authenticator value, 0 if none */
} cssf_radius_pkt_t;

/* Starts a packet: code, identifier and authenticator (NULL = 16 zero
 * bytes, as an Accounting-Request has before signing). */
void cssf_radius_pkt_init(cssf_radius_pkt_t *p, uint8_t code, uint8_t id, const uint8_t *auth);

/* Appends one attribute. Returns 0, or -1 when the value is longer than
 * 253 bytes or the packet would exceed 4096 bytes (p is then unchanged). */
int cssf_radius_pkt_put(cssf_radius_pkt_t *p, uint8_t type, const void *val, size_t len);
int cssf_radius_pkt_put_str(cssf_radius_pkt_t *p, uint8_t type, const char *s);
int cssf_radius_pkt_put_u32(cssf_radius_pkt_t *p, uint8_t type, uint32_t v);

/* Appends a zero Message-Authenticator and remembers where it is, for
 * cssf_radius_pkt_sign (radius_crypto.h). At most one per packet. */
int cssf_radius_pkt_put_ma(cssf_radius_pkt_t *p);

/* A received packet, checked for structure only (not authenticity). */
typedef struct cssf_radius_view {
    uint8_t code;
    uint8_t id;
    const uint8_t *auth;  /* 16 bytes inside the caller's buffer */
    const uint8_t *attrs; /* attribute area inside the caller's buffer */
    size_t attrs_len;
    size_t len; /* value of the Length field; later bytes are padding */
} cssf_radius_view_t;

/*
 * Checks the structure of buf: header present, Length field within
 * [20, 4096] and within len (bytes past it are padding, RFC 2865 §3), every
 * attribute at least 2 bytes long and inside the packet. Fills v (pointing
 * into buf). Returns 0, or -1 with *reason set to a static string.
 */
int cssf_radius_parse(const uint8_t *buf, size_t len, cssf_radius_view_t *v, const char **reason);

/* Iterates attributes of a parsed view: start with *pos = 0. Returns 1
 * with type/val/vlen set (val points into the packet), 0 at the end. */
int cssf_radius_attr_next(const cssf_radius_view_t *v, size_t *pos, uint8_t *type,
                          const uint8_t **val, size_t *vlen);

/* Number of attributes of the given type, and the first one (NULL if none). */
size_t cssf_radius_attr_count(const cssf_radius_view_t *v, uint8_t type);
const uint8_t *cssf_radius_attr_find(const cssf_radius_view_t *v, uint8_t type, size_t *vlen);

/* Human name of a packet code ("Access-Accept"), "unknown" otherwise. */
const char *cssf_radius_code_name(int code);

#endif
