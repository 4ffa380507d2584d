"""oneM2M dynamic-authorization tokens (tkns in Authorization without a
scheme, JWS joined by '+'; over CoAP in Uri-Query) against the real CSE with
cssf.so: signed by the configured Dynamic Authorization Server key, with
either claim spelling, they grant what their permissions say to their holder
only, within tknb..tkna, for this CSE's ID; anything else stays denied 4103."""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "as"))
import aslib  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402

READ_CSE = {"pm": [{"ris": ["/cse-in"], "pv": {"acr": [{"acop": 2}]}}]}


def m2m_time(t):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))


def token(ctx, holder="Cmeter", aud=("/id-in",), perms=READ_CSE, short=False, ttl=300, key=None):
    now = int(time.time())
    if short:
        claims = {"tkid": "t-short", "tkhd": holder, "tknb": m2m_time(now - 60),
                  "tkna": m2m_time(now + ttl), "tkps": perms}
    else:
        claims = {"jti": "t-long", "azp": holder, "nbf": now - 60, "exp": now + ttl,
                  "permissions": perms}
    claims.update({"iss": "das.example", "aud": list(aud)})
    return aslib.sign(key or ctx.key, claims, {"typ": "JWT"})


def get(cse, tkns, origin="Cmeter"):
    return cse.retrieve("/cse-in", origin=origin, headers={"Authorization": tkns})


def denied(r, reason):
    check(r.status == 403 and r.rsc == 4103, "denied 4103", r)
    check(reason in r.json["m2m:dbg"], "reason %r" % reason, r)


def test_no_token_no_access(ctx):
    r = ctx.cse.retrieve("/cse-in", origin="Cmeter")
    check(r.rsc == 4103, "the ACPs alone deny", r)


def test_token_grants_its_permission(ctx):
    r = get(ctx.cse, token(ctx))
    check(r.rsc == 2000 and "m2m:cb" in r.json, "long claim names", r)
    r = get(ctx.cse, token(ctx, short=True, aud=("/id-*",)))
    check(r.rsc == 2000, "short claim names, audience pattern", r)
    line = cssftest.wait_audit(ctx.cse, lambda l: l.get("event") == "request" and
                               "dynamic authorization" in (l.get("reason") or ""))
    check("token=t-" in line["reason"], "the decision names the token", line)


def test_only_the_holder(ctx):
    denied(get(ctx.cse, token(ctx), origin="Cother"), "not the holder of token t-long")


def test_only_the_permitted_operation(ctx):
    r = ctx.cse.create("/cse-in", 3, {"m2m:cnt": {"rn": "x"}}, origin="Cmeter",
                       headers={"Authorization": token(ctx)})
    denied(r, "no permission matches in token t-long")


def test_bad_tokens(ctx):
    denied(get(ctx.cse, token(ctx, ttl=-120)), "token expired")
    denied(get(ctx.cse, token(ctx, short=True, ttl=-120)), "token expired")
    denied(get(ctx.cse, token(ctx, aud=("/id-mn",))), "wrong audience")
    denied(get(ctx.cse, token(ctx, key=ctx.other)), "unknown signing key")
    good = token(ctx)
    h, p, s = good.split(".")
    denied(get(ctx.cse, "%s.%s.%s" % (h, aslib.tampered(good).split(".")[1], s)),
           "bad signature")
    denied(get(ctx.cse, aslib.alg_none(good)), "alg none")


def test_list_of_tokens(ctx):
    bad = token(ctx, aud=("/id-mn",))
    r = get(ctx.cse, bad + "+" + token(ctx))
    check(r.rsc == 2000, "one good token in the list is enough", r)


def test_over_coap_uri_query(ctx):
    uri = "coap://127.0.0.1:%d/cse-in" % coaplib.coap_ports(ctx.cse)["coap"]
    r = coaplib.client(uri, "-f", "Cmeter")
    check(r.code == "4.03" and r.rsc == 4103, "CoAP without a token", r)
    tkn = token(ctx, perms={"pm": [{"ris": ["/cse-in"], "pv": {"acr": [{"acop": 2}]}}]})
    check(len(tkn) < 1000, "fits one Uri-Query option", len(tkn))
    r = coaplib.client(uri + "?tkns=" + tkn, "-f", "Cmeter")
    check(r.code == "2.05" and r.rsc == 2000, "tkns in Uri-Query grants the read", r)
    r = coaplib.client(uri + "?tkns=" + tkn, "-f", "Cother")
    check(r.rsc == 4103, "still only for its holder", r)


def main():
    aslib.require_node()
    policy = tempfile.mkdtemp(prefix="cssf-dynauth-")
    key, other = aslib.genkey(), aslib.genkey()
    cssftest.write_policy(policy, {
        "authentication": "optional",
        "tokens": {"dynamic_authorization": {"issuer": "das.example",
                                             "jwks": {"keys": [aslib.public(key)]}}}})
    coap = {"plain": 1, "port": 0, "dtls": 0}
    with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}, sections={"coap": coap}) as cse:
        for ae in ("meter", "other"):
            r = cse.create("/cse-in", 2, cssftest.ae(ae), origin="C" + ae)
            check(r.rsc == 2001, "register", r)

        class Ctx:
            pass
        ctx = Ctx()
        ctx.cse, ctx.key, ctx.other = cse, key, other
        rc = run_tests(globals(), ctx)
    sys.exit(rc)


if __name__ == "__main__":
    main()
