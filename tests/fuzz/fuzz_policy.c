/* libFuzzer target: the policy parsers (cssf.json and ACP files). The first
 * byte picks the parser; the rest is the file text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "plugin/data/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    cssf_policy_defaults_t defs = {CSSF_AUTHN_REQUIRED, 0, "cse-in"};
    cssf_policy_t *pol = cssf_policy_new(&defs);
    cssf_policy_report_t *rep = malloc(sizeof(*rep));
    if (!pol || !rep)
        goto out;
    cssf_policy_report_init(rep);
    const char *text = (const char *)data + 1;
    if (data[0] & 1)
        cssf_policy_parse_acps(pol, "fuzz.json", text, size - 1, "cse-in", rep);
    else
        cssf_policy_parse_main(pol, "cssf.json", text, size - 1, rep);
    char line[1024];
    for (size_t i = 0; i < rep->n; i++)
        cssf_policy_report_format(rep, i, line, sizeof(line));
    cssf_policy_report_clear(rep);
out:
    free(rep);
    cssf_policy_release(pol);
    return 0;
}
