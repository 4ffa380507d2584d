/*
 * CoAP message codec (RFC 7252 §3): parse a datagram into a message whose
 * option values and payload point into the datagram, and serialize a
 * message into a caller buffer. Pure functions, no I/O, no allocation.
 *
 * Ownership: a parsed message borrows the input buffer (option values and
 * payload point into it); keep the buffer alive while the message is used.
 * Options added with cse_coap_msg_add() borrow the value pointer until the
 * message is serialized; cse_coap_msg_add_uint() keeps its value inline.
 */
#ifndef CSE_COAP_MSG_H
#define CSE_COAP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define CSE_COAP_VERSION 1
#define CSE_COAP_MAX_TOKEN 8
#define CSE_COAP_MAX_OPTIONS 64           /* hard capacity of a message */
#define CSE_COAP_DEFAULT_MAX_MESSAGE 1152 /* RFC 7252 §4.6 */
#define CSE_COAP_DEFAULT_MAX_OPTIONS 40
#define CSE_COAP_DEFAULT_MAX_OPTION_LEN 1034 /* Proxy-Uri, the longest option */

/* Code = class * 32 + detail. */
#define CSE_COAP_CODE(c, d) (((c) << 5) | (d))
#define CSE_COAP_CLASS(code) ((code) >> 5)
#define CSE_COAP_DETAIL(code) ((code)&0x1f)

enum cse_coap_type { CSE_COAP_CON = 0, CSE_COAP_NON = 1, CSE_COAP_ACK = 2, CSE_COAP_RST = 3 };

enum cse_coap_method {
    CSE_COAP_EMPTY = 0,
    CSE_COAP_GET = 1,
    CSE_COAP_POST = 2,
    CSE_COAP_PUT = 3,
    CSE_COAP_DELETE = 4,
};

/* Option numbers of RFC 7252, 7959, 7641 and 7967. */
enum cse_coap_option_num {
    CSE_COAP_OPT_IF_MATCH = 1,
    CSE_COAP_OPT_URI_HOST = 3,
    CSE_COAP_OPT_ETAG = 4,
    CSE_COAP_OPT_IF_NONE_MATCH = 5,
    CSE_COAP_OPT_OBSERVE = 6,
    CSE_COAP_OPT_URI_PORT = 7,
    CSE_COAP_OPT_LOCATION_PATH = 8,
    CSE_COAP_OPT_URI_PATH = 11,
    CSE_COAP_OPT_CONTENT_FORMAT = 12,
    CSE_COAP_OPT_MAX_AGE = 14,
    CSE_COAP_OPT_URI_QUERY = 15,
    CSE_COAP_OPT_ACCEPT = 17,
    CSE_COAP_OPT_LOCATION_QUERY = 20,
    CSE_COAP_OPT_BLOCK2 = 23,
    CSE_COAP_OPT_BLOCK1 = 27,
    CSE_COAP_OPT_SIZE2 = 28,
    CSE_COAP_OPT_PROXY_URI = 35,
    CSE_COAP_OPT_PROXY_SCHEME = 39,
    CSE_COAP_OPT_SIZE1 = 60,
    CSE_COAP_OPT_NO_RESPONSE = 258,
};

/* Parse results. */
enum cse_coap_status {
    CSE_COAP_OK = 0,
    CSE_COAP_E_SHORT = -1,      /* fewer than 4 bytes or truncated token: drop silently */
    CSE_COAP_E_VERSION = -2,    /* version != 1: drop silently (RFC 7252 §3) */
    CSE_COAP_E_FORMAT = -3,     /* message format error: RST a CON, drop otherwise */
    CSE_COAP_E_TOO_BIG = -4,    /* larger than the configured maximum: 4.13 */
    CSE_COAP_E_OPTIONS = -5,    /* more options than allowed: 4.02 */
    CSE_COAP_E_OPTION_LEN = -6, /* an option value longer than allowed: 4.02 */
    CSE_COAP_E_CAPACITY = -7,   /* serialize: output buffer or option array too small */
};

