#!/usr/bin/env python3
"""AE registration over HTTP against the real onem2m-cse (insecure mode),
as TS-0001 §10.2.2.2 / TS-0004 §7.4.5.2.1 describe it: assigned and
pre-provisioned AE-IDs, 4117, 4105, 4108, 4107, api and mandatory
attributes, cr, re-registration after DELETE and after expiry."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check, run_tests  # noqa: E402


def ae(rn=None, api="Nreg", rr=True, srv=("3",), **extra):
    body = {"api": api, "rr": rr, "srv": list(srv)}
    if rn:
        body["rn"] = rn
    body.update(extra)
    return {"m2m:ae": body}


def expect(r, status, rsc, what=""):
    check(r.status == status and r.rsc == rsc,
          "expected HTTP %d / rsc %d %s" % (status, rsc, what), r)
    return r


def register(cse, origin, body, **kw):
    return cse.create("/cse-in", 2, body, origin=origin, **kw)


def test_assigned_ids(cse):
    seen = set()
    for origin, prefix in ((None, "C"), ("C", "C"), ("S", "S"), ("", "C")):
        r = expect(register(cse, origin, ae()), 201, 2001, repr(origin))
        a = r.json["m2m:ae"]
        check(a["aei"].startswith(prefix) and len(a["aei"]) > 3, "assigned AE-ID", a)
        check(a["ri"] == a["aei"], "ri equals aei", a)
        check(a["rn"], "a name is assigned", a)
        check(a["aei"] not in seen, "unique", a)
        seen.add(a["aei"])
        expect(cse.retrieve("/" + a["aei"], origin=a["aei"]), 200, 2000)


def test_pre_provisioned(cse):
    r = expect(register(cse, "Csensor01", ae("sensor01")), 201, 2001)
    check(r.json["m2m:ae"]["aei"] == "Csensor01", "the stem is kept", r)
    r = expect(register(cse, "Sgateway", ae("gw")), 201, 2001)
    check(r.json["m2m:ae"]["aei"] == "Sgateway", "S stem kept", r)
    r = expect(register(cse, "/id-in/Cspr", ae("spr")), 201, 2001)
    check(r.json["m2m:ae"]["aei"] == "Cspr", "SP-relative form of this CSE", r)


def test_already_registered(cse):
    expect(register(cse, "Csensor01", ae("another")), 403, 4117)
    expect(register(cse, "Cnew", ae("sensor01")), 409, 4105)


def test_structure_rules(cse):
    expect(cse.create("/cse-in/sensor01", 2, ae("inner"), origin="Cinner"), 403, 4108)
    expect(cse.create("/cse-in", 3, {"m2m:cnt": {"rn": "box"}}), 201, 2001)
    expect(cse.create("/cse-in/box", 2, ae("inbox"), origin="Cinbox"), 403, 4108)


def test_cse_id_as_originator(cse):
    for origin in ("/id-in", "id-in"):
        expect(register(cse, origin, ae("x" + origin.strip("/"))), 403, 4107, origin)


def test_api_and_mandatory(cse):
    expect(register(cse, "Capi1", ae("a1", api="xyz")), 400, 4000)
    expect(register(cse, "Capi2", ae("a2", api="")), 400, 4000)
    expect(register(cse, "Capi3", ae("a3", api="rOld"), rvi="4"), 400, 4000)
    expect(register(cse, "Capi4", ae("a4", api="rOld"), rvi="3"), 201, 2001)
    expect(register(cse, "Capi5", ae("a5", api="rOld"), rvi="2a"), 201, 2001)
    expect(register(cse, "Capi6", ae("a6", api="Rregistered")), 201, 2001)
    body = ae("a7")
    del body["m2m:ae"]["rr"]
    r = expect(register(cse, "Capi7", body), 400, 4000)
    check("rr" in r.json["m2m:dbg"], "names rr", r)
    body = ae("a8")
    del body["m2m:ae"]["srv"]
    expect(register(cse, "Capi8", body), 400, 4000)
    expect(register(cse, "Capi9", ae("a9", srv=())), 400, 4000)
    expect(register(cse, "Capi10", ae("a10", srv=("9",))), 400, 4000)
    expect(register(cse, "Capi11", ae("a11", aei="Cforced")), 400, 4000)
    expect(register(cse, "Capi12", {"m2m:cnt": {"rn": "a12"}}), 400, 4000)
    expect(register(cse, "notAnAeId", ae("a13")), 400, 4000)


def test_creator(cse):
    r = expect(register(cse, "Ccr", ae("cr", cr=None)), 201, 2001)
    check(r.json["m2m:ae"]["cr"] == "Ccr", "cr is the AE-ID", r)
    r = expect(register(cse, "C", ae("cr2", cr=None)), 201, 2001)
    check(r.json["m2m:ae"]["cr"] == r.json["m2m:ae"]["aei"], "cr is the assigned AE-ID", r)
    r = expect(register(cse, "Cnocr", ae("nocr")), 201, 2001)
    check("cr" not in r.json["m2m:ae"], "no cr unless asked", r)
    expect(register(cse, "Ccr3", ae("cr3", cr="Csomeone")), 400, 4000)


def test_reregistration(cse):
    expect(cse.delete("/cse-in/sensor01", origin="Csensor01"), 200, 2002)
    expect(cse.retrieve("/Csensor01"), 404, 4004)
    expect(register(cse, "Csensor01", ae("sensor01")), 201, 2001)
    et = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + 2))
    expect(register(cse, "Cshort", ae("short", et=et)), 201, 2001)
    expect(register(cse, "Cshort", ae("short2")), 403, 4117)
    time.sleep(3.2)
    expect(cse.retrieve("/cse-in/short"), 404, 4004)
    expect(register(cse, "Cshort", ae("short")), 201, 2001)


def test_missing_origin_other_ops(cse):
    expect(cse.request("GET", "/cse-in"), 400, 4000)


def main():
    with Cse(insecure=True) as cse:
        rc = run_tests(globals(), cse)
        code = cse.stop()
        if code != 0:
            print("FAIL onem2m-cse exited with %s:\n%s" % (code, cse.read_output()[-3000:]))
            rc = 1
        return rc


if __name__ == "__main__":
    sys.exit(main())
