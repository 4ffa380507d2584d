"""Opaque bearer tokens checked by RFC 7662 introspection at a real
Authorization Server (oidc-provider, tests/as) with client authentication:
an active token reads; a revoked one is denied within the configured
revalidation interval; with the AS stopped, tokens that need it are denied
with a clear reason and a known one is not trusted past its interval; wrong
client credentials (after a policy reload) are named in the denial."""
import os
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "as"))
import aslib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402

INTERVAL = 1


def tokens_section(auth, secret="cse-in-secret"):
    return {
        "issuer": auth.issuer,
        "audience": aslib.AUDIENCE,
        "introspection": {"endpoint": auth.issuer + "/token/introspection",
                          "client_id": "cse-in", "client_secret": secret,
                          "interval": INTERVAL},
        "clock_skew": 0,
        "subjects": {"sensor-1": ["Csensor1"]},
        "scopes": {"cse.read": {"ops": ["RETRIEVE"], "under": "/cse-in"}},
    }


def get(cse, token):
    return cse.retrieve("/cse-in", origin="Csensor1",
                        headers={"Authorization": "Bearer " + token})


def denied(r, reason):
    check(r.status == 403 and r.rsc == 4103, "denied 4103", r)
    check(reason in r.json["m2m:dbg"], "reason %r" % reason, r)
    check('error="invalid_token"' in r.headers.get("www-authenticate", ""), "challenge", r)


def test_active_token_reads(ctx):
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    check(token.count(".") == 0, "an opaque token", token)
    r = get(ctx.cse, token)
    check(r.rsc == 2000, "introspected token reads", r)


def test_revoked_denied_within_interval(ctx):
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    check(get(ctx.cse, token).rsc == 2000, "accepted before revocation")
    ctx.auth.revoke("sensor-1", token)
    check(ctx.auth.introspect(token) == {"active": False}, "the AS revoked it")
    deadline = time.time() + INTERVAL + 1.5
    while True:
        r = get(ctx.cse, token)
        if r.rsc != 2000 or time.time() > deadline:
            break
        time.sleep(0.1)
    denied(r, "token is not active")


def test_scope_from_introspection(ctx):
    token = ctx.auth.token("sensor-1", "cse.write", resource=aslib.OPAQUE)
    r = get(ctx.cse, token)
    check(r.rsc == 4103 and 'error="insufficient_scope"' in r.headers.get("www-authenticate", ""),
          "introspected scope without RETRIEVE", r)


def test_as_unreachable(ctx):
    known = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    check(get(ctx.cse, known).rsc == 2000, "known token accepted")
    fresh = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    ctx.auth.stop()
    denied(get(ctx.cse, fresh), "introspection endpoint unreachable")
    time.sleep(INTERVAL + 0.2)
    denied(get(ctx.cse, known), "cannot revalidate the token")
    ctx.auth.start()  # same port: recovery needs no restart of the CSE
    fresh = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    check(get(ctx.cse, fresh).rsc == 2000, "works again once the AS answers")


def test_wrong_client_secret_after_reload(ctx):
    cssftest.write_policy(ctx.policy, {"tokens": tokens_section(ctx.auth, "not-the-secret")})
    ctx.cse.signal(signal.SIGHUP)
    cssftest.wait_output(ctx.cse, "policy reloaded")
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OPAQUE)
    denied(get(ctx.cse, token), "refused the CSE's client credentials (HTTP 401)")
    check("not-the-secret" not in ctx.cse.read_output(), "the secret is never logged")


def main():
    with aslib.AuthServer() as auth:
        policy = tempfile.mkdtemp(prefix="cssf-oauth-intro-")
        cssftest.write_policy(policy, {"tokens": tokens_section(auth)})
        with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}) as cse:
            class Ctx:
                pass
            ctx = Ctx()
            ctx.auth, ctx.cse, ctx.policy = auth, cse, policy
            rc = run_tests(globals(), ctx)
    sys.exit(rc)


if __name__ == "__main__":
    main()