typedef struct cse_coap_limits {
    size_t max_message; /* whole datagram, header included */
    int max_options;    /* ≤ CSE_COAP_MAX_OPTIONS */
    size_t max_option_len;
} cse_coap_limits_t;

typedef struct cse_coap_option {
    uint16_t num;
    uint16_t len;
    const uint8_t *val; /* borrowed; NULL when the value is inline */
    uint8_t inl[4];     /* value of cse_coap_msg_add_uint */
} cse_coap_option_t;

typedef struct cse_coap_msg {
    uint8_t type; /* enum cse_coap_type */
    uint8_t code;
    uint16_t mid;
    uint8_t token_len;
    uint8_t token[CSE_COAP_MAX_TOKEN];
    int header_ok; /* parse: header and token were readable (type/mid/token valid) */
    int nopts;
    cse_coap_option_t opts[CSE_COAP_MAX_OPTIONS]; /* in wire order (sorted after parse) */
    const uint8_t *payload;                       /* borrowed, NULL when absent */
    size_t payload_len;
} cse_coap_msg_t;

/* The defaults above. */
void cse_coap_limits_default(cse_coap_limits_t *lim);

/* Empties msg (type CON, code 0, no token, no options, no payload). */
void cse_coap_msg_init(cse_coap_msg_t *msg);

/* Parses len bytes of buf under lim (NULL = defaults) into msg. Returns
 * CSE_COAP_OK or a negative enum cse_coap_status. Even on error, when the
 * header and token were readable msg->header_ok is 1 so the caller can answer
 * with RST or 4.13 / 4.02. msg borrows buf. */
int cse_coap_parse(const uint8_t *buf, size_t len, const cse_coap_limits_t *lim,
                   cse_coap_msg_t *msg);

/* Serializes msg into out (cap bytes), options sorted by number (stable, so
 * repeated options keep their order). Returns the length, or
 * CSE_COAP_E_CAPACITY when it does not fit, CSE_COAP_E_FORMAT for a token
 * longer than 8 or an option value longer than 65804 bytes. */
long cse_coap_serialize(const cse_coap_msg_t *msg, uint8_t *out, size_t cap);

/* Appends an option (value borrowed until serialization). Returns 0, or
 * CSE_COAP_E_CAPACITY when the option array is full or len > 65535. */
int cse_coap_msg_add(cse_coap_msg_t *msg, uint16_t num, const void *val, size_t len);
/* Appends a uint option in its shortest form (0 = empty value). */
int cse_coap_msg_add_uint(cse_coap_msg_t *msg, uint16_t num, uint32_t value);
/* Appends a string option (strlen bytes, borrowed). */
int cse_coap_msg_add_str(cse_coap_msg_t *msg, uint16_t num, const char *s);
/* Removes every option num. */
void cse_coap_msg_remove(cse_coap_msg_t *msg, uint16_t num);

/* The value bytes of an option (inline or borrowed). */
const uint8_t *cse_coap_opt_value(const cse_coap_option_t *opt);
/* First option num after prev (NULL = from the start), or NULL. */
const cse_coap_option_t *cse_coap_msg_next(const cse_coap_msg_t *msg, uint16_t num,
                                           const cse_coap_option_t *prev);
/* First option num, or NULL. */
const cse_coap_option_t *cse_coap_msg_find(const cse_coap_msg_t *msg, uint16_t num);
/* Decodes a uint option (0-4 bytes, big endian). Returns 0, or -1 if longer. */
int cse_coap_opt_uint(const cse_coap_option_t *opt, uint32_t *value);

/* RFC 7252 §5.4.1: odd option numbers are critical. */
static inline int cse_coap_option_is_critical(uint16_t num) {
    return num & 1;
}

/* Writes "2.05" style text for code into buf (at least 5 bytes). */
const char *cse_coap_code_str(int code, char *buf, size_t cap);

#endif
