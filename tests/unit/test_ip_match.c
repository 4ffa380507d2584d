/* acip address matching: table tests for plugin/authz/ip_match.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "plugin/authz/ip_match.h"

/* A peer from its text form ("1.2.3.4" or an IPv6 address). */
static cssf_ip_peer_t peer_of(const char *text) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
        len = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
        len = sizeof(*in);
    }
    cssf_ip_peer_t p;
    assert_int_equal(cssf_ip_peer_from_sockaddr(&ss, len, &p), 0);
    return p;
}

static const struct {
    const char *prefix;
    int family;
    const char *peer;
    int want;
} cases[] = {
    {"10.0.0.0/8", AF_INET, "10.1.2.3", 1},
    {"10.0.0.0/8", AF_INET, "11.1.2.3", 0},
    {"192.168.1.7", AF_INET, "192.168.1.7", 1}, /* no length: one host */
    {"192.168.1.7", AF_INET, "192.168.1.8", 0},
    {"192.168.1.7/32", AF_INET, "192.168.1.7", 1},
    {"0.0.0.0/0", AF_INET, "203.0.113.9", 1},
    {"0.0.0.0/0", AF_INET, "2001:db8::1", 0}, /* an IPv6 peer is not IPv4 */
    {"172.16.0.0/12", AF_INET, "172.31.255.255", 1},
    {"172.16.0.0/12", AF_INET, "172.32.0.0", 0},
    {"10.1.2.3/8", AF_INET, "10.200.0.1", 1}, /* host bits ignored */
    {"192.168.1.128/25", AF_INET, "192.168.1.200", 1},
    {"192.168.1.128/25", AF_INET, "192.168.1.100", 0},
    {"127.0.0.1", AF_INET, "::ffff:127.0.0.1", 1}, /* v4-mapped peer */
    {"127.0.0.0/8", AF_INET, "::ffff:10.0.0.1", 0},
    {"2001:db8::/32", AF_INET6, "2001:db8:1::5", 1},
    {"2001:db8::/32", AF_INET6, "2001:db9::5", 0},
    {"::1", AF_INET6, "::1", 1},
    {"::1", AF_INET6, "::2", 0},
    {"::/0", AF_INET6, "fe80::1", 1},
    {"2001:db8::/33", AF_INET6, "2001:db8:8000::1", 0},
    {"2001:db8::/33", AF_INET6, "2001:db8:7fff::1", 1},
    {"::ffff:0:0/96", AF_INET6, "10.0.0.1", 1}, /* IPv4 peer in its mapped form */
    {"::ffff:10.0.0.0/104", AF_INET6, "::ffff:10.9.9.9", 1},
    {"fe80::/10", AF_INET6, "10.0.0.1", 0},
};

static void test_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cssf_ip_prefix_t p;
        assert_int_equal(cssf_ip_prefix_parse(cases[i].prefix, cases[i].family, &p), 0);
        cssf_ip_peer_t peer = peer_of(cases[i].peer);
        if (cssf_ip_prefix_match(&p, &peer) != cases[i].want)
            fail_msg("%s vs %s: want %d", cases[i].prefix, cases[i].peer, cases[i].want);
    }
}

static void test_invalid(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int family;
    } bad[] = {
        {NULL, AF_INET},
        {"", AF_INET},
        {"10.0.0.0/33", AF_INET},
        {"10.0.0.0/", AF_INET},
        {"10.0.0.0/8x", AF_INET},
        {"10.0.0.0/-1", AF_INET},
        {"10.0.0.0/0008", AF_INET},
        {"10.0.0", AF_INET},
        {"256.0.0.1", AF_INET},
        {"2001:db8::1", AF_INET}, /* wrong family */
        {"10.0.0.1", AF_INET6},
        {"2001:db8::/129", AF_INET6},
        {"fe80::1%eth0", AF_INET6},
        {"10.0.0.1", AF_UNIX},
        {"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd", AF_INET6},
    };
    cssf_ip_prefix_t p;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cssf_ip_prefix_parse(bad[i].text, bad[i].family, &p) != -1)
            fail_msg("accepted \"%s\"", bad[i].text ? bad[i].text : "(null)");
}

static void test_peer_forms(void **state) {
    (void)state;
    struct sockaddr_storage ss;
    cssf_ip_peer_t p;
    memset(&ss, 0, sizeof(ss));
    assert_int_equal(cssf_ip_peer_from_sockaddr(NULL, 0, &p), -1);
    ss.ss_family = AF_UNIX;
    assert_int_equal(cssf_ip_peer_from_sockaddr(&ss, sizeof(struct sockaddr_un), &p), -1);
    assert_int_equal(p.has_v4 | p.has_v6, 0);
    ss.ss_family = AF_INET; /* length too short for an IPv4 address */
    assert_int_equal(cssf_ip_peer_from_sockaddr(&ss, 2, &p), -1);
    ss.ss_family = AF_INET6;
    assert_int_equal(cssf_ip_peer_from_sockaddr(&ss, sizeof(struct sockaddr_in), &p), -1);
    p = peer_of("10.0.0.1");
    assert_true(p.has_v4 && p.has_v6);
    p = peer_of("::ffff:10.0.0.1");
    assert_true(p.has_v4 && p.has_v6);
    assert_memory_equal(p.v4, "\x0a\x00\x00\x01", 4);
    p = peer_of("2001:db8::1");
    assert_true(!p.has_v4 && p.has_v6);
    /* a prefix of no family matches nothing */
    cssf_ip_prefix_t any6;
    assert_int_equal(cssf_ip_prefix_parse("::/0", AF_INET6, &any6), 0);
    cssf_ip_peer_t v4_only = {.has_v4 = 1};
    assert_int_equal(cssf_ip_prefix_match(&any6, &v4_only), 0);
    cssf_ip_prefix_t none = {0};
    assert_int_equal(cssf_ip_prefix_match(&none, &p), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_peer_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
