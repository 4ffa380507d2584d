"""Admin access to /cssf/v1 by an OAuth bearer token from the real
Authorization Server (oidc-provider, tests/as): a token whose scopes include
tokens.admin_scope manages devices; a valid token without it gets 403; a
token that does not verify gets 401 with the reason; a token is judged
alone (a claimed admin From does not help it); without admin_scope the
same token is no longer admin."""
import json
import os
import shutil
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

ADMIN_SCOPE = "cse.all"


def tokens_section(auth, admin_scope=ADMIN_SCOPE):
    section = {
        "issuer": auth.issuer,
        "audience": aslib.AUDIENCE,
        "jwks_uri": auth.issuer + "/jwks",
        "clock_skew": 0,
        "subjects": {"sensor-1": ["Csensor1"], "sensor-2": ["Csensor2"]},
    }
    if admin_scope:
        section["admin_scope"] = admin_scope
    return section


def api(cse, method, path, token=None, body=None, origin=None):
    headers = {"X-M2M-RVI": None, "X-M2M-RI": None}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    return cse.request(method, "/cssf/v1" + path, origin=origin, raw_body=data, headers=headers,
                       content_type="application/json")


def test_admin_scope_manages_devices(ctx):
    token = ctx.auth.token("sensor-1", "cse.read " + ADMIN_SCOPE)
    r = api(ctx.cse, "GET", "/health", token)
    check(r.status == 200 and r.json["status"] == "ok", "health with the admin scope", r)
    dev = {"id": "meter-1", "aeids": ["Cmeter1"],
           "credentials": {"psk": {"identity": "meter-1@example.net"}}}
    r = api(ctx.cse, "POST", "/devices", token, dev)
    check(r.status == 201 and len(r.json["credentials"]["psk"]["key"]) == 64, "device created", r)
    r = api(ctx.cse, "GET", "/devices/meter-1", token)
    check(r.status == 200 and r.json["id"] == "meter-1", "device read back", r)
    r = api(ctx.cse, "DELETE", "/devices/meter-1", token)
    check(r.status == 204, "device deleted", r)


def test_scope_without_admin(ctx):
    token = ctx.auth.token("sensor-2", "cse.read cse.write")
    r = api(ctx.cse, "GET", "/devices", token)
    check(r.status == 403 and r.json["error"] == "admin rights required", "no admin scope", r)
    # The token alone decides: claiming the admin originator does not add rights.
    r = api(ctx.cse, "GET", "/devices", token, origin="CAdmin")
    check(r.status == 403, "claimed admin From with a non-admin token", r)


def test_bad_tokens(ctx):
    token = ctx.auth.token("sensor-1", ADMIN_SCOPE)
    r = api(ctx.cse, "GET", "/devices", aslib.tampered(token))
    check(r.status == 401 and "bad signature" in r.json["error"], "tampered token", r)
    r = api(ctx.cse, "GET", "/devices", aslib.alg_none(token))
    check(r.status == 401 and "alg none" in r.json["error"], "alg none", r)
    other = ctx.auth.token("sensor-1", ADMIN_SCOPE, resource=aslib.OTHER)
    r = api(ctx.cse, "GET", "/devices", other)
    check(r.status == 401 and "wrong audience" in r.json["error"], "wrong audience", r)
    r = api(ctx.cse, "GET", "/devices")
    check(r.status == 401, "no credentials at all", r)


def test_admin_scope_removed(ctx):
    token = ctx.auth.token("sensor-1", ADMIN_SCOPE)
    check(api(ctx.cse, "GET", "/devices", token).status == 200, "admin before the reload")
    cssftest.write_policy(ctx.policy, {"tokens": tokens_section(ctx.auth, None)})
    ctx.cse.signal(signal.SIGHUP)
    r = None
    deadline = time.time() + 10  # the reload is asynchronous (SIGHUP)
    while time.time() < deadline:
        r = api(ctx.cse, "GET", "/devices", token)
        if r.status == 403:
            break
        time.sleep(0.1)
    check(r.status == 403, "no admin once admin_scope is gone", r)


def main():
    keydir = tempfile.mkdtemp(prefix="cssf-oauth-admin-")
    rc = 1
    try:
        with aslib.AuthServer(keys=[os.path.join(keydir, "as-keys.json")]) as auth:
            policy = os.path.join(keydir, "policy")
            os.mkdir(policy)
            cssftest.write_policy(policy, {"tokens": tokens_section(auth)})
            with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}) as cse:
                class Ctx:
                    pass
                ctx = Ctx()
                ctx.auth, ctx.cse, ctx.policy = auth, cse, policy
                rc = run_tests(globals(), ctx)
    finally:
        shutil.rmtree(keydir, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
