/*
 * Table-driven attribute validation. Every resource type lists its
 * attributes with a value kind and whether CREATE and UPDATE may carry them;
 * the universal/common attributes (rn ri pi ty ct lt et lbl acpi cr st) are
 * added here from the type's flags. Pure functions: no tree access.
 */
#ifndef CSE_RESOURCES_VALIDATOR_H
#define CSE_RESOURCES_VALIDATOR_H

#include <jansson.h>
#include <stddef.h>

#include "cse/resources/rtype.h"

enum cse_attr_kind {
    CSE_AK_STR = 1, /* string */
    CSE_AK_NNINT,   /* integer >= 0 (never a real) */
    CSE_AK_BOOL,    /* true/false */
    CSE_AK_STRLIST, /* array of strings */
    CSE_AK_OBJ,     /* object */
    CSE_AK_TIME,    /* oneM2M timestamp string */
    CSE_AK_ANY,     /* any non-null value */
    CSE_AK_NULL,    /* only null (cr in CREATE) */
};

enum cse_attr_use {
    CSE_AU_NP = 0, /* not permitted in the request (read-only) */
    CSE_AU_O = 1,  /* optional */
    CSE_AU_M = 2,  /* mandatory */
};

typedef struct cse_attr_rule {
    const char *name;
    unsigned char kind, create, update;
} cse_attr_rule_t;

/* The rule for name in type t (common attributes included), or NULL. */
const cse_attr_rule_t *cse_attr_rule_find(const cse_rtype_t *t, const char *name);

/* Checks one value against a rule. Returns 0, or -1 with a reason. */
int cse_attr_check_value(const cse_attr_rule_t *rule, json_t *value, char *err, size_t cap);

/* Validates a CREATE (op = CSE_OP_CREATE) or UPDATE body (the attribute
 * object, without wrapper): unknown attributes, read-only attributes, value
 * kinds, missing mandatory attributes (CREATE), null only for optional
 * attributes (UPDATE: removes them). Returns 0, or 4000 with the attribute
 * named in err. */
int cse_validate_attrs(const cse_rtype_t *t, json_t *body, int op, char *err, size_t cap);

#endif
