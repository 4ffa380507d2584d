/* oneM2M response status codes and their HTTP / CoAP mappings. */
#ifndef CSE_CORE_RSC_H
#define CSE_CORE_RSC_H

enum cse_rsc {
    CSE_RSC_OK = 2000,
    CSE_RSC_CREATED = 2001,
    CSE_RSC_DELETED = 2002,
    CSE_RSC_UPDATED = 2004,
    CSE_RSC_BAD_REQUEST = 4000,
    CSE_RSC_NOT_FOUND = 4004,
    CSE_RSC_OPERATION_NOT_ALLOWED = 4005,
    CSE_RSC_REQUEST_TIMEOUT = 4008,
    CSE_RSC_UNSUPPORTED_MEDIA_TYPE = 4015,
    CSE_RSC_ORIGINATOR_HAS_NO_PRIVILEGE = 4103,
    CSE_RSC_CONFLICT = 4105,
    CSE_RSC_ORIGINATOR_NOT_AUTHENTICATED = 4106,
    CSE_RSC_SECURITY_ASSOCIATION_REQUIRED = 4107,
    CSE_RSC_INVALID_CHILD_RESOURCE_TYPE = 4108,
    CSE_RSC_ALREADY_EXISTS_ = 4105, /* alias kept for readability */
    CSE_RSC_NOT_ACCEPTABLE = 5207,
    CSE_RSC_IMPERSONATION_ERROR = 4116,
    CSE_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED = 4117,
    CSE_RSC_APP_RULE_VALIDATION_FAILED = 4126,
    CSE_RSC_INTERNAL_SERVER_ERROR = 5000,
    CSE_RSC_NOT_IMPLEMENTED = 5001,
    CSE_RSC_TARGET_NOT_REACHABLE = 5103,
    CSE_RSC_ALREADY_EXISTS = 5106,
    CSE_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED = 6010,
};

/* HTTP status for an rsc (TS-0009 Table 6.3.2-1); 500 for unknown codes. */
int cse_rsc_to_http(int rsc);
/* CoAP response code (class*32+detail) for an rsc and operation (TS-0008). */
int cse_rsc_to_coap(int rsc, int op);
/* Short name, e.g. "BAD_REQUEST"; "UNKNOWN" for unknown codes. */
const char *cse_rsc_name(int rsc);

#endif
