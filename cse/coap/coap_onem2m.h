/*
 * The oneM2M CoAP binding (TS-0008) at the message level: which options a
 * request may carry, how a CoAP request becomes a cse_request_t, and which
 * options a response carries. No I/O: the endpoint (coap_endpoint.h) calls
 * these around the pipeline.
 */
#ifndef CSE_COAP_ONEM2M_H
#define CSE_COAP_ONEM2M_H

#include <stddef.h>

#include "cse/coap/coap_msg.h"
#include "cse/core/request.h"

/* oneM2M option numbers (TS-0008 Table 6.2.2.4-1, later releases appended). */
enum cse_coap_onem2m_option {
    CSE_COAP_OPT_M2M_OT = 259,
    CSE_COAP_OPT_M2M_RTURI = 263,
    CSE_COAP_OPT_M2M_TY = 267,
    CSE_COAP_OPT_M2M_RVI = 271,
    CSE_COAP_OPT_M2M_ASRI = 275,
    CSE_COAP_OPT_M2M_FR = 279,
    CSE_COAP_OPT_M2M_RQI = 283,
    CSE_COAP_OPT_M2M_RQET = 291,
    CSE_COAP_OPT_M2M_RSET = 295,
    CSE_COAP_OPT_M2M_OET = 299,
    CSE_COAP_OPT_M2M_EC = 303,
    CSE_COAP_OPT_M2M_RSC = 307,
    CSE_COAP_OPT_M2M_GID = 311,
    CSE_COAP_OPT_M2M_CTO = 319,
    CSE_COAP_OPT_M2M_CTS = 323,
    CSE_COAP_OPT_M2M_ATI = 327,
    CSE_COAP_OPT_M2M_VSI = 331,
    CSE_COAP_OPT_M2M_GTM = 335,
    CSE_COAP_OPT_M2M_AUS = 339,
    CSE_COAP_OPT_M2M_OMR = 343,
    CSE_COAP_OPT_M2M_PRPI = 347,
    CSE_COAP_OPT_M2M_MSU = 351,
};

/* Content-Formats (TS-0008 Table 6.2.2.2-1). */
enum cse_coap_content_format {
    CSE_COAP_CF_JSON = 50,
    CSE_COAP_CF_CBOR = 60,
    CSE_COAP_CF_M2M_RES_JSON = 10001,
    CSE_COAP_CF_M2M_NTFY_JSON = 10003,
    CSE_COAP_CF_M2M_PREQ_JSON = 10007,
    CSE_COAP_CF_M2M_PRSP_JSON = 10009,
};

/* Returns the number of the first critical option of msg this binding does
 * not implement (so the request gets 4.02 Bad Option), or 0 if none.
 * Proxy-Uri and Proxy-Scheme are reported too (the caller answers 5.05). */
int cse_coap_onem2m_unknown_critical(const cse_coap_msg_t *msg);

/*
 * Fills req from the request msg; req->sec is the binding's security context
 * on entry and is kept. The options are handed to the TS-0009 translation
 * (cse/http/http_request.h) as the headers and query they stand for, so
 * both bindings follow one set of rules: FR → from, RQI (mandatory) → rqi,
 * RVI (2a, 3, 4, 5) → rvi, POST with TY → CREATE else NOTIFY, Uri-Query →
 * query parameters (same ranges and errors as HTTP), tkns → onem2m_tokens
 * (copied into tokens_buf, tokens_cap bytes, owned by the caller). `to` is
 * "/" + the Uri-Path segments joined by '/', the same addressing forms as an
 * HTTP path ("/cse-in/ae1", "/~/id-in/...", "/_/sp/id-in/..."); segments
 * with '/', "." or ".." are refused. The payload becomes the body (the caller
 * may replace it with a reassembled one). Content-Format must be 50, 10001
 * or 10003, Accept must name one of them.
 * Returns 0, or an rsc (4000, 4015, 4005, 5207) with a short reason in err;
 * release req with cse_request_clear() either way.
 */
int cse_coap_onem2m_to_request(const cse_coap_msg_t *msg, cse_request_t *req, char *tokens_buf,
                               size_t tokens_cap, char *err, size_t err_cap);

/* Content-Format for a response to msg: the Accept option when it names a
 * JSON format, else the request's Content-Format when JSON, else json (50). */
int cse_coap_onem2m_response_format(const cse_coap_msg_t *msg);

/*
 * Adds the oneM2M response options to out: oneM2M-RSC (always), RQI and RVI
 * echoed when non-empty, Content-Format cf when has_payload, and one
 * Location-Path per segment of location (non-empty). String values are
 * borrowed from the arguments until out is serialized. Returns 0 or
 * CSE_COAP_E_CAPACITY.
 */
int cse_coap_onem2m_response_options(cse_coap_msg_t *out, int rsc, const char *rqi, const char *rvi,
                                     int cf, int has_payload, const char *location);

#endif
