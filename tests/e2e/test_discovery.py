#!/usr/bin/env python3
"""Discovery (fu=1) over HTTP against the real onem2m-cse: m2m:uril in tree
order, every filter (ty, lbl, crb/cra, ms/us, exb/exa, sts/stb, lvl, lim,
ofst), drt, rcn for discovery, and with a security plugin only what the
originator may DISCOVER."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check, run_tests  # noqa: E402


def expect(r, status, rsc, what=""):
    check(r.status == status and r.rsc == rsc,
          "expected HTTP %d / rsc %d %s" % (status, rsc, what), r)
    return r


def names(cse, query, target="/cse-in/home"):
    r = expect(cse.retrieve("%s?fu=1&%s" % (target, query)), 200, 2000, query)
    uril = r.json["m2m:uril"]
    return [u.rsplit("/", 1)[-1] for u in uril]


MID = {}


def build(cse):
    mk = lambda parent, ty, body: expect(cse.create(parent, ty, body), 201, 2001, repr(body))
    mk("/cse-in", 2, {"m2m:ae": {"rn": "home", "api": "Nhome", "rr": True, "srv": ["3"]}})
    mk("/cse-in/home", 3, {"m2m:cnt": {"rn": "kitchen", "lbl": ["room", "floor/1"]}})
    mk("/cse-in/home/kitchen", 4, {"m2m:cin": {"rn": "k1", "con": "21", "lbl": ["temp"]}})
    mk("/cse-in/home/kitchen", 3, {"m2m:cnt": {"rn": "fridge"}})
    mk("/cse-in/home/kitchen/fridge", 4, {"m2m:cin": {"rn": "f1", "con": "4"}})
    time.sleep(0.02)
    MID["t"] = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + ",%06d" % int(
        (time.time() % 1) * 1e6)
    time.sleep(0.02)
    mk("/cse-in/home", 3, {"m2m:cnt": {"rn": "garage", "lbl": ["floor/0"],
                                       "et": "20991231T000000"}})
    mk("/cse-in/home/garage", 4, {"m2m:cin": {"rn": "g1", "con": "x"}})
    mk("/cse-in/home/garage", 4, {"m2m:cin": {"rn": "g2", "con": "y"}})


def test_tree_order_and_types(cse):
    build(cse)
    check(names(cse, "") == ["kitchen", "k1", "fridge", "f1", "garage", "g1", "g2"], "all",
          names(cse, ""))
    check(names(cse, "ty=3") == ["kitchen", "fridge", "garage"], "ty=3")
    check(names(cse, "ty=4&ty=2") == ["k1", "f1", "g1", "g2"], "ty OR")
    check(names(cse, "ty=2", target="/cse-in") == ["home"], "AE from the CSEBase")
    r = expect(cse.retrieve("/cse-in/home?fu=1&ty=3"), 200, 2000)
    check(all(u.startswith("cse-in/home/") for u in r.json["m2m:uril"]), "structured paths", r)


def test_labels(cse):
    check(names(cse, "lbl=room") == ["kitchen"], "lbl")
    check(names(cse, "lbl=floor/0&lbl=temp") == ["k1", "garage"], "lbl OR")
    check(names(cse, "lbl=none") == [], "no match")


def test_times(cse):
    t = MID["t"]
    check(names(cse, "cra=" + t) == ["garage", "g1", "g2"], "created after")
    check(names(cse, "crb=" + t) == ["kitchen", "k1", "fridge", "f1"], "created before")
    check(names(cse, "ms=%s&ty=4" % t) == ["g1", "g2"], "modified since")
    check(names(cse, "us=%s&ty=4" % t) == ["k1", "f1"], "unmodified since")
    check(names(cse, "exa=20501231T000000") == ["garage"], "expires after")
    check(names(cse, "exb=20501231T000000&ty=3") == ["kitchen", "fridge"], "expires before")
    expect(cse.retrieve("/cse-in/home?fu=1&crb=notatime"), 400, 4000)


def test_state_tags(cse):
    check(names(cse, "ty=3&stb=1") == ["garage"], "st bigger than 1")
    check(names(cse, "ty=4&sts=2") == ["k1", "f1", "g1"], "st smaller than 2")


def test_levels_and_paging(cse):
    check(names(cse, "lvl=1") == ["kitchen", "garage"], "lvl=1")
    check(names(cse, "lvl=2&ty=4") == ["k1", "g1", "g2"], "lvl=2")
    check(names(cse, "lim=3") == ["kitchen", "k1", "fridge"], "lim")
    check(names(cse, "ofst=4&lim=2") == ["f1", "garage"], "ofst")
    check(names(cse, "ofst=50") == [], "past the end")
    check(names(cse, "lim=0") == [], "lim=0")


def test_result_forms(cse):
    r = expect(cse.retrieve("/cse-in/home?fu=1&drt=2&lvl=1"), 200, 2000)
    check(len(r.json["m2m:uril"]) == 2 and "/" not in r.json["m2m:uril"][0], "drt=2 gives ri", r)
    r = expect(cse.retrieve("/cse-in/home?fu=1&rcn=6&lvl=1"), 200, 2000)
    rrf = r.json["m2m:rrl"]["rrf"]
    check([x["nm"] for x in rrf] == ["kitchen", "garage"] and rrf[0]["typ"] == 3, "rcn=6", r)
    expect(cse.retrieve("/cse-in/home?fu=1&rcn=11&lvl=1"), 200, 2000)
    for rcn in (1, 4, 5, 8, 9):
        expect(cse.retrieve("/cse-in/home?fu=1&rcn=%d" % rcn), 400, 4000, "rcn=%d" % rcn)
    expect(cse.retrieve("/cse-in/nowhere?fu=1"), 404, 4004)


def test_expired_not_discovered(cse):
    # 1.5 s ahead, to the microsecond: a whole-second stamp can be almost due already.
    when = time.time() + 1.5
    et = time.strftime("%Y%m%dT%H%M%S", time.gmtime(when)) + ",%06d" % int((when % 1) * 1e6)
    expect(cse.create("/cse-in/home", 3, {"m2m:cnt": {"rn": "brief", "et": et}}), 201, 2001)
    check("brief" in names(cse, "lvl=1"), "listed while alive")
    time.sleep(2.1)
    check("brief" not in names(cse, "lvl=1"), "gone once expired")


def test_plugin_filters_candidates():
    """With a security plugin, denied candidates are left out silently."""
    import tempfile
    record = tempfile.mktemp(prefix="probe-", suffix=".jsonl")
    with Cse(plugin="plugin_core_probe",
             plugin_opts={"record_file": record, "deny_rn": "hidden", "deny_op": 6}) as cse:
        expect(cse.create("/cse-in", 2, {"m2m:ae": {"rn": "p", "api": "Np", "rr": True,
                                                     "srv": ["3"]}}, origin="Cp"), 201, 2001)
        for rn in ("shown", "hidden", "also"):
            expect(cse.create("/cse-in/p", 3, {"m2m:cnt": {"rn": rn}}, origin="Cp"), 201, 2001)
        r = expect(cse.retrieve("/cse-in/p?fu=1", origin="Cp"), 200, 2000)
        check(r.json["m2m:uril"] == ["cse-in/p/shown", "cse-in/p/also"], "hidden left out", r)
        expect(cse.retrieve("/cse-in/p/hidden", origin="Cp"), 200, 2000)  # RETRIEVE allowed
    os.unlink(record)


def main():
    rc = 0
    with Cse(insecure=True) as cse:
        tests = {k: v for k, v in globals().items() if k.startswith("test_")
                 and k != "test_plugin_filters_candidates"}
        rc |= run_tests(tests, cse)
        code = cse.stop()
        if code != 0:
            print("FAIL onem2m-cse exited with %s:\n%s" % (code, cse.read_output()[-3000:]))
            rc = 1
    rc |= run_tests({"test_plugin_filters_candidates": test_plugin_filters_candidates})
    return rc


if __name__ == "__main__":
    sys.exit(main())
