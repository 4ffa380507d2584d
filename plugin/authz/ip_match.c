/* acip address matching (see ip_match.h). */
#include "plugin/authz/ip_match.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define IP_TEXT_MAX 64 /* longer than any address with a prefix length */

int cssf_ip_prefix_parse(const char *text, int family, cssf_ip_prefix_t *out) {
    char buf[IP_TEXT_MAX];
    int max_bits = family == AF_INET ? 32 : 128;
    if (!text || (family != AF_INET && family != AF_INET6))
        return -1;
    size_t len = strnlen(text, sizeof(buf));
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len + 1);
    int bits = max_bits;
    char *slash = strchr(buf, '/');
    if (slash) {
        const char *p = slash + 1;
        *slash = '\0';
        bits = 0;
        if (*p == '\0' || strlen(p) > 3)
            return -1;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            bits = bits * 10 + (*p - '0');
        }
        if (bits > max_bits)
            return -1;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(family, buf, out->addr) != 1)
        return -1;
    out->family = family;
    out->bits = bits;
    return 0;
}

int cssf_ip_peer_from_sockaddr(const struct sockaddr_storage *ss, socklen_t len,
                               cssf_ip_peer_t *peer) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(peer, 0, sizeof(*peer));
    if (!ss)
        return -1;
    if (ss->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        memcpy(peer->v4, &in->sin_addr, 4);
        memcpy(peer->v6, mapped, 12);
        memcpy(peer->v6 + 12, peer->v4, 4);
        peer->has_v4 = peer->has_v6 = 1;
        return 0;
    }
    if (ss->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        memcpy(peer->v6, &in6->sin6_addr, 16);
        peer->has_v6 = 1;
        if (memcmp(peer->v6, mapped, 12) == 0) { /* dual-stack socket, IPv4 client */
            memcpy(peer->v4, peer->v6 + 12, 4);
            peer->has_v4 = 1;
        }
        return 0;
    }
    return -1;
}

static int prefix_equal(const uint8_t *a, const uint8_t *b, int bits) {
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int cssf_ip_prefix_match(const cssf_ip_prefix_t *prefix, const cssf_ip_peer_t *peer) {
    if (prefix->family == AF_INET)
        return peer->has_v4 && prefix_equal(prefix->addr, peer->v4, prefix->bits);
    if (prefix->family == AF_INET6)
        return peer->has_v6 && prefix_equal(prefix->addr, peer->v6, prefix->bits);
    return 0;
}
