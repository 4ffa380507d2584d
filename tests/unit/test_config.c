/* Configuration: defaults, INI file, environment overrides, every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cse/core/config.h"

extern char **environ;

static char ini_path[64];

/* Removes every CSE_<SECTION>_ variable so the caller's shell cannot
 * change what the tests see. */
static void clear_env(void) {
    static const char *const prefixes[] = {"CSE_CSE_",   "CSE_HTTP_",   "CSE_COAP_",
                                           "CSE_STORE_", "CSE_PLUGIN_", "CSE_LOG_"};
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; *e && !again; e++) {
            for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                if (strncasecmp(*e, prefixes[i], strlen(prefixes[i])) == 0) {
                    char name[256];
                    size_t n = strcspn(*e, "=");
                    snprintf(name, sizeof(name), "%.*s", (int)n, *e);
                    unsetenv(name);
                    again = 1; /* environ changed under us */
                    break;
                }
            }
        }
    }
}

static int setup(void **state) {
    clear_env();
    snprintf(ini_path, sizeof(ini_path), "/tmp/cse-config-XXXXXX");
    int fd = mkstemp(ini_path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state) {
    clear_env();
    unlink(ini_path);
    return 0;
}

static void write_ini(const char *text) {
    FILE *f = fopen(ini_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text over the defaults and expects success. */
static void load_ok(cse_config_t *cfg, const char *text) {
    char err[512] = "";
    cse_config_defaults(cfg);
    write_ini(text);
    if (cse_config_load(cfg, ini_path, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s", err);
}

/* Loads text and expects the error "<ini_path>:<want>". */
static void load_fails(const char *text, const char *want) {
    cse_config_t cfg;
    char err[512] = "", full[600];
    cse_config_defaults(&cfg);
    write_ini(text);
    assert_int_equal(cse_config_load(&cfg, ini_path, err, sizeof(err)), -1);
    snprintf(full, sizeof(full), "%s:%s", ini_path, want);
    assert_string_equal(err, full);
    cse_config_free(&cfg);
}

static void env_fails(const char *name, const char *value, const char *want) {
    cse_config_t cfg;
    char err[512] = "";
    cse_config_defaults(&cfg);
    setenv(name, value, 1);
    assert_int_equal(cse_config_load(&cfg, NULL, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    unsetenv(name);
    cse_config_free(&cfg);
}

static void test_defaults(void **state) {
    cse_config_t cfg;
    char err[256] = "";
    cse_config_defaults(&cfg);
    assert_int_equal(cse_config_load(&cfg, NULL, err, sizeof(err)), 0);
    assert_string_equal(cfg.cse_id, "/id-in");
    assert_string_equal(cfg.resource_name, "cse-in");
    assert_string_equal(cfg.sp_id, "//example.net");
    assert_string_equal(cfg.admin_originator, "CAdmin");
    assert_string_equal(cfg.http_listen, "127.0.0.1");
    assert_int_equal(cfg.http_port, 8080);
    assert_int_equal(cfg.http_threads, 0);
    assert_int_equal(cfg.http_max_body, 1048576);
    assert_int_equal(cfg.http_max_header, 16384);
    assert_string_equal(cfg.http_tls_cert, "");
    assert_string_equal(cfg.http_tls_key, "");
    assert_string_equal(cfg.http_tls_ca, "");
    assert_int_equal(cfg.http_plain, 1);
    assert_int_equal(cfg.http_tls, 0);
    assert_int_equal(cfg.http_tls_port, 8443);
    assert_string_equal(cfg.http_tls_client_auth, "none");
    assert_int_equal(cfg.http_tls_psk, 0);
    assert_int_equal(cfg.http_tls_psk_port, 8444);
    assert_string_equal(cfg.coap_listen, "127.0.0.1");
    assert_int_equal(cfg.coap_port, 5683);
    assert_int_equal(cfg.coap_dtls_port, 5684);
    assert_string_equal(cfg.store_path, "cse.db");
    assert_string_equal(cfg.plugin_path, "");
    assert_int_equal(cfg.nplugin_opts, 0);
    assert_string_equal(cfg.log_level, "info");
    assert_string_equal(cfg.log_file, "");
    assert_int_equal(cfg.insecure, 0);
    assert_string_equal(cfg.config_path, "");
    cse_config_free(&cfg);
}

static void test_file(void **state) {
    cse_config_t cfg;
    load_ok(&cfg, "; comment\n"
                  "# another comment\n"
                  "[cse]\n"
                  "cse_id = /id-mn\n"
                  "resource_name = cse-mn\n"
                  "sp_id =\n"
                  "admin_originator = CRoot ; inline comment\n"
                  "\n"
                  "[HTTP]\n"
                  "  listen = 0.0.0.0\n"
                  "  port = 0\n"
                  "threads: 8\n"
                  "max_body = 2M\n"
                  "max_header = 8192\n"
                  "tls_cert = /etc/cse/cert.pem\n"
                  "tls_key = /etc/cse/key.pem\n"
                  "tls_ca = /etc/cse/ca.pem\n"
                  "[coap]\n"
                  "listen = ::1\n"
                  "port = 15683\n"
                  "dtls_port = 65535\n"
                  "[store]\n"
                  "path = /var/lib/cse/cse.db\n"
                  "[plugin]\n"
                  "policy_dir = policies\n"
                  "path = build/plugin/cssf.so\n"
                  "authentication = required\n"
                  "Trust_Claimed_Admin = false\n"
                  "authentication = optional\n"
                  "[log]\n"
                  "level = debug\n"
                  "file = /var/log/cse.log\n");
    assert_string_equal(cfg.config_path, ini_path);
    assert_string_equal(cfg.cse_id, "/id-mn");
    assert_string_equal(cfg.resource_name, "cse-mn");
    assert_string_equal(cfg.sp_id, "");
    assert_string_equal(cfg.admin_originator, "CRoot");
    assert_string_equal(cfg.http_listen, "0.0.0.0");
    assert_int_equal(cfg.http_port, 0);
    assert_int_equal(cfg.http_threads, 8);
    assert_int_equal(cfg.http_max_body, 2 * 1048576);
    assert_int_equal(cfg.http_max_header, 8192);
    assert_string_equal(cfg.http_tls_cert, "/etc/cse/cert.pem");
    assert_string_equal(cfg.http_tls_key, "/etc/cse/key.pem");
    assert_string_equal(cfg.http_tls_ca, "/etc/cse/ca.pem");
    assert_string_equal(cfg.coap_listen, "::1");
    assert_int_equal(cfg.coap_port, 15683);
    assert_int_equal(cfg.coap_dtls_port, 65535);
    assert_string_equal(cfg.store_path, "/var/lib/cse/cse.db");
    assert_string_equal(cfg.plugin_path, "build/plugin/cssf.so");
    /* In file order; a repeated key replaces its value in place. */
    assert_int_equal(cfg.nplugin_opts, 3);
    assert_string_equal(cfg.plugin_opts[0].key, "policy_dir");
    assert_string_equal(cfg.plugin_opts[0].value, "policies");
    assert_string_equal(cfg.plugin_opts[1].key, "authentication");
    assert_string_equal(cfg.plugin_opts[1].value, "optional");
    assert_string_equal(cfg.plugin_opts[2].key, "Trust_Claimed_Admin");
    assert_string_equal(cfg.plugin_opts[2].value, "false");
    assert_string_equal(cfg.log_level, "debug");
    assert_string_equal(cfg.log_file, "/var/log/cse.log");
    cse_config_free(&cfg);
    assert_int_equal(cfg.nplugin_opts, 0);
}

static void test_sizes(void **state) {
    cse_config_t cfg;
    load_ok(&cfg, "[http]\nmax_body = 1\nmax_header = 4k\n");
    assert_int_equal(cfg.http_max_body, 1);
    assert_int_equal(cfg.http_max_header, 4096);
    load_ok(&cfg, "[http]\nmax_body = 1G\n");
    assert_int_equal(cfg.http_max_body, 1073741824);
}

/* DTLS session bounds go beyond the 1024 of a count; parking defaults. */
static void test_dtls_bounds(void **state) {
    cse_config_t cfg;
    cse_config_defaults(&cfg);
    assert_int_equal(cfg.coap_dtls_park_after_ms, 5000);
    assert_int_equal(cfg.coap_dtls_max_parked, 100000);
    load_ok(&cfg, "[coap]\ndtls_max_sessions = 20000\ndtls_park_after_ms = 0\n"
                  "dtls_max_parked = 500000\n");
    assert_int_equal(cfg.coap_dtls_max_sessions, 20000);
    assert_int_equal(cfg.coap_dtls_park_after_ms, 0);
    assert_int_equal(cfg.coap_dtls_max_parked, 500000);
    cse_config_free(&cfg);
    load_fails("[coap]\ndtls_max_parked = -1\n",
               "2: [coap] dtls_max_parked: \"-1\" is not a count (0-100000000)");
}

static void test_line_ends_and_limit(void **state) {
    cse_config_t cfg;
    load_ok(&cfg, "[http]\r\nport = 81\r\n[log]\r\nfile = /tmp/x.log\r\n");
    assert_int_equal(cfg.http_port, 81);
    assert_string_equal(cfg.log_file, "/tmp/x.log");
    /* The longest line accepted: 198 bytes of text. */
    char text[400] = "[log]\nfile = /";
    size_t n = strlen(text);
    memset(text + n, 'f', 198 - 8);
    strcat(text, "\n");
    load_ok(&cfg, text);
    assert_int_equal(strlen(cfg.log_file), 198 - 7);
}

static void test_env_overrides(void **state) {
    cse_config_t cfg;
    setenv("CSE_HTTP_PORT", "8081", 1);
    setenv("CSE_CSE_SP_ID", "//acme.example", 1);
    setenv("CSE_HTTP_MAX_BODY", "65536", 1);
    setenv("CSE_STORE_PATH", "/tmp/other.db", 1);
    setenv("CSE_LOG_LEVEL", "warn", 1);
    setenv("CSE_PLUGIN_AUTHENTICATION", "optional", 1);
    setenv("CSE_PLUGIN_AUDIT_FILE", "/tmp/audit.log", 1);
    setenv("CSE_PLUGIN_PATH", "/opt/cssf.so", 1);
    setenv("CSE_BUILD_DIR", "/elsewhere", 1); /* not ours: ignored */
    load_ok(&cfg, "[http]\nport = 9000\n[plugin]\npath = build/plugin/cssf.so\n"
                  "authentication = required\npolicy_dir = policies\n");
    unsetenv("CSE_BUILD_DIR");
    assert_int_equal(cfg.http_port, 8081);
    assert_string_equal(cfg.sp_id, "//acme.example");
    assert_int_equal(cfg.http_max_body, 65536);
    assert_string_equal(cfg.store_path, "/tmp/other.db");
    assert_string_equal(cfg.log_level, "warn");
    assert_string_equal(cfg.plugin_path, "/opt/cssf.so");
    assert_int_equal(cfg.nplugin_opts, 3);
    assert_string_equal(cfg.plugin_opts[0].key, "authentication");
    assert_string_equal(cfg.plugin_opts[0].value, "optional");
    assert_string_equal(cfg.plugin_opts[1].key, "policy_dir");
    assert_string_equal(cfg.plugin_opts[1].value, "policies");
    assert_string_equal(cfg.plugin_opts[2].key, "audit_file");
    assert_string_equal(cfg.plugin_opts[2].value, "/tmp/audit.log");
    cse_config_free(&cfg);

    /* Environment alone, without a file. */
    char err[256];
    cse_config_defaults(&cfg);
    assert_int_equal(cse_config_load(&cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(cfg.http_port, 8081);
    assert_int_equal(cfg.nplugin_opts, 2);
    cse_config_free(&cfg);
}

static void test_file_errors(void **state) {
    load_fails("[http]\nprot = 80\n", "2: [http] prot: unknown key");
    load_fails("[cse]\n[htp]\nport = 80\n", "3: [htp] port: unknown section");
    load_fails("port = 80\n", "1: [] port: key outside any [section]");
    load_fails("[http]\nport = 65536\n",
               "2: [http] port: \"65536\" is not a port number (0-65535)");
    load_fails("[http]\nport = -1\n", "2: [http] port: \"-1\" is not a port number (0-65535)");
    load_fails("[coap]\nport = 80x\n", "2: [coap] port: \"80x\" is not a port number (0-65535)");
    load_fails("[coap]\ndtls_port =\n", "2: [coap] dtls_port: \"\" is not a port number (0-65535)");
    load_fails("[http]\nthreads = 5000\n", "2: [http] threads: \"5000\" is not a count (0-1024)");
    load_fails("[http]\nmax_body = -5\n",
               "2: [http] max_body: \"-5\" is not a size (bytes > 0, optional K, M or G suffix)");
    load_fails("[http]\nmax_body = 0\n",
               "2: [http] max_body: \"0\" is not a size (bytes > 0, optional K, M or G suffix)");
    load_fails("[http]\nmax_header = 12 KB\n", "2: [http] max_header: \"12 KB\" is not a size "
                                               "(bytes > 0, optional K, M or G suffix)");
    load_fails("[http]\nmax_body = 99999999999999999999\n",
               "2: [http] max_body: \"99999999999999999999\" is not a size (bytes > 0, optional "
               "K, M or G suffix)");
    load_fails("[log]\nlevel = loud\n",
               "2: [log] level: \"loud\" is not one of error, warn, info, debug");
    load_fails("[cse]\ncse_id = id-in\n",
               "2: [cse] cse_id: \"id-in\" is not a CSE-ID (\"/\" then a name)");
    load_fails("[cse]\nresource_name = a/b\n",
               "2: [cse] resource_name: \"a/b\" is not a resource name (not empty, no \"/\")");
    load_fails("[cse]\nsp_id = example.net\n",
               "2: [cse] sp_id: \"example.net\" is not an SP-ID (\"//\" then a domain, or empty)");
    load_fails("[store]\npath =\n", "2: [store] path: must not be empty");
    load_fails("[http]\nlisten =\n", "2: [http] listen: must not be empty");
    load_fails("[cse]\nadmin_originator = "
               "C0123456789012345678901234567890123456789012345678901234567890123\n",
               "2: [cse] admin_originator: value too long (65 bytes, at most 63)");
    load_fails("[http]\nport = 80\nno equals sign here\n",
               "3: syntax error (expected [section] or key = value)");
    load_fails("[http\n", "1: syntax error (expected [section] or key = value)");

    char text[600], want[128];
    memset(text, 0, sizeof(text));
    strcpy(text, "[plugin]\nkey = ");
    memset(text + strlen(text), 'v', 300);
    strcat(text, "\n[http]\nport = 1\n");
    snprintf(want, sizeof(want), "2: line too long (306 bytes, at most 198)");
    load_fails(text, want);

    /* The first error wins; later lines are not reported. */
    load_fails("[http]\nport = x\nprot = 1\n",
               "2: [http] port: \"x\" is not a port number (0-65535)");
}

static void test_too_many_plugin_opts(void **state) {
    char text[4096] = "[plugin]\n";
    for (int i = 0; i <= CSE_CONFIG_MAX_PLUGIN_OPTS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "k%d = %d\n", i, i);
    char want[80];
    snprintf(want, sizeof(want), "%d: [plugin] k%d: too many plugin options (at most %d)",
             CSE_CONFIG_MAX_PLUGIN_OPTS + 2, CSE_CONFIG_MAX_PLUGIN_OPTS,
             CSE_CONFIG_MAX_PLUGIN_OPTS);
    load_fails(text, want);
}

static void test_missing_file(void **state) {
    cse_config_t cfg;
    char err[256];
    cse_config_defaults(&cfg);
    assert_int_equal(cse_config_load(&cfg, "/nonexistent/cse.ini", err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/cse.ini: cannot open: No such file or directory");
}

/* Keys with a fixed set of values take exactly those words. */
static void test_choices(void **state) {
    cse_config_t cfg;
    load_ok(&cfg, "[http]\ntls_client_auth = required\n");
    assert_string_equal(cfg.http_tls_client_auth, "required");
    load_ok(&cfg, "[http]\ntls_client_auth = optional\n");
    assert_string_equal(cfg.http_tls_client_auth, "optional");
    load_fails("[http]\ntls_client_auth = Required\n",
               "2: [http] tls_client_auth: \"Required\" is not one of none|optional|required");
    load_fails("[http]\ntls_client_auth = opt\n",
               "2: [http] tls_client_auth: \"opt\" is not one of none|optional|required");
    load_fails("[http]\ntls_client_auth =\n",
               "2: [http] tls_client_auth: \"\" is not one of none|optional|required");
    env_fails("CSE_HTTP_TLS_CLIENT_AUTH", "requiredx",
              "environment CSE_HTTP_TLS_CLIENT_AUTH: [http] tls_client_auth: \"requiredx\" is "
              "not one of none|optional|required");
}

static void test_env_errors(void **state) {
    env_fails("CSE_HTTP_PORT", "70000",
              "environment CSE_HTTP_PORT: [http] port: \"70000\" is not a port number (0-65535)");
    env_fails("CSE_HTTP_PROT", "1", "environment CSE_HTTP_PROT: [http] prot: unknown key");
    env_fails("CSE_STORE_", "x", "environment CSE_STORE_: [store]: empty key");
    env_fails("CSE_LOG_LEVEL", "verbose",
              "environment CSE_LOG_LEVEL: [log] level: \"verbose\" is not one of error, warn, "
              "info, debug");
    env_fails("CSE_HTTP_MAX_HEADER", "-1",
              "environment CSE_HTTP_MAX_HEADER: [http] max_header: \"-1\" is not a size (bytes > "
              "0, optional K, M or G suffix)");
}

/* cse.ini.example is what `make run` uses: it must load, show every key,
 * and (outside [plugin]) show the built-in defaults. */
static int collect_key(void *user, const char *section, const char *key, const char *value) {
    char *seen = user;
    size_t n = strlen(seen);
    snprintf(seen + n, 2048 - n, "%s.%s ", section, key);
    return 1;
}

static void test_example_file(void **state) {
    char src[512], path[600];
    snprintf(src, sizeof(src), "%s", __FILE__);
    snprintf(path, sizeof(path), "%s/../../cse.ini.example", dirname(src));
    cse_config_t cfg, def;
    char err[512] = "";
    cse_config_defaults(&cfg);
    cse_config_defaults(&def);
    if (cse_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg.plugin_path, "build/plugin/cssf.so");
    assert_true(cfg.nplugin_opts > 0);
    cse_config_free(&cfg);
    memset(cfg.plugin_path, 0, sizeof(cfg.plugin_path));
    memset(cfg.config_path, 0, sizeof(cfg.config_path));
    memset(cfg.plugin_opts, 0, sizeof(cfg.plugin_opts));
    assert_memory_equal(&cfg, &def, sizeof(cfg));

    static const char *const all[] = {
        "cse.cse_id",      "cse.resource_name", "cse.sp_id",     "cse.admin_originator",
        "http.listen",     "http.port",         "http.threads",  "http.max_body",
        "http.max_header", "http.tls_cert",     "http.tls_key",  "http.tls_ca",
        "http.plain",      "http.tls",          "http.tls_port", "http.tls_client_auth",
        "http.tls_psk",    "http.tls_psk_port", "coap.listen",   "coap.port",
        "coap.dtls_port",  "store.path",        "plugin.path",   "log.level",
        "log.file",
    };
    char seen[2048] = "";
    assert_int_equal(ini_parse(path, collect_key, seen), 0);
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        char want[64];
        snprintf(want, sizeof(want), "%s ", all[i]);
        if (!strstr(seen, want))
            fail_msg("cse.ini.example lacks %s", all[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dtls_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_ends_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_plugin_opts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_choices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
