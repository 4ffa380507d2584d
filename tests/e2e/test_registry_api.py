"""The /cssf/v1 admin API over real HTTP with the real plugin: exact
statuses and error bodies (201, 200, 204, 400 with field, 401, 403, 404,
405, 409, 413, 415), unknown fields and malformed input refused without
partial writes, PATCH/PUT semantics, paging, policies validated by the
policy parser and applied atomically, and audit lines for every change."""
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cselib import Cse, check  # noqa: E402
import cssftest  # noqa: E402

KEY = "00112233445566778899aabbccddeeff"


def api(cse, method, path, body=None, origin="CAdmin", raw=None, ctype="application/json"):
    headers = {"X-M2M-RVI": None, "X-M2M-RI": None}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        headers["Content-Type"] = ctype
    return cse.request(method, "/cssf/v1" + path, origin=origin, raw_body=data,
                       headers=headers, content_type=ctype)


def device(i, **extra):
    d = {"id": "dev-%d" % i, "aeids": ["Cdev%d" % i],
         "credentials": {"psk": {"identity": "dev-%d@example.net" % i, "key": KEY[:-2] + "%02x" % i}}}
    d.update(extra)
    return d


def test_devices(cse):
    r = api(cse, "POST", "/devices", device(1, labels=["x"], group="g1"))
    check(r.status == 201 and "key" not in r.json["credentials"]["psk"], "given key not echoed", r)
    r = api(cse, "POST", "/devices", {"id": "gen", "aeids": ["Cgen"],
                                      "credentials": {"psk": {"identity": "gen@x"}}})
    check(r.status == 201 and len(r.json["credentials"]["psk"]["key"]) == 64, "generated", r)
    r = api(cse, "GET", "/devices/gen")
    check(r.status == 200 and "key" not in r.json["credentials"]["psk"], "never again", r)

    cases = [
        (device(1), 409, "id"),
        (dict(device(2), colour="red"), 400, "colour"),
        ({"id": "dev-2", "aeids": ["Cdev2"], "credentials": {"psk": {"identity": "dev-1@example.net"}}},
         409, "credentials.psk.identity"),
        ({"id": "dev-2", "aeids": ["Cdev2"], "credentials": {"psk": {"identity": "i", "key": "abc"}}},
         400, "credentials.psk.key"),
        ({"id": "dev-2", "aeids": ["Cdev2"],
          "credentials": {"psk": {"identity": "i", "key": "00" * 15}}}, 400, "credentials.psk.key"),
        ({"id": "dev-2", "aeids": ["/id-in"], "credentials": {"aaa": True}}, 400, "aeids[0]"),
        ({"id": "dev-2", "aeids": ["Cdev2"], "credentials": {}}, 400, "credentials"),
    ]
    for body, status, field in cases:
        r = api(cse, "POST", "/devices", body)
        check(r.status == status and r.json.get("field") == field and r.json.get("error"),
              "POST %s" % json.dumps(body), r)
    for raw, ctype, status in ((b'{"id":', "application/json", 400),
                               (b'{"id":"a"}', "text/plain", 415),
                               (b'[1,2]', "application/json", 400),
                               (b'{"a":1,"a":2}', "application/json", 400),
                               (b'{"id":"' + b"x" * 70000 + b'"}', "application/json", 413)):
        r = api(cse, "POST", "/devices", raw=raw, ctype=ctype)
        check(r.status == status and "error" in (r.json or {}), "raw %r" % raw[:20], r)
    r = api(cse, "GET", "/devices")
    check(r.status == 200 and r.json["total"] == 2, "nothing partial written", r)

    r = api(cse, "PATCH", "/devices/dev-1", {"labels": ["y"], "group": None})
    check(r.status == 200 and r.json["labels"] == ["y"] and "group" not in r.json, "PATCH", r)
    r = api(cse, "PATCH", "/devices/dev-1", {"id": "other"})
    check(r.status == 400 and r.json["field"] == "id", "id cannot change", r)
    r = api(cse, "PUT", "/devices/dev-1", {"aeids": ["Cdev1", "Cdev1b"],
                                           "credentials": {"psk": {"identity": "dev-1@example.net"}}})
    check(r.status == 200 and r.json["aeids"] == ["Cdev1", "Cdev1b"] and r.json["labels"] == [] and
          "key" not in r.json["credentials"]["psk"], "PUT keeps the key", r)
    r = api(cse, "PUT", "/devices/nope", device(9))
    check(r.status == 404, "PUT unknown", r)
    r = api(cse, "POST", "/devices/dev-1/suspend")
    check(r.status == 200 and r.json["state"] == "suspended", "suspend", r)
    r = api(cse, "GET", "/devices?state=suspended&limit=1")
    check(r.status == 200 and r.json["total"] == 1 and r.json["devices"][0]["id"] == "dev-1", "filter", r)
    r = api(cse, "GET", "/devices?limit=1&offset=1")
    check(r.json["devices"][0]["id"] == "gen" and r.json["total"] == 2, "paging", r)
    for q in ("colour=red", "limit=0", "limit=abc", "state=gone", "limit=1&limit=2"):
        r = api(cse, "GET", "/devices?" + q)
        check(r.status == 400, "bad query " + q, r)
    r = api(cse, "GET", "/devices/dev-1/suspend")
    check(r.status == 405, "GET on an action", r)
    r = api(cse, "DELETE", "/devices")
    check(r.status == 405, "DELETE on the collection", r)
    r = api(cse, "GET", "/nothing")
    check(r.status == 404, "unknown endpoint", r)
    r = api(cse, "DELETE", "/devices/gen")
    check(r.status == 204 and not r.raw, "delete", r)
    r = api(cse, "DELETE", "/devices/gen")
    check(r.status == 404, "delete twice", r)


