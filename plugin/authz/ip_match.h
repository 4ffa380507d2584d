/*
 * accessControlIpAddresses (acip): IPv4 CIDR blocks and IPv6 prefixes
 * matched against the request's real source address.
 * Owner: plugin/authz. Pure functions, no allocation.
 */
#ifndef CSSF_AUTHZ_IP_MATCH_H
#define CSSF_AUTHZ_IP_MATCH_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct cssf_ip_prefix {
    int family;       /* AF_INET or AF_INET6 */
    int bits;         /* prefix length */
    uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
} cssf_ip_prefix_t;

/* A peer address in both forms: an IPv4 peer (plain or v4-mapped IPv6) has
 * has_v4 and its mapped v6 form; a native IPv6 peer has only has_v6. */
typedef struct cssf_ip_peer {
    int has_v4, has_v6;
    uint8_t v4[4];
    uint8_t v6[16];
} cssf_ip_peer_t;

/* Parses "a.b.c.d[/n]" (family AF_INET) or "x:y::z[/n]" (AF_INET6); a
 * missing length means a single host. Host bits beyond the prefix are
 * ignored. Returns 0, or -1 when text is not of that family or malformed. */
int cssf_ip_prefix_parse(const char *text, int family, cssf_ip_prefix_t *out);

/* Fills peer from a socket address. Returns 0, or -1 when the address is
 * neither IPv4 nor IPv6 or len is too short (peer then matches nothing). */
int cssf_ip_peer_from_sockaddr(const struct sockaddr_storage *ss, socklen_t len,
                               cssf_ip_peer_t *peer);

/* 1 when peer lies inside prefix, else 0. */
int cssf_ip_prefix_match(const cssf_ip_prefix_t *prefix, const cssf_ip_peer_t *peer);

#endif
