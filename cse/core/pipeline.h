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

#endif
