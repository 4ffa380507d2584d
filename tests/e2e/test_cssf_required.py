"""authentication=required (the default): a request that only claims an
originator gets no data and no admin rights; only what the policy allows
unauthenticated gets through; every denial is audited."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check  # noqa: E402
import cssftest  # noqa: E402


def main():
    policy = tempfile.mkdtemp(prefix="cssf-required-")
    cssftest.write_policy(policy, {
        "unauthenticated": [{"description": "AE registration only",
                             "operations": ["create"], "resource_types": [2]}],
    })
    with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}) as cse:
        # A bare claim of the admin originator: no data, no admin rights.
        r = cse.retrieve("/cse-in", origin="CAdmin", rqi="req-admin-claim")
        check(r.status == 403 and r.rsc == 4107, "claimed CAdmin must be refused", r)
        check(b"m2m:cb" not in r.raw and b"\"ri\"" not in r.raw, "no resource data", r)
        r = cse.delete("/cse-in", origin="CAdmin")
        check(r.status == 403 and r.rsc == 4107, "claimed CAdmin cannot delete", r)
        r = cse.retrieve("/cse-in", origin="Csensor1")
        check(r.rsc == 4107, "claimed AE refused", r)
        r = cse.retrieve("/cse-in", origin=None)
        check(r.rsc == 4107, "no From at all refused", r)
        # The policy's unauthenticated exception: AE registration...
        r = cse.create("/cse-in", 2, cssftest.ae("sensor1"), origin="Csensor1")
        check(r.status == 201 and r.rsc == 2001, "allowed unauthenticated AE CREATE", r)
        # ...but nothing else, not even for the AE just registered.
        r = cse.retrieve("/cse-in/sensor1", origin="Csensor1")
        check(r.rsc == 4107, "registered AE still needs an association", r)
        r = cse.create("/cse-in/sensor1", 3, {"m2m:cnt": {"rn": "data"}}, origin="Csensor1")
        check(r.rsc == 4107, "container CREATE is not in the exception", r)
        # A CSE-ID originator never registers unauthenticated.
        r = cse.create("/cse-in", 2, cssftest.ae("x"), origin="/id-in")
        check(r.rsc == 4107, "CSE-ID as AE registration originator", r)

        line = cssftest.wait_audit(cse, lambda l: l.get("rqi") == "req-admin-claim" and
                                   l["event"] == "authenticate")
        check(line["decision"] == "deny" and line["rsc"] == 4107 and
              line["reason"] == "security association required" and line["from"] == "CAdmin" and
              line["binding"] == "http" and line["op"] == "retrieve" and
              line["target"] == "/cse-in" and line["identity"] is None and
              line["peer"].startswith("127.0.0.1:") and line["method"] == "none" and
              "trusted_claim" not in line, "authenticate audit line", line)
        req = cssftest.wait_audit(cse, lambda l: l.get("rqi") == "req-admin-claim" and
                                  l["event"] == "request")
        check(req["decision"] == "not-reached" and req["rsc"] == 4107, "request line", req)
        check(all("time" in l and l["time"].endswith("Z") for l in cssftest.audit_lines(cse)),
              "every line has a time")
    print("OK")


if __name__ == "__main__":
    main()
