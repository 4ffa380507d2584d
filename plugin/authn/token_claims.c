/* Claim checks (see token_claims.h). */
#include "plugin/authn/token_claims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plugin/authz/originator_match.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cssf_m2m_time_parse(const char *s, int64_t *out) {
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) < 15 || s[8] != 'T' || digits(s, 4, &y) || digits(s + 4, 2, &mo) ||
        digits(s + 6, 2, &d) || digits(s + 9, 2, &h) || digits(s + 11, 2, &mi) ||
        digits(s + 13, 2, &sec))
        return -1;
    if (s[15] != '\0') {
        size_t frac = strlen(s + 16);
        int ignored;
        if (s[15] != ',' || frac < 1 || frac > 6 || digits(s + 16, (int)frac, &ignored))
            return -1;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

int cssf_claim_time(const json_t *claims, const char *name, const char *alt, int64_t *out) {
    json_t *v = name ? json_object_get(claims, name) : NULL;
    if (!v && alt)
        v = json_object_get(claims, alt);
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (!isfinite(r) || r < -9.2e18 || r > 9.2e18)
            return -1;
        *out = (int64_t)floor(r);
        return 1;
    }
    if (json_is_string(v))
        return cssf_m2m_time_parse(json_string_value(v), out) == 0 ? 1 : -1;
    return -1;
}

static int aud_entry_matches(const char *entry, const char *const *want, size_t n, int patterns) {
    for (size_t i = 0; i < n; i++) {
        if (!want[i])
            continue;
        if (patterns ? cssf_wildcard_match(entry, want[i]) : strcmp(entry, want[i]) == 0)
            return 1;
    }
    return 0;
}

int cssf_claim_aud_matches(const json_t *aud, const char *const *want, size_t n, int patterns) {
    if (json_is_string(aud))
        return aud_entry_matches(json_string_value(aud), want, n, patterns);
    if (!json_is_array(aud))
        return 0;
    size_t i;
    json_t *e;
    json_array_foreach(aud, i, e) {
        if (json_is_string(e) && aud_entry_matches(json_string_value(e), want, n, patterns))
            return 1;
    }
    return 0;
}

static int fail(char *reason, size_t cap, const char *why) {
    if (reason && cap)
        snprintf(reason, cap, "%s", why);
    return -1;
}

int cssf_claim_times_check(const cssf_claim_times_t *t, int64_t skew, int64_t now, char *reason,
                           size_t cap) {
    if (t->exp != INT64_MAX && now - skew >= t->exp) /* RFC 7519 4.1.4: valid only before exp */
        return fail(reason, cap, "token expired");
    if (t->nbf != INT64_MIN && now + skew < t->nbf)
        return fail(reason, cap, "token not yet valid (nbf)");
    if (t->iat != INT64_MIN && t->iat > now + skew)
        return fail(reason, cap, "token issued in the future (iat)");
    return 0;
}

/* Reads the time claims into *t; the checks against now are
 * cssf_claim_times_check, shared with cached results. */
static int read_times(const json_t *claims, const cssf_claim_rules_t *r, cssf_claim_times_t *t,
                      char *reason, size_t cap) {
    static const cssf_claim_names_t jwt = {"exp", NULL, "nbf", NULL};
    const cssf_claim_names_t *nm = r->names ? r->names : &jwt;
    *t = (cssf_claim_times_t){INT64_MAX, INT64_MIN, INT64_MIN};
    int has = cssf_claim_time(claims, nm->exp, nm->exp_alt, &t->exp);
    if (has < 0)
        return fail(reason, cap, "malformed expiry (exp)");
    if (has == 0 && r->exp_required)
        return fail(reason, cap, "token has no expiry (exp)");
    if (cssf_claim_time(claims, nm->nbf, nm->nbf_alt, &t->nbf) < 0)
        return fail(reason, cap, "malformed not-before (nbf)");
    if (cssf_claim_time(claims, "iat", NULL, &t->iat) < 0)
        return fail(reason, cap, "malformed issue time (iat)");
    return 0;
}

int cssf_claims_check_times(const json_t *claims, const cssf_claim_rules_t *rules, int64_t now,
                            cssf_claim_times_t *times, char *reason, size_t reason_cap) {
    if (!json_is_object(claims) || !rules)
        return fail(reason, reason_cap, "token claims are not an object");
    if (rules->issuer) {
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        if (!iss)
            return fail(reason, reason_cap, "token has no issuer (iss)");
        if (strcmp(iss, rules->issuer) != 0)
            return fail(reason, reason_cap, "wrong issuer");
    }
    if (rules->naudiences) {
        json_t *aud = json_object_get(claims, "aud");
        if (!aud)
            return fail(reason, reason_cap, "token has no audience (aud)");
        if (!cssf_claim_aud_matches(aud, rules->audiences, rules->naudiences, rules->aud_patterns))
            return fail(reason, reason_cap, "wrong audience");
    }
    if (read_times(claims, rules, times, reason, reason_cap) < 0)
        return -1;
    return cssf_claim_times_check(times, rules->skew, now, reason, reason_cap);
}

int cssf_claims_check(const json_t *claims, const cssf_claim_rules_t *rules, int64_t now,
                      int64_t *expires, char *reason, size_t reason_cap) {
    cssf_claim_times_t t;
    if (cssf_claims_check_times(claims, rules, now, &t, reason, reason_cap) < 0)
        return -1;
    if (expires)
        *expires = t.exp;
    return 0;
}

const char *cssf_claim_subject(const json_t *claims) {
    const char *s = json_string_value(json_object_get(claims, "sub"));
    if (s && *s)
        return s;
    s = json_string_value(json_object_get(claims, "client_id"));
    return s && *s ? s : NULL;
}

int cssf_claim_typ_allowed(const char *typ, const char *const *types, size_t n) {
    if (!typ || !*typ)
        return 0;
    if (strncasecmp(typ, "application/", 12) == 0)
        typ += 12;
    for (size_t i = 0; i < n; i++) {
        const char *t = types[i];
        if (strncasecmp(t, "application/", 12) == 0)
            t += 12;
        if (strcasecmp(typ, t) == 0)
            return 1;
    }
    return 0;
}
