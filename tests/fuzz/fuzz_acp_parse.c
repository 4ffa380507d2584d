/*
 * libFuzzer target for the ACP/resource JSON parser (plugin/authz/acp_parse.c).
 * Whatever parses is also evaluated, so rule matching sees hostile policies.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugin/authz/acp_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const cssf_ids_t ids = {"/id-in", "sp.example"};
    static const char *const roles[] = {"op@sp.example"};
    const cssf_authz_env_t env = {.roles = roles, .nroles = 1, .now = 1710506096};
    cssf_res_t *res = cssf_res_parse((const char *)data, size, NULL, 1, &ids, NULL, 0);
    if (!res)
        return 0;
    cssf_ip_peer_t peer = {.has_v4 = 1, .has_v6 = 1, .v4 = {10, 0, 0, 1}};
    const cssf_res_t *acps[1] = {res};
    const char *ris[1] = {res->ri};
    char out[256];
    for (unsigned op = 1; op <= 32; op <<= 1) {
        cssf_eval_ctx_t ctx = {
            .orig_raw = "Cabc",
            .orig_norm = "//sp.example/id-in/Cabc",
            .authenticated = (int)(op & 1),
            .op_bit = op,
            .create_ty = 4,
            .target_ty = 3,
            .peer = &peer,
            .now = env.now,
            .env = &env,
        };
        cssf_acp_decide(acps, ris, 1, 0, &ctx, out, sizeof(out));
        cssf_acp_decide(acps, ris, 1, 1, &ctx, out, sizeof(out));
    }
    cssf_res_release(res);
    return 0;
}
