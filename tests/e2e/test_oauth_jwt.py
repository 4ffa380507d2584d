"""Bearer JWT access tokens from a real Authorization Server (oidc-provider,
tests/as) sent to the real CSE with cssf.so: a valid token reads, and every
bad token is denied 4103 with its reason and an RFC 6750 challenge:
expired (even after it was once accepted), tampered, wrong audience, wrong
issuer, alg none, a symmetric algorithm made from the public key; a
subject speaking for an AE-ID it is not bound to gets 4106; a scope
without the operation gets 4103 insufficient_scope."""
import json
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

SCOPES = {
    "cse.read": {"ops": ["RETRIEVE", "DISCOVERY"], "under": "/cse-in"},
    "cse.create": {"ops": ["CREATE"], "under": "/cse-in"},
}


def tokens_section(auth):
    return {
        "issuer": auth.issuer,
        "audience": aslib.AUDIENCE,
        "jwks_uri": auth.issuer + "/jwks",
        "clock_skew": 0,
        "jwks_refresh": {"min_interval": 1},
        "subjects": {"sensor-1": ["Csensor1", "Csensor1-*"], "sensor-2": ["Csensor2"]},
        "scopes": SCOPES,
    }


def bearer(token):
    return {"Authorization": "Bearer " + token}


def get(cse, path, token, origin="Csensor1", **kw):
    return cse.retrieve(path, origin=origin, headers=bearer(token), **kw)


def denied(r, rsc, reason, error="invalid_token"):
    check(r.status == 403 and r.rsc == rsc, "expected %d" % rsc, r)
    dbg = (r.json or {}).get("m2m:dbg", "")
    check(reason in dbg, "reason %r" % reason, r)
    challenge = r.headers.get("www-authenticate", "")
    check(challenge.startswith("Bearer ") and 'error="%s"' % error in challenge,
          "challenge %s" % error, r)


def test_valid_token_reads(ctx):
    token = ctx.auth.token("sensor-1", "cse.read cse.create")
    r = ctx.cse.create("/cse-in", 2, cssftest.ae("sensor1"), origin="Csensor1",
                       headers=bearer(token))
    check(r.rsc == 2001, "AE registration with a token", r)
    r = get(ctx.cse, "/cse-in", token)
    check(r.status == 200 and r.rsc == 2000 and "m2m:cb" in r.json, "valid token reads", r)
    r = get(ctx.cse, "/cse-in/sensor1", token)
    check(r.rsc == 2000, "valid token reads the AE", r)
    # Only the admin may create directly under the CSEBase (no acpi there):
    # the scope grants it.
    r = ctx.cse.create("/cse-in", 3, {"m2m:cnt": {"rn": "shared"}}, origin="Csensor1",
                       headers=bearer(token))
    check(r.rsc == 2001, "cse.create grants CREATE under /cse-in", r)
    r = get(ctx.cse, "/cse-in/shared", token)
    check(r.rsc == 2000, "read the container", r)
    other = ctx.auth.token("sensor-2", "cse.read")
    r = ctx.cse.create("/cse-in", 2, cssftest.ae("sensor2"), origin="Csensor2",
                       headers=bearer(other))
    check(r.rsc == 2001, "second AE registered with its own token", r)


def test_scope_without_operation(ctx):
    token = ctx.auth.token("sensor-1", "cse.read")
    r = ctx.cse.create("/cse-in", 3, {"m2m:cnt": {"rn": "more"}}, origin="Csensor1",
                       headers=bearer(token))
    denied(r, 4103, "no token scope grants CREATE", error="insufficient_scope")
    # Another AE's resource: neither its (inherited) policy nor cse.read allows DELETE.
    r = ctx.cse.delete("/cse-in/sensor2", origin="Csensor1", headers=bearer(token))
    denied(r, 4103, "no token scope grants DELETE", error="insufficient_scope")
    r = get(ctx.cse, "/cse-in/sensor2", token)
    check(r.rsc == 2000, "but cse.read reads it", r)


def test_subject_from_mismatch(ctx):
    token = ctx.auth.token("sensor-2", "cse.read")
    r = get(ctx.cse, "/cse-in", token, origin="Csensor1")
    check(r.status == 403 and r.rsc == 4106, "sensor-2 may not speak as Csensor1", r)
    check("not bound to token subject 'sensor-2'" in r.json["m2m:dbg"], "reason", r)
    r = get(ctx.cse, "/cse-in", token, origin="Csensor2")
    check(r.rsc == 2000, "sensor-2 speaks as Csensor2", r)
    line = cssftest.wait_audit(ctx.cse, lambda l: l.get("event") == "authenticate" and
                               l.get("rsc") == 4106 and l.get("identity") == "sensor-2")
    check(line["method"] == "bearer" and line["from"] == "Csensor1", "audit line", line)


def test_expired_after_accepted(ctx):
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.SHORT)
    exp = aslib.parts(token)[1]["exp"]
    r = get(ctx.cse, "/cse-in", token)
    check(r.rsc == 2000, "short-lived token accepted while valid", r)
    r = get(ctx.cse, "/cse-in", token)
    check(r.rsc == 2000, "and again (from the result cache)", r)
    while time.time() < exp + 1:  # whole seconds: the plugin reads time() at 1 s granularity
        time.sleep(0.2)
    denied(get(ctx.cse, "/cse-in", token), 4103, "token expired")