def test_callers(cse):
    r = api(cse, "GET", "/devices", origin=None)
    check(r.status == 401, "no originator", r)
    r = api(cse, "GET", "/devices", origin="Cstranger")
    check(r.status == 401, "unregistered originator", r)
    cse.create("/cse-in", 2, cssftest.ae("someone"), origin="Csomeone")
    r = api(cse, "GET", "/health", origin="Csomeone")
    check(r.status == 403 and r.json["error"] == "admin rights required", "non-admin", r)
    r = api(cse, "GET", "/health")
    check(r.status == 200 and r.json["status"] == "ok" and r.json["store"]["ok"], "health", r)


def test_policies(cse, policy_dir):
    r = api(cse, "GET", "/policies")
    check(r.status == 200 and "main" in r.json and r.json["acps"] == {}, "GET policies", r)
    good = {"main": r.json["main"],
            "acps": {"10-open.json": cssftest.acp("acpOpen", [{"acor": ["all"], "acop": 2}])}}
    bad = {"main": r.json["main"], "acps": {"bad.json": {"rn": "x", "pv": {"acr": [{"acop": 99}]}}}}
    r = api(cse, "PUT", "/policies", bad)
    check(r.status == 400 and r.json["problems"] and "acps/bad.json" in r.json["field"],
          "invalid policy refused", r)
    check(not os.path.exists(os.path.join(policy_dir, "acps", "bad.json")), "nothing written")
    r = api(cse, "PUT", "/policies?dry_run=true", good)
    check(r.status == 200 and r.json == {"valid": True, "acps": 1}, "dry run", r)
    check(not os.path.exists(os.path.join(policy_dir, "acps", "10-open.json")), "dry run writes nothing")
    r = api(cse, "PUT", "/policies", dict(good, extra=1))
    check(r.status == 400 and r.json["field"] == "extra", "unknown member", r)
    r = api(cse, "PUT", "/policies", {"main": {}, "acps": {"../x.json": {}}})
    check(r.status == 400, "file name outside acps/", r)
    r = api(cse, "PUT", "/policies", good)
    check(r.status == 200 and r.json == {"applied": True, "acps": 1}, "applied", r)
    r = cse.retrieve("/cse-in/acpOpen")
    check(r.status == 200, "the ACP exists in the CSE", r)
    r = api(cse, "GET", "/policies")
    check(list(r.json["acps"]) == ["10-open.json"], "read back", r)


def test_audit(cse):
    r = api(cse, "GET", "/audit?event=admin&limit=1000")
    lines = r.json["lines"]
    changes = [l["reason"] for l in lines if l["decision"] == "permit"]
    for want in ("device.create dev-1: 201", "device.update dev-1: 200", "device.replace dev-1: 200",
                 "device.suspend dev-1: 200", "device.delete gen: 204", "policy.apply: 200"):
        check(want in changes, "audited: " + want, changes)
    check(any(l["decision"] == "deny" and l["reason"].startswith("device.create dev-1: 409")
              for l in lines), "refused change audited", lines)
    check(all(l["trusted_claim"] for l in lines if l["decision"] == "permit"), "claimed admin marked")
    r = api(cse, "GET", "/audit?device=dev-1&limit=1000")
    check(r.json["lines"] and all("dev-1" in l["target"] for l in r.json["lines"]), "by device", r)
    r = api(cse, "GET", "/audit?from=Csomeone")
    check(r.json["lines"] and all(l["from"] == "Csomeone" for l in r.json["lines"]), "by from", r)
    r = api(cse, "GET", "/audit?colour=1")
    check(r.status == 400, "unknown filter", r)


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="registry-api-")
    try:
        policy = cssftest.write_policy(os.path.join(tmp, "policy"), {})
        opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
        with Cse(plugin="cssf", plugin_opts=opts) as cse:
            test_devices(cse)
            test_callers(cse)
            test_policies(cse, policy)
            test_audit(cse)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("registry api: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
