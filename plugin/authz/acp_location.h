/*
 * accessControlLocationRegion (aclr): a circle [lat, lon, radius m] or a
 * list of ISO 3166 country codes, matched against the originator's
 * registered location. Unknown location never matches.
 * Owner: plugin/authz. Pure functions, no allocation.
 */
#ifndef CSSF_AUTHZ_ACP_LOCATION_H
#define CSSF_AUTHZ_ACP_LOCATION_H

#define CSSF_REGION_MAX_CC 32 /* country codes in one region */

enum cssf_region_kind {
    CSSF_REGION_CIRCLE = 1,
    CSSF_REGION_COUNTRY = 2,
};

typedef struct cssf_region {
    int kind;
    double lat, lon, radius_m;      /* CIRCLE */
    char cc[CSSF_REGION_MAX_CC][3]; /* COUNTRY: upper-case alpha-2 codes */
    int ncc;
} cssf_region_t;

/* Where the originator is: lat/lon NaN when unknown, country "" when unknown. */
typedef struct cssf_location {
    double lat, lon;
    char country[3];
} cssf_location_t;

/* Great-circle distance in metres (haversine, mean Earth radius). */
double cssf_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* Fills a CIRCLE region after checking the ranges (lat ±90, lon ±180,
 * radius ≥ 0, all finite). Returns 0 or -1. */
int cssf_region_circle(double lat, double lon, double radius_m, cssf_region_t *out);

/* Adds country code cc (two ASCII letters, any case) to a COUNTRY region.
 * Returns 0, or -1 when cc is malformed or the region is full. */
int cssf_region_add_country(cssf_region_t *r, const char *cc);

/* 1 when loc lies inside r, 0 otherwise (also when loc is unknown). */
int cssf_region_match(const cssf_region_t *r, const cssf_location_t *loc);

#endif