def test_tampered_signature(ctx):
    token = ctx.auth.token("sensor-1", "cse.read")
    denied(get(ctx.cse, "/cse-in", aslib.tampered(token)), 4103, "bad signature")
    h, p, s = token.split(".")
    denied(get(ctx.cse, "/cse-in", "%s.%s.%s" % (h, p, s[:-4] + "AAAA")), 4103,
           "invalid bearer token")


def test_wrong_audience(ctx):
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.OTHER)
    check(aslib.parts(token)[1]["aud"] == "urn:example:other", "AS issued another audience")
    denied(get(ctx.cse, "/cse-in", token), 4103, "wrong audience")


def test_wrong_issuer(ctx):
    # Same signing key, another issuer: only the iss check can catch it.
    with aslib.AuthServer(keys=[ctx.keyfile], issuer="http://127.0.0.1:1/other") as other:
        token = other.token("sensor-1", "cse.read")
    check(aslib.parts(token)[0]["kid"] in ctx.auth.kids, "signed by the trusted key")
    denied(get(ctx.cse, "/cse-in", token), 4103, "wrong issuer")


def test_alg_none(ctx):
    token = ctx.auth.token("sensor-1", "cse.read")
    denied(get(ctx.cse, "/cse-in", aslib.alg_none(token)), 4103, "alg none")


def test_symmetric_alg_with_public_key(ctx):
    # HS256 keyed with the AS's public key (an algorithm confusion attack).
    token = ctx.auth.token("sensor-1", "cse.read")
    header, claims, _ = aslib.parts(token)
    jwks = json.loads(ctx.cse_jwks)
    pub = json.dumps(jwks["keys"][0]).encode()
    key = {"kty": "oct", "k": aslib.b64url(pub), "alg": "HS256", "kid": header["kid"]}
    forged = aslib.sign(key, claims, {"typ": "at+jwt"})
    denied(get(ctx.cse, "/cse-in", forged), 4103, "algorithm not accepted")


def test_missing_token_gets_challenge(ctx):
    r = ctx.cse.retrieve("/cse-in", origin="Csensor1")
    check(r.rsc == 4107, "no association, no token", r)
    check(r.headers.get("www-authenticate", "").startswith('Bearer realm="'), "realm", r)


def test_malformed_tokens(ctx):
    for bad in ("a.b.c", "x" * 9000, "eyJhbGciOiJFUzI1NiJ9.e30.", "a.b.c.d.e"):
        r = get(ctx.cse, "/cse-in", bad)
        check(r.status in (400, 403) and r.rsc in (4000, 4103), "malformed %r" % bad[:20], r)


def test_concurrent_requests(ctx):
    # Fresh tokens on several threads at once: verification (liboauth2 under
    # its lock), the result cache and the JWKS keys are shared.
    import threading
    tokens = [ctx.auth.token("sensor-1", "cse.read") for _ in range(6)]
    bad = [aslib.tampered(t) for t in tokens[:2]]
    results = []

    def worker(i):
        for k in range(15):
            t = tokens[(i + k) % len(tokens)] if k % 5 else bad[k % 2]
            results.append((t in bad, get(ctx.cse, "/cse-in", t).rsc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(len(results) == 90, "every request answered", len(results))
    check(all(rsc == (4103 if is_bad else 2000) for is_bad, rsc in results), "right answers",
          [r for r in results if r[1] != (4103 if r[0] else 2000)])


def test_check_policies_and_reload_refuse_bad_tokens(ctx):
    import subprocess
    from cselib import CSE_BIN, CSSF_PLUGIN
    bad = tempfile.mkdtemp(prefix="cssf-oauth-bad-")
    section = tokens_section(ctx.auth)
    section["algorithms"] = ["ES256", "none"]
    cssftest.write_policy(bad, {"tokens": section})
    cfg = os.path.join(bad, "check.ini")
    with open(cfg, "w") as f:
        f.write("[store]\npath = %s\n[plugin]\npath = %s\n" % (os.path.join(bad, "x.db"),
                                                                CSSF_PLUGIN))
    p = subprocess.run([CSE_BIN, "--config", cfg, "--check-policies", bad], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode != 0 and "tokens.algorithms[1]: alg none is never accepted" in p.stderr,
          "--check-policies names the problem", p.returncode, p.stderr)
    # The same section on SIGHUP: refused, the running policy stays.
    import signal
    cssftest.write_policy(ctx.policy, {"tokens": section})
    ctx.cse.signal(signal.SIGHUP)
    cssftest.wait_output(ctx.cse, "reload refused")
    check("alg none is never accepted" in ctx.cse.read_output(), "reason logged")
    check(get(ctx.cse, "/cse-in", ctx.auth.token("sensor-1", "cse.read")).rsc == 2000,
          "the old token settings still work")
    cssftest.write_policy(ctx.policy, {"tokens": tokens_section(ctx.auth)})


def main():
    keydir = tempfile.mkdtemp(prefix="cssf-oauth-")
    keyfile = os.path.join(keydir, "as-keys.json")
    with aslib.AuthServer(keys=[keyfile]) as auth:
        policy = tempfile.mkdtemp(prefix="cssf-oauth-policy-")
        cssftest.write_policy(policy, {"tokens": tokens_section(auth)})
        with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}) as cse:
            class Ctx:
                pass
            ctx = Ctx()
            ctx.auth, ctx.cse, ctx.keyfile, ctx.policy = auth, cse, keyfile, policy
            import urllib.request
            with urllib.request.urlopen(auth.issuer + "/jwks", timeout=5) as resp:
                ctx.cse_jwks = resp.read().decode()
            rc = run_tests(globals(), ctx)
    sys.exit(rc)


if __name__ == "__main__":
    main()
