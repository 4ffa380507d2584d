/*
 * onem2m-cse: command line, start-up, signals and shutdown.
 *
 * Start-up: configuration (errors → exit 2), logging, store, core, the
 * security plugin (failure → exit 1; none configured → refuse unless
 * --insecure), HTTP; then one line "onem2m-cse: listening on URL" per
 * listener on stdout (http://, https://, https-psk://, coap://, coaps://). SIGHUP reloads the
 * plugin's policy (CSE_EVT_RELOAD), SIGTERM and SIGINT stop the CSE cleanly (exit 0). Signals are
 * taken with sigwait() in the main thread, never in a handler.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/coap/coap_server.h"
#include "cse/core/config.h"
#include "cse/core/cse.h"
#include "cse/core/log.h"
#include "cse/core/pipeline.h"
#include "cse/core/plugin_host.h"
#include "cse/host.h"
#include "cse/http/http_server.h"
#include "cse/http/http_tls_start.h"
#include "cse/store/store.h"

#ifndef CSE_VERSION
#define CSE_VERSION "unknown"
#endif

#define EXIT_CONFIG 2

static const char usage_text[] =
    "usage: onem2m-cse [--config FILE] [--insecure] [--check-policies DIR] [--version] [--help]\n"
    "\n"
    "  --config FILE          INI configuration (every key can be overridden by\n"
    "                         CSE_<SECTION>_<KEY> in the environment)\n"
    "  --insecure             run without a security plugin; every request is\n"
    "                         served unauthenticated and logged with a warning\n"
    "  --check-policies DIR   let the configured plugin validate the policies in DIR,\n"
    "                         print its report and exit (0 valid, 1 invalid)\n"
    "  --version              print the version and exit\n"
    "  --help                 print this help and exit\n";

typedef struct cli {
    const char *config;
    int insecure;
    const char *check_dir;
} cli_t;

/* Returns 0 to run, 1 to exit 0 (help, version), -1 on a usage error. */
static int parse_args(int argc, char **argv, cli_t *cli) {
    enum { OPT_CHECK = 256, OPT_VERSION };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"insecure", no_argument, NULL, 'i'},
        {"check-policies", required_argument, NULL, OPT_CHECK},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            cli->config = optarg;
            break;
        case 'i':
            cli->insecure = 1;
            break;
        case OPT_CHECK:
            cli->check_dir = optarg;
            break;
        case OPT_VERSION:
            printf("onem2m-cse %s\n", CSE_VERSION);
            return 1;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        default:
            fprintf(stderr, "onem2m-cse: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "onem2m-cse: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

static int load_config(cse_config_t *cfg, const cli_t *cli) {
    char err[512];
    cse_config_defaults(cfg);
    if (cse_config_load(cfg, cli->config, err, sizeof(err)) < 0) {
        fprintf(stderr, "onem2m-cse: configuration error: %s\n", err);
        return -1;
    }
    cfg->insecure = cli->insecure;
    if (cli->config)
        snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", cli->config);
    if (cse_log_set_level_name(cfg->log_level) < 0) {
        fprintf(stderr, "onem2m-cse: configuration error: [log] level: unknown level '%s'\n",
                cfg->log_level);
        return -1;
    }
    return 0;
}

/* The running CSE; members are NULL/0 until started. */
typedef struct cse_process {
    cse_config_t cfg;
    cse_store_t *store;
    int core_up;
    int plugins_up;
    cse_http_server_t *http;
    cse_http_tls_listeners_t https;
    cse_coap_server_t *coap;
} cse_process_t;

static void process_stop(cse_process_t *p) {
    cse_coap_server_stop(p->coap);
    p->coap = NULL;
    cse_http_tls_stop(&p->https);
    cse_http_server_stop(p->http);
    p->http = NULL;
    if (p->core_up)
        cse_core_shutdown();
    p->core_up = 0;
    if (p->plugins_up)
        cse_plugin_host_unload_all();
    p->plugins_up = 0;
    if (p->store)
        cse_store_close(p->store);
    p->store = NULL;
}

/* Store, core and plugin (with extra_opt appended to the plugin options
 * when given). Returns 0 or -1 after printing why. */
static int process_start_core(cse_process_t *p, const char *store_path,
                              const cse_plugin_opt_t *extra_opt) {
    char err[512];
    p->store = cse_store_open(store_path, err, sizeof(err));
    if (!p->store) {
        fprintf(stderr, "onem2m-cse: store: %s\n", err);
        return -1;
    }
    if (cse_core_init(&p->cfg, p->store, err, sizeof(err)) < 0) {
        fprintf(stderr, "onem2m-cse: core: %s\n", err);
        return -1;
    }
    p->core_up = 1;
    if (!p->cfg.plugin_path[0])
        return 0;

    cse_plugin_opt_t opts[CSE_CONFIG_MAX_PLUGIN_OPTS + 1];
    int n = p->cfg.nplugin_opts;
    memcpy(opts, p->cfg.plugin_opts, (size_t)n * sizeof(opts[0]));
    if (extra_opt)
        opts[n++] = *extra_opt;
    p->plugins_up = 1; /* unload_all also cleans up a partial load */
    if (cse_plugin_host_load(p->cfg.plugin_path, opts, n, err, sizeof(err)) < 0) {
        fprintf(stderr, "onem2m-cse: plugin: %s\n", err);
        return -1;
    }
    return 0;
}

static void reload(void) {
    cse_evt_reload_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = 1;
    int res = cse_plugin_host_run(CSE_EVT_RELOAD, &ev);
    if (res == CSE_PLUGIN_OK)
        cse_log(CSE_LOG_INFO, "reload: done");
    else if (res == CSE_PLUGIN_DENY)
        cse_log(CSE_LOG_WARN, "reload: refused, previous policy kept: %s",
                ev.reason ? ev.reason : "no reason given");
    else
        cse_log(CSE_LOG_INFO, "reload: no plugin handles reload");
    cse_free(ev.reason);
}

/* --check-policies DIR: the plugin validates and reports; nothing serves.
 * The store is in memory so a check never touches the real database. */
static int check_policies(cse_process_t *p, const char *dir) {
    if (!p->cfg.plugin_path[0]) {
        fprintf(stderr, "onem2m-cse: --check-policies needs a plugin ([plugin] path)\n");
        return EXIT_CONFIG;
    }
    cse_plugin_opt_t opt = {"check_policies", dir};
    int rc = process_start_core(p, ":memory:", &opt) < 0 ? 1 : 0;
    process_stop(p);
    return rc;
}

static int serve(cse_process_t *p) {
    char err[512];
    if (process_start_core(p, p->cfg.store_path, NULL) < 0)
        return 1;
    int insecure = !p->cfg.plugin_path[0];
    if (insecure) {
        /* The pipeline then trusts From and logs a warning per request. */
        cse_pipeline_set_insecure(1);
        cse_log(CSE_LOG_WARN, "insecure: running without a security plugin (--insecure); "
                              "requests are not authenticated nor authorized");
    }

    cse_http_options_t http = {
        .listen = p->cfg.http_listen,
        .port = p->cfg.http_port,
        .threads = p->cfg.http_threads,
        .max_body = p->cfg.http_max_body,
        .max_header = p->cfg.http_max_header,
    };
    if (!p->cfg.http_plain && !p->cfg.http_tls && !p->cfg.http_tls_psk) {
        fprintf(stderr, "onem2m-cse: [http] plain = 0 needs tls = 1 or tls_psk = 1\n");
        return 1;
    }
    if (p->cfg.http_plain && !(p->http = cse_http_server_start(&http, err, sizeof(err)))) {
        fprintf(stderr, "onem2m-cse: %s\n", err);
        return 1;
    }
    if (cse_http_tls_start_config(&p->cfg, &http, &p->https, err, sizeof(err)) < 0) {
        fprintf(stderr, "onem2m-cse: %s\n", err);
        return 1;
    }
    char url[128] = "off";
    if (p->http)
        cse_http_server_url(p->http, url, sizeof(url));
    cse_log(CSE_LOG_INFO, "started version=%s cse_id=%s http=%s plugin=%s", CSE_VERSION,
            p->cfg.cse_id, url, insecure ? "none" : p->cfg.plugin_path);
    if (cse_coap_server_start_config(&p->cfg, &p->coap, err, sizeof(err)) < 0) {
        fprintf(stderr, "onem2m-cse: %s\n", err);
        return 1;
    }
    cse_http_server_t *const listeners[] = {p->http, p->https.x509, p->https.psk};
    for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++) {
        if (!listeners[i])
            continue;
        cse_http_server_url(listeners[i], url, sizeof(url));
        if (i > 0)
            cse_log(CSE_LOG_INFO, "http: listening on %s", url);
        printf("onem2m-cse: listening on %s\n", url);
    }
    for (int dtls = 0; p->coap && dtls <= 1; dtls++) {
        if (cse_coap_server_port(p->coap, dtls) < 0)
            continue;
        cse_coap_server_url(p->coap, dtls, url, sizeof(url));
        cse_log(CSE_LOG_INFO, "coap: listening on %s", url);
        printf("onem2m-cse: listening on %s\n", url);
    }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    cli_t cli = {0};
    int rc = parse_args(argc, argv, &cli);
    if (rc != 0) {
        if (rc < 0)
            fputs(usage_text, stderr);
        return rc < 0 ? EXIT_CONFIG : 0;
    }

    static cse_process_t p; /* large (paths): not on the stack */
    if (load_config(&p.cfg, &cli) < 0) {
        cse_config_free(&p.cfg);
        return EXIT_CONFIG;
    }
    if (p.cfg.log_file[0] && cse_log_open(p.cfg.log_file) < 0) {
        fprintf(stderr, "onem2m-cse: cannot open log file %s\n", p.cfg.log_file);
        cse_config_free(&p.cfg);
        return 1;
    }

    /* Block the signals before any thread exists, so that every thread
     * inherits the mask and only sigwait() below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cli.check_dir) {
        rc = check_policies(&p, cli.check_dir);
        cse_config_free(&p.cfg);
        return rc;
    }
    if (!p.cfg.plugin_path[0] && !cli.insecure) {
        fprintf(stderr, "onem2m-cse: no security plugin configured ([plugin] path); refusing to "
                        "start. Use --insecure to run without one.\n");
        cse_config_free(&p.cfg);
        return 1;
    }

    rc = serve(&p);
    while (rc == 0) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload();
            continue;
        }
        cse_log(CSE_LOG_INFO, "stopping on signal %d", sig);
        break;
    }
    process_stop(&p);
    cse_config_free(&p.cfg);
    if (rc == 0)
        cse_log(CSE_LOG_INFO, "stopped");
    return rc;
}
