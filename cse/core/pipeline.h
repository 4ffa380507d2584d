/*
 * The request pipeline (DESIGN.md): AUTHENTICATE → resolve target →
 * AUTHORIZE → resource handler (durable) → response → ACCOUNTING.
 * Every binding calls this one function.
 */
#ifndef CSE_CORE_PIPELINE_H
#define CSE_CORE_PIPELINE_H

#include "cse/core/request.h"

/* Handles req and fills resp (always: resp->rsc is set on return).
 * Thread-safe; may block until a write is durable. */
void cse_pipeline_handle(cse_request_t *req, cse_response_t *resp);

/* Insecure mode (--insecure): without an AUTHENTICATE / AUTHORIZE /
 * REGISTER_AE callback, From is trusted and everything is permitted, with a
 * warning logged on every request. Off by default (fail closed). */
void cse_pipeline_set_insecure(int on);

#endif
