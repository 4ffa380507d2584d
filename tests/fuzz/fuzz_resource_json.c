/*
 * Fuzz target: resource JSON bodies through the real pipeline. The first
 * byte picks the operation (CREATE or UPDATE) and the resource type; the
 * rest is the request body. Created resources are deleted again so the
 * tree stays small. Any crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cse/core/config.h"
#include "cse/core/cse.h"
#include "cse/core/log.h"
#include "cse/core/pipeline.h"
#include "cse/core/request.h"
#include "cse/plugin.h"

static cse_config_t cfg;

static int run(int op, const char *to, int ty, const char *body, size_t len, char *location,
               size_t loc_cap) {
    cse_request_t req;
    cse_response_t resp;
    cse_request_init(&req);
    cse_response_init(&resp);
    req.op = op;
    snprintf(req.to, sizeof(req.to), "%s", to);
    snprintf(req.from, sizeof(req.from), "%s", "CAdmin");
    req.has_from = 1;
    snprintf(req.rvi, sizeof(req.rvi), "3");
    req.ty = ty;
    req.body = body;
    req.body_len = len;
    cse_pipeline_handle(&req, &resp);
    int rsc = resp.rsc;
    if (location)
        snprintf(location, loc_cap, "%s", resp.location);
    cse_response_clear(&resp);
    cse_request_clear(&req);
    return rsc;
}

static void init_once(void) {
    static int done;
    if (done)
        return;
    done = 1;
    strcpy(cfg.cse_id, "/id-in");
    strcpy(cfg.resource_name, "cse-in");
    strcpy(cfg.http_listen, "127.0.0.1");
    cse_log_set_level_name("error");
    cse_pipeline_set_insecure(1);
    char err[256];
    if (cse_core_init(&cfg, NULL, err, sizeof(err)) != 0)
        abort();
    static const char ae[] =
        "{\"m2m:ae\":{\"rn\":\"fz\",\"api\":\"Nf\",\"rr\":true,\"srv\":[\"3\"]}}";
    static const char cnt[] = "{\"m2m:cnt\":{\"rn\":\"c\"}}";
    static const char cin[] = "{\"m2m:cin\":{\"rn\":\"i\",\"con\":\"x\"}}";
    static const char acp[] = "{\"m2m:acp\":{\"rn\":\"p\",\"pv\":{\"acr\":[]},"
                              "\"pvs\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]}}}";
    run(CSE_OP_CREATE, "/cse-in", 2, ae, strlen(ae), NULL, 0);
    run(CSE_OP_CREATE, "/cse-in/fz", 3, cnt, strlen(cnt), NULL, 0);
    run(CSE_OP_CREATE, "/cse-in/fz/c", 4, cin, strlen(cin), NULL, 0);
    run(CSE_OP_CREATE, "/cse-in/fz", 1, acp, strlen(acp), NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const struct {
        int ty;
        const char *parent, *existing;
    } targets[] = {
        {2, "/cse-in", "/cse-in/fz"},
        {3, "/cse-in/fz", "/cse-in/fz/c"},
        {4, "/cse-in/fz/c", "/cse-in/fz/c/i"},
        {1, "/cse-in/fz", "/cse-in/fz/p"},
        {5, "/cse-in", "/cse-in"},
    };
    init_once();
    if (size < 1)
        return 0;
    size_t which = (data[0] & 0x7f) % (sizeof(targets) / sizeof(targets[0]));
    int update = data[0] & 0x80;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    if (update) {
        run(CSE_OP_UPDATE, targets[which].existing, 0, body, len, NULL, 0);
        return 0;
    }
    char location[CSE_MAX_TO];
    if (run(CSE_OP_CREATE, targets[which].parent, targets[which].ty, body, len, location,
            sizeof(location)) == 2001 &&
        strcmp(location, "/cse-in/fz") != 0)
        run(CSE_OP_DELETE, location, 0, NULL, 0, NULL, 0);
    return 0;
}
