#!/usr/bin/env python3
"""Resources over HTTP against the real onem2m-cse (insecure mode): CREATE,
RETRIEVE, UPDATE and DELETE of every type with exact status codes and
attributes, la/ol, container quotas, expiry, result content, addressing,
and persistence across a restart."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check, run_tests  # noqa: E402

TS = re.compile(r"^\d{8}T\d{6},\d{6}$")
AE = {"m2m:ae": {"rn": "app", "api": "Napp", "rr": True, "srv": ["3"]}}


def expect(r, status, rsc, what=""):
    check(r.status == status and r.rsc == rsc,
          "expected HTTP %d / rsc %d %s" % (status, rsc, what), r)
    return r


def attrs(r, wrapper):
    check(r.json and wrapper in r.json, "body has %s" % wrapper, r)
    return r.json[wrapper]


def test_cse_base(cse):
    cb = attrs(expect(cse.retrieve("/cse-in"), 200, 2000), "m2m:cb")
    check(cb["ri"] == "id-in" and cb["rn"] == "cse-in" and cb["csi"] == "/id-in", "ids", cb)
    check(cb["ty"] == 5 and cb["cst"] == 1, "ty/cst", cb)
    check(set(cb["srv"]) == {"2a", "3", "4", "5"}, "srv", cb)
    check(TS.match(cb["ct"]) and TS.match(cb["lt"]), "timestamps", cb)
    check(isinstance(cb.get("poa"), list), "poa", cb)
    for to in ("/id-in", "/~/id-in", "/~/id-in/cse-in"):
        expect(cse.retrieve(to), 200, 2000, to)
    expect(cse.update("/cse-in", {"m2m:cb": {"lbl": ["x"]}}), 405, 4005)
    expect(cse.delete("/cse-in"), 405, 4005)
    expect(cse.create("/cse-in", 5, {"m2m:cb": {}}), 405, 4005)


def test_ae_crud(cse):
    r = expect(cse.create("/cse-in", 2, AE, origin="Capp"), 201, 2001)
    ae = attrs(r, "m2m:ae")
    check(ae["aei"] == "Capp" and ae["ri"] == "Capp" and ae["pi"] == "id-in", "ids", ae)
    for k in ("ct", "lt", "et"):
        check(TS.match(ae[k]), "timestamp " + k, ae)
    check(ae["ct"] == ae["lt"], "ct == lt at creation", ae)
    check(r.headers.get("content-location") == "/cse-in/app", "Content-Location", r)
    got = attrs(expect(cse.retrieve("/cse-in/app", origin="Capp"), 200, 2000), "m2m:ae")
    check(got == ae, "retrieve equals create", got, ae)
    expect(cse.retrieve("/Capp", origin="Capp"), 200, 2000)
    time.sleep(0.01)
    up = attrs(expect(cse.update("/cse-in/app", {"m2m:ae": {"lbl": ["a"], "apn": "n"}},
                                 origin="Capp"), 200, 2004), "m2m:ae")
    check(up["lbl"] == ["a"] and up["apn"] == "n" and up["lt"] > ae["lt"] and up["ct"] == ae["ct"],
          "update applied", up)
    expect(cse.update("/cse-in/app", {"m2m:ae": {"api": "Nother"}}, origin="Capp"), 400, 4000)
    expect(cse.update("/cse-in/app", {"m2m:ae": {"aei": "Cx"}}, origin="Capp"), 400, 4000)
    expect(cse.update("/cse-in/app", {"m2m:ae": {"bogus": 1}}, origin="Capp"), 400, 4000)


def test_container_and_instances(cse):
    cnt = attrs(expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "t", "mni": 3, "cr": None}},
                                  origin="Capp"), 201, 2001), "m2m:cnt")
    check(cnt["cni"] == 0 and cnt["cbs"] == 0 and cnt["st"] == 0 and cnt["mni"] == 3, "new", cnt)
    check(cnt["cr"] == "Capp", "cr set from the originator", cnt)
    for i in range(5):
        cin = attrs(expect(cse.create("/cse-in/app/t", 4, {"m2m:cin": {
            "con": "v%d" % i, "cnf": "text/plain:0"}}, origin="Capp"), 201, 2001), "m2m:cin")
        check(cin["cs"] == 2 and cin["st"] == i + 1 and cin["cnf"] == "text/plain:0", "cin", cin)
        check("acpi" not in cin, "contentInstance has no acpi", cin)
    cnt = attrs(cse.retrieve("/cse-in/app/t"), "m2m:cnt")
    check(cnt["cni"] == 3 and cnt["cbs"] == 6 and cnt["st"] == 5, "quota mni", cnt)
    check(attrs(cse.retrieve("/cse-in/app/t/la"), "m2m:cin")["con"] == "v4", "la")
    check(attrs(cse.retrieve("/cse-in/app/t/ol"), "m2m:cin")["con"] == "v2", "ol")
    expect(cse.update("/cse-in/app/t/la", {"m2m:cin": {"lbl": ["x"]}}), 405, 4005)
    expect(cse.delete("/cse-in/app/t/ol"), 200, 2002)
    check(attrs(cse.retrieve("/cse-in/app/t/ol"), "m2m:cin")["con"] == "v3", "ol after delete")
    cnt = attrs(cse.retrieve("/cse-in/app/t"), "m2m:cnt")
    check(cnt["cni"] == 2 and cnt["cbs"] == 4, "counts after delete", cnt)
    # mbs: a too-big instance is refused, a smaller mbs evicts.
    up = attrs(expect(cse.update("/cse-in/app/t", {"m2m:cnt": {"mbs": 3}}), 200, 2004), "m2m:cnt")
    check(up["cni"] == 1 and up["cbs"] == 2, "mbs eviction", up)
    expect(cse.create("/cse-in/app/t", 4, {"m2m:cin": {"con": "toolong"}}), 406, 5207)
    # Parent/child rules.
    expect(cse.create("/cse-in/app", 4, {"m2m:cin": {"con": "x"}}), 403, 4108)
    expect(cse.create("/cse-in/app/t/la", 3, {"m2m:cnt": {}}), 403, 4108)
    # Nested containers, duplicate names.
    expect(cse.create("/cse-in/app/t", 3, {"m2m:cnt": {"rn": "sub"}}), 201, 2001)
    expect(cse.create("/cse-in/app/t", 3, {"m2m:cnt": {"rn": "sub"}}), 409, 4105)
    expect(cse.retrieve("/cse-in/app/t/nothing/la"), 404, 4004)


def test_bad_bodies(cse):
    cases = [
        (3, {"m2m:cnt": {"unknown": 1}}),
        (3, {"m2m:cnt": {"mni": "3"}}),
        (3, {"m2m:cnt": {"mni": -1}}),
        (3, {"m2m:cnt": {"ri": "mine"}}),
        (3, {"m2m:cnt": {"ct": "20240101T000000"}}),
        (3, {"m2m:cnt": {"cr": "Cother"}}),
        (3, {"m2m:ae": {}}),
        (3, {"m2m:cnt": {}, "m2m:cin": {}}),
        (3, {"m2m:cnt": {"et": "20000101T000000"}}),
        (3, {"m2m:cnt": {"acpi": ["noSuchAcp"]}}),
        (3, {"m2m:cnt": {"rn": "la"}}),
        (4, {"m2m:cin": {"cnf": "text/plain:0"}}),
        (1, {"m2m:acp": {"pv": {"acr": []}, "pvs": {"acr": []}}}),
        (1, {"m2m:acp": {"pv": {"acr": []}}}),
        (42, {"m2m:xyz": {}}),
    ]
    for ty, body in cases:
        parent = "/cse-in/app/t" if ty == 4 else "/cse-in/app"
        r = expect(cse.create(parent, ty, body), 400, 4000, repr(body))
        check(r.json and r.json.get("m2m:dbg"), "a reason", r)
    r = cse.request("POST", "/cse-in/app", raw_body=b"{not json", ty=3, origin="CAdmin")
    expect(r, 400, 4000)
    # The reason names the attribute.
    r = cse.create("/cse-in/app", 3, {"m2m:cnt": {"mni": True}})
    check("mni" in r.json["m2m:dbg"], "attribute named", r)


def test_acp(cse):
    acp = {"m2m:acp": {"rn": "acp1", "pv": {"acr": [{"acor": ["all"], "acop": 2}]},
                       "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
    a = attrs(expect(cse.create("/cse-in", 1, acp), 201, 2001), "m2m:acp")
    check(a["ty"] == 1 and a["pv"] == acp["m2m:acp"]["pv"], "acp attributes", a)
    c = attrs(expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "g", "acpi": [a["ri"]]}}),
                     201, 2001), "m2m:cnt")
    check(c["acpi"] == [a["ri"]], "acpi kept", c)
    expect(cse.update("/cse-in/acp1", {"m2m:acp": {"pvs": {"acr": []}}}), 400, 4000)
    expect(cse.update("/cse-in/acp1", {"m2m:acp": {"pv": {"acr": [{"acor": ["all"], "acop": 99}]}}}),
           400, 4000)
    up = attrs(expect(cse.update("/cse-in/acp1", {"m2m:acp": {
        "pv": {"acr": [{"acor": ["all"], "acop": 3, "acco": [{"actw": ["* * * * * * *"]}]}]}}}),
        200, 2004), "m2m:acp")
    check(up["pv"]["acr"][0]["acop"] == 3, "pv updated", up)
    expect(cse.create("/cse-in/app/g", 1, acp), 403, 4108)  # not under a container


def test_result_content(cse):
    expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "rc"}}), 201, 2001)
    r = expect(cse.request("POST", "/cse-in/app/rc?rcn=0", body={"m2m:cin": {"con": "a"}},
                           ty=4, origin="CAdmin"), 201, 2001)
    check(not r.raw, "rcn=0: no content", r)
    r = expect(cse.request("POST", "/cse-in/app/rc?rcn=2", body={"m2m:cnt": {"rn": "k"}}, ty=3,
                           origin="CAdmin"), 201, 2001)
    check(r.json == {"m2m:uri": "cse-in/app/rc/k"}, "rcn=2", r)
    r = expect(cse.request("POST", "/cse-in/app/rc?rcn=3", body={"m2m:cin": {"con": "b"}}, ty=4,
                           origin="CAdmin"), 201, 2001)
    check("m2m:cin" in r.json["m2m:rce"] and "uri" in r.json["m2m:rce"], "rcn=3", r)
    expect(cse.request("POST", "/cse-in/app/rc?rcn=5", body={"m2m:cnt": {}}, ty=3,
                       origin="CAdmin"), 400, 4000)
    r = expect(cse.retrieve("/cse-in/app/rc?rcn=4"), 200, 2000)
    c = r.json["m2m:cnt"]
    check(len(c["m2m:cin"]) == 2 and len(c["m2m:cnt"]) == 1 and c["rn"] == "rc", "rcn=4", r)
    r = expect(cse.retrieve("/cse-in/app/rc?rcn=5"), 200, 2000)
    check(sorted(x["typ"] for x in r.json["m2m:cnt"]["ch"]) == [3, 4, 4], "rcn=5", r)
    r = expect(cse.retrieve("/cse-in/app/rc?rcn=6"), 200, 2000)
    check(len(r.json["m2m:rrl"]["rrf"]) == 3, "rcn=6", r)
    r = expect(cse.retrieve("/cse-in/app/rc?rcn=8"), 200, 2000)
    check("rn" not in r.json["m2m:cnt"] and len(r.json["m2m:cnt"]["m2m:cin"]) == 2, "rcn=8", r)
    for bad in (0, 2, 3, 9):
        expect(cse.retrieve("/cse-in/app/rc?rcn=%d" % bad), 400, 4000, "retrieve rcn=%d" % bad)
    r = expect(cse.request("PUT", "/cse-in/app/rc?rcn=9", body={"m2m:cnt": {"lbl": ["m"]}},
                           origin="CAdmin"), 200, 2004)
    check(r.json == {"m2m:cnt": {"lbl": ["m"]}}, "rcn=9 modified attributes", r)
    r = expect(cse.request("PUT", "/cse-in/app/rc?rcn=0", body={"m2m:cnt": {"lbl": ["n"]}},
                           origin="CAdmin"), 200, 2004)
    check(not r.raw, "update rcn=0", r)
    r = expect(cse.request("DELETE", "/cse-in/app/rc/k?rcn=1", origin="CAdmin"), 200, 2002)
    check(r.json["m2m:cnt"]["rn"] == "k", "delete rcn=1", r)
    expect(cse.request("DELETE", "/cse-in/app/rc?rcn=4", origin="CAdmin"), 400, 4000)


def test_addressing(cse):
    for to in ("/cse-in/app", "/Capp", "/~/id-in/cse-in/app", "/~/id-in/Capp",
               "/_/example.net/id-in/cse-in/app"):
        expect(cse.retrieve(to), 200, 2000, to)
    r = cse.retrieve("/~/id-other/cse-in")
    check(r.rsc == 5103, "another CSE is not reachable", r)
    check("id-other" in r.json["m2m:dbg"], "reason names the CSE", r)
    expect(cse.retrieve("/cse-in/none"), 404, 4004)
    expect(cse.retrieve("/none"), 404, 4004)


def test_expiry(cse):
    et = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + 2))
    expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "brief", "et": et}}), 201, 2001)
    expect(cse.create("/cse-in/app/brief", 4, {"m2m:cin": {"con": "x"}}), 201, 2001)
    expect(cse.retrieve("/cse-in/app/brief/la"), 200, 2000)
    time.sleep(3.2)
    expect(cse.retrieve("/cse-in/app/brief"), 404, 4004)
    expect(cse.retrieve("/cse-in/app/brief/la"), 404, 4004)
    expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "brief"}}), 201, 2001)  # name free
    expect(cse.create("/cse-in/app", 3, {"m2m:cnt": {"rn": "aged", "mia": 1}}), 201, 2001)
    expect(cse.create("/cse-in/app/aged", 4, {"m2m:cin": {"con": "x"}}), 201, 2001)
    time.sleep(2.2)
    cnt = attrs(cse.retrieve("/cse-in/app/aged"), "m2m:cnt")
    check(cnt["cni"] == 0, "mia removed the instance", cnt)


def test_delete_subtree(cse):
    expect(cse.create("/cse-in", 2, {"m2m:ae": {"rn": "tmp", "api": "Nt", "rr": False,
                                                 "srv": ["4"]}}, origin="Ctmp"), 201, 2001)
    expect(cse.create("/cse-in/tmp", 3, {"m2m:cnt": {"rn": "a"}}), 201, 2001)
    expect(cse.create("/cse-in/tmp/a", 3, {"m2m:cnt": {"rn": "b"}}), 201, 2001)
    expect(cse.create("/cse-in/tmp/a/b", 4, {"m2m:cin": {"con": "x"}}), 201, 2001)
    expect(cse.delete("/cse-in/tmp", origin="Ctmp"), 200, 2002)
    for to in ("/cse-in/tmp", "/cse-in/tmp/a", "/cse-in/tmp/a/b", "/Ctmp"):
        expect(cse.retrieve(to), 404, 4004, to)
    expect(cse.delete("/cse-in/tmp"), 404, 4004)


def test_restart_keeps_everything(cse):
    before = cse.retrieve("/cse-in/app/t?rcn=4").json
    cse.stop()
    cse.start()
    after = cse.retrieve("/cse-in/app/t?rcn=4").json
    check(before == after, "same container tree after restart", before, after)
    expect(cse.create("/cse-in", 2, AE, origin="Capp"), 403, 4117)


def main():
    with Cse(insecure=True, sections={"cse": {"sp_id": "//example.net"}}) as cse:
        rc = run_tests(globals(), cse)
        code = cse.stop()
        if code != 0:
            print("FAIL onem2m-cse exited with %s:\n%s" % (code, cse.read_output()[-3000:]))
            rc = 1
        return rc


if __name__ == "__main__":
    sys.exit(main())
