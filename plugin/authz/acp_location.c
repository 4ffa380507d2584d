/* aclr region matching (see acp_location.h). */
#include "plugin/authz/acp_location.h"

#include <math.h>
#include <string.h>

#define EARTH_RADIUS_M 6371008.8 /* IUGG mean radius */
#define DEG_TO_RAD (M_PI / 180.0)

double cssf_geo_distance_m(double lat1, double lon1, double lat2, double lon2) {
    double dlat = (lat2 - lat1) * DEG_TO_RAD, dlon = (lon2 - lon1) * DEG_TO_RAD;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * DEG_TO_RAD) * cos(lat2 * DEG_TO_RAD) * sin(dlon / 2) * sin(dlon / 2);
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(fmin(a, 1.0))); /* rounding near antipodes */
}

int cssf_region_circle(double lat, double lon, double radius_m, cssf_region_t *out) {
    if (!isfinite(lat) || !isfinite(lon) || !isfinite(radius_m) || lat < -90 || lat > 90 ||
        lon < -180 || lon > 180 || radius_m < 0)
        return -1;
    memset(out, 0, sizeof(*out));
    out->kind = CSSF_REGION_CIRCLE;
    out->lat = lat;
    out->lon = lon;
    out->radius_m = radius_m;
    return 0;
}

static int ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char upper(char c) {
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

int cssf_region_add_country(cssf_region_t *r, const char *cc) {
    if (!cc || !ascii_alpha(cc[0]) || !ascii_alpha(cc[1]) || cc[2] != '\0' ||
        r->ncc >= CSSF_REGION_MAX_CC)
        return -1;
    r->kind = CSSF_REGION_COUNTRY;
    r->cc[r->ncc][0] = upper(cc[0]);
    r->cc[r->ncc][1] = upper(cc[1]);
    r->cc[r->ncc][2] = '\0';
    r->ncc++;
    return 0;
}

int cssf_region_match(const cssf_region_t *r, const cssf_location_t *loc) {
    if (r->kind == CSSF_REGION_CIRCLE) {
        if (isnan(loc->lat) || isnan(loc->lon))
            return 0;
        return cssf_geo_distance_m(r->lat, r->lon, loc->lat, loc->lon) <= r->radius_m;
    }
    if (r->kind == CSSF_REGION_COUNTRY && loc->country[0]) {
        char want[2] = {upper(loc->country[0]), upper(loc->country[1])};
        for (int i = 0; i < r->ncc; i++)
            if (r->cc[i][0] == want[0] && r->cc[i][1] == want[1])
                return 1;
    }
    return 0;
}
