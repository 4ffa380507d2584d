"""Fail closed, recover by itself: with the Authorization Server stopped, a
JWT signed by a key the CSE already fetched still works, while a JWT whose
key (kid) the CSE has never seen is denied because the JWKS endpoint cannot
be asked; once the AS is back with the new key, the same token works
without restarting the CSE, and both transitions are logged once."""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "as"))
import aslib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402


def get(cse, token):
    return cse.retrieve("/cse-in", origin="Csensor1",
                        headers={"Authorization": "Bearer " + token})


def test_outage_and_recovery(ctx):
    cssftest.wait_output(ctx.cse, "cssf: tokens: jwks_uri")
    old_key_token = ctx.auth.token("sensor-1", "cse.read")
    ctx.auth.stop()
    # A second server signs with a key the CSE never saw, under the same issuer.
    with aslib.AuthServer(keys=[ctx.k2], issuer=ctx.auth.issuer) as rotated:
        new_key_token = rotated.token("sensor-1", "cse.read")
    check(aslib.parts(new_key_token)[0]["kid"] not in ctx.auth.kids, "a new kid")

    r = get(ctx.cse, old_key_token)
    check(r.rsc == 2000, "cached key keeps a valid JWT working", r)
    time.sleep(1.1)  # jwks_refresh.min_interval: the unknown kid may ask the AS again
    r = get(ctx.cse, new_key_token)
    check(r.status == 403 and r.rsc == 4103, "unknown kid denied", r)
    check("signing key unknown and the JWKS endpoint is unreachable" in r.json["m2m:dbg"],
          "reason names the outage", r)
    cssftest.wait_output(ctx.cse, "unreachable or unusable")
    time.sleep(1.1)
    check(get(ctx.cse, new_key_token).rsc == 4103, "still denied while the AS is down")
    check(ctx.cse.read_output().count("unreachable or unusable") == 1, "logged once",
          ctx.cse.output)

    # The AS comes back (same port) publishing both keys.
    ctx.auth.keys = [ctx.k1, ctx.k2]
    ctx.auth.start()
    time.sleep(1.1)  # jwks_refresh.min_interval
    r = get(ctx.cse, new_key_token)
    check(r.rsc == 2000, "recovered without a restart", r)
    check(get(ctx.cse, old_key_token).rsc == 2000, "old key still valid")
    cssftest.wait_output(ctx.cse, "reachable again: 2 keys")


def main():
    keydir = tempfile.mkdtemp(prefix="cssf-oauth-keys-")
    k1, k2 = os.path.join(keydir, "k1.json"), os.path.join(keydir, "k2.json")
    with aslib.AuthServer(keys=[k1]) as auth:
        policy = tempfile.mkdtemp(prefix="cssf-oauth-down-")
        cssftest.write_policy(policy, {"tokens": {
            "issuer": auth.issuer, "audience": aslib.AUDIENCE,
            "jwks_uri": auth.issuer + "/jwks", "http_timeout": 2,
            "jwks_refresh": {"min_interval": 1},
            "subjects": {"sensor-1": ["Csensor1"]},
            "scopes": {"cse.read": {"ops": ["RETRIEVE"], "under": "/"}}}})
        with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}) as cse:
            class Ctx:
                pass
            ctx = Ctx()
            ctx.auth, ctx.cse, ctx.k1, ctx.k2 = auth, cse, k1, k2
            rc = run_tests(globals(), ctx)
    sys.exit(rc)


if __name__ == "__main__":
    main()
