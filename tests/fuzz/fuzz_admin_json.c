/*
 * Fuzz target for the admin API's input parsing: the first byte picks the
 * parser (query string, device document, JSON body), the rest is the
 * input. Each must answer or refuse, never crash or leak.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/admin/admin_json.h"
#include "plugin/data/registry_device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    int status;
    char why[256];
    switch (data[0] % 3) {
    case 0: {
        cssf_admin_query_t q;
        if (cssf_admin_query_parse(text, &q, why, sizeof(why)) == 0)
            (void)cssf_admin_query_get(&q, "limit");
        break;
    }
    case 1: {
        json_t *doc = cssf_admin_parse_object(text, size - 1, 65536, "application/json", &status,
                                              why, sizeof(why));
        cssf_device_t d;
        cssf_device_error_t err;
        if (doc && cssf_device_parse(doc, "/id-in", &d, &err) == 0) {
            json_t *out = cssf_device_to_json(&d);
            char *s = json_dumps(out, JSON_COMPACT);
            free(s);
            json_decref(out);
            (void)cssf_device_may_use(&d, "Cmeter1", "/id-in");
            cssf_device_clear(&d);
        }
        json_decref(doc);
        break;
    }
    default: {
        uint8_t key[CSSF_PSK_MAX];
        size_t len;
        (void)cssf_device_psk_parse(text, key, &len, why, sizeof(why));
        (void)cssf_device_aeid_pattern_ok(text, "/id-in", why, sizeof(why));
        break;
    }
    }
    free(text);
    return 0;
}
