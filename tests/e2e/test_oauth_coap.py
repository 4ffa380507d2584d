"""Access tokens over CoAP/DTLS: a device posts its token from the real
Authorization Server (oidc-provider, tests/as) to /authz-info inside its
DTLS-PSK session (RFC 9200 §5.10.1, m2m-coap-client --authz-info); the CSE
verifies it, binds it to that session only, and checks it again on every
later request of the session, so an expired token stops working mid-session.
Bad tokens get 4.01, and /authz-info outside DTLS 4.03."""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "as"))
import aslib  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402

PSK_ID, PSK_KEY = "dev-1@example.net", "00112233445566778899aabbccddeeff"


def psk():
    return ["-u", PSK_ID, "-k", "0x" + PSK_KEY]


def test_association_alone(ctx):
    r = coaplib.client(ctx.secure, *psk(), "-f", "Cdev1")
    check(r.code == "4.03" and r.rsc == 4103, "DTLS-PSK authenticates, the ACPs deny", r)


def test_token_bound_to_the_session(ctx):
    token = ctx.auth.token("sensor-1", "cse.read")
    r = coaplib.client(ctx.secure, *psk(), "-f", "Csensor1", "--authz-info", token)
    check(r.code == "2.05" and r.rsc == 2000 and "authz-info: code=2.01" in r.stderr,
          "token posted, then the read runs with its scope", r)
    check("bound to DTLS session" in ctx.cse.read_output(), "binding logged")
    # A new session does not inherit it: Csensor1 is not the PSK identity's AE.
    r = coaplib.client(ctx.secure, *psk(), "-f", "Csensor1")
    check(r.rsc == 4106, "another session, no token", r)


def test_expired_mid_session(ctx):
    token = ctx.auth.token("sensor-1", "cse.read", resource=aslib.SHORT)
    r = coaplib.client(ctx.secure, *psk(), "-f", "Csensor1", "--authz-info", token,
                       "--repeat", "2", "--interval", "3500")
    first, _, second = r.stdout.partition("code=4.03")
    check(first.startswith("code=2.05 rsc=2000"), "accepted while valid", r)
    check("rsc=4103" in second and "token expired" in second, "then refused in the same session", r)


def test_bad_tokens_refused(ctx):
    good = ctx.auth.token("sensor-1", "cse.read")
    for bad, why in ((aslib.tampered(good), "bad signature"), (aslib.alg_none(good), "alg none"),
                     ("opaque-unknown", "opaque tokens need an introspection endpoint")):
        r = coaplib.client(ctx.secure, *psk(), "-f", "Csensor1", "--authz-info", bad)
        check(r.code == "4.01" and r.rsc == 4103 and why in r.stdout, "refused: " + why, r)


def test_authz_info_needs_dtls(ctx):
    token = ctx.auth.token("sensor-1", "cse.read")
    r = coaplib.client(ctx.plain, "-f", "Csensor1", "--authz-info", token)
    check(r.code == "4.03" and "DTLS session" in r.stdout, "plain CoAP cannot bind a token", r)


def main():
    with aslib.AuthServer() as auth:
        policy = tempfile.mkdtemp(prefix="cssf-oauth-coap-")
        cssftest.write_policy(policy, {
            "authentication": {"http": "optional", "coap": "required", "coaps": "required"},
            "tokens": {"issuer": auth.issuer, "audience": aslib.AUDIENCE,
                       "jwks_uri": auth.issuer + "/jwks", "clock_skew": 0,
                       "subjects": {"sensor-1": ["Csensor1"]},
                       "scopes": {"cse.read": {"ops": ["RETRIEVE"], "under": "/cse-in"}}}})
        opts = {"policy_dir": policy, "trust_claimed_admin": "true", "authentication": "optional"}
        coap = {"dtls": 1, "dtls_port": 0, "plain": 1, "port": 0}
        with Cse(plugin="cssf", plugin_opts=opts, sections={"coap": coap}) as cse:
            dev = {"id": "dev-1", "aeids": ["Cdev1"],
                   "credentials": {"psk": {"identity": PSK_ID, "key": PSK_KEY}}}
            r = cse.request("POST", "/cssf/v1/devices", origin="CAdmin",
                            raw_body=json.dumps(dev).encode(),
                            headers={"X-M2M-RVI": None, "X-M2M-RI": None})
            check(r.status == 201, "device with a PSK", r)
            ports = coaplib.coap_ports(cse)

            class Ctx:
                pass
            ctx = Ctx()
            ctx.auth, ctx.cse = auth, cse
            ctx.secure = "coaps://127.0.0.1:%d/cse-in" % ports["coaps"]
            ctx.plain = "coap://127.0.0.1:%d/cse-in" % ports["coap"]
            rc = run_tests(globals(), ctx)
    sys.exit(rc)


if __name__ == "__main__":
    main()
