"""AE registration rules from the policy: allowed originators and app IDs
(4126 with the reason), audited."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check  # noqa: E402
import cssftest  # noqa: E402


def main():
    policy = tempfile.mkdtemp(prefix="cssf-registration-")
    cssftest.write_policy(policy, {"registration": {
        "allowed_originators": ["Csensor*"], "allowed_app_ids": ["Nsensor*"]}})
    opts = {"policy_dir": policy, "authentication": "optional"}
    with Cse(plugin="cssf", plugin_opts=opts) as cse:
        r = cse.create("/cse-in", 2, cssftest.ae("a"), origin="Cbad", rqi="reg-bad-orig")
        check(r.status == 403 and r.rsc == 4126, "originator not allowed", r)
        check(b"registration.allowed_originators" in r.raw, "reason in the body", r)
        r = cse.create("/cse-in", 2, cssftest.ae("b", api="Nother"), origin="Csensor2")
        check(r.status == 403 and r.rsc == 4126, "app ID not allowed", r)
        check(b"registration.allowed_app_ids" in r.raw, "reason in the body", r)
        r = cse.create("/cse-in", 2, cssftest.ae("c", api="Nsensor-t"), origin="Csensor3")
        check(r.rsc == 2001, "allowed registration", r)
        line = cssftest.wait_audit(cse, lambda l: l["event"] == "register")
        check(line["decision"] == "deny" and line["rsc"] == 4126 and line["from"] == "Cbad" and
              "allowed_originators" in line["reason"], "register audit line", line)
    print("OK")


if __name__ == "__main__":
    main()
