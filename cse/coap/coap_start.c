/* The CoAP binding as the [coap] configuration describes it, wired to the
 * pipeline and the plugin host. */
#include <stdio.h>

#include "cse/coap/coap_server.h"
#include "cse/core/pipeline.h"
#include "cse/core/plugin_host.h"

int cse_coap_server_start_config(const cse_config_t *cfg, cse_coap_server_t **srv, char *err,
                                 size_t err_cap) {
    cse_coap_server_opts_t o;
    *srv = NULL;
    if (!cfg->coap_dtls && !cfg->coap_plain)
        return 0;
    cse_coap_server_opts_default(&o);
    o.listen = cfg->coap_listen;
    o.port = cfg->coap_plain ? cfg->coap_port : -1;
    o.dtls_port = cfg->coap_dtls ? cfg->coap_dtls_port : -1;
    o.endpoint.handler = cse_pipeline_handle;
    o.endpoint.max_body = cfg->coap_max_body;
    o.dtls.cert_file = cfg->coap_dtls_cert;
    o.dtls.key_file = cfg->coap_dtls_key;
    o.dtls.ca_file = cfg->coap_dtls_ca;
    o.dtls.crl_file = cfg->coap_dtls_crl;
    if (cfg->coap_dtls_max_sessions > 0)
        o.dtls.max_sessions = cfg->coap_dtls_max_sessions;
    o.dtls.park_after_ms = (uint32_t)cfg->coap_dtls_park_after_ms;
    o.dtls.max_parked = cfg->coap_dtls_max_parked;
    o.dtls.run_event = cse_plugin_host_run;
    *srv = cse_coap_server_start(&o, err, err_cap);
    return *srv ? 0 : -1;
}
