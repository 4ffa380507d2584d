"""SIGHUP reloads the policy: an invalid policy, or one the CSE cannot
apply, is refused as a whole and the old one stays in force (ACPs
included); a valid one replaces it (ACPs updated in the CSE)."""
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check  # noqa: E402
import cssftest  # noqa: E402


def reload(cse, event_decision):
    before = len([l for l in cssftest.audit_lines(cse) if l["event"] == "reload"])
    cse.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while True:
        lines = [l for l in cssftest.audit_lines(cse) if l["event"] == "reload"]
        if len(lines) > before:
            check(lines[-1]["decision"] == event_decision, "reload outcome", lines[-1])
            return lines[-1]
        check(time.time() < deadline, "no reload audit line", cse.read_output()[-2000:])
        time.sleep(0.05)


def main():
    policy = tempfile.mkdtemp(prefix="cssf-reload-")
    cssftest.write_policy(policy, {}, {
        "sensor.json": cssftest.acp("acpSensor", [{"acor": ["Csensor1"], "acop": 3}]),
    })
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
    with Cse(plugin="cssf", plugin_opts=opts) as cse:
        acp_ri = cse.retrieve("/cse-in/acpSensor", origin="CAdmin").json["m2m:acp"]["ri"]
        r = cse.create("/cse-in", 2, cssftest.ae("sensor1", acpi=[acp_ri]), origin="Csensor1")
        check(r.rsc == 2001, "AE registration", r)
        r = cse.update("/cse-in/sensor1", {"m2m:ae": {"lbl": ["a"]}}, origin="Csensor1")
        check(r.rsc == 4103, "UPDATE not allowed yet", r)

        # An invalid policy (acop out of range, an unknown key): refused, old one stays.
        cssftest.write_policy(policy, {"admns": []}, {
            "sensor.json": cssftest.acp("acpSensor", [{"acor": ["Csensor1"], "acop": 64}]),
        })
        line = reload(cse, "deny")
        check("cssf.json: $.admns: unknown key" in line["reason"] or
              "$.pv.acr[0].acop" in line["reason"], "reason names file and path", line)
        cssftest.wait_output(cse, "reload: refused")
        out = cse.read_output()
        check("$.pv.acr[0].acop: must be an integer between 1 and 63" in out and
              "$.admns: unknown key" in out, "every problem logged", out[-3000:])
        r = cse.retrieve("/cse-in/sensor1", origin="Csensor1")
        check(r.rsc == 2000, "old policy still permits RETRIEVE", r)
        r = cse.update("/cse-in/sensor1", {"m2m:ae": {"lbl": ["a"]}}, origin="Csensor1")
        check(r.rsc == 4103, "old policy still denies UPDATE", r)
        r = cse.retrieve("/cse-in/acpSensor", origin="CAdmin")
        check(r.json["m2m:acp"]["pv"]["acr"][0]["acop"] == 3, "ACP untouched", r)

        # A valid policy the CSE cannot apply (an ACP under a parent that does
        # not exist, applied after the change to acpSensor): refused as a whole,
        # acpSensor keeps its content.
        orphan = cssftest.acp("acpOrphan", [{"acor": ["Csensor1"], "acop": 2}])
        orphan["parent"] = "cse-in/nothing"
        cssftest.write_policy(policy, {}, {
            "sensor.json": cssftest.acp("acpSensor", [{"acor": ["Csensor1"], "acop": 7}]),
            "zz.json": orphan,
        })
        line = reload(cse, "deny")
        check("cannot apply the policy: ACP cse-in/nothing/acpOrphan (%s/acps/zz.json): rsc 4004: "
              "parent cse-in/nothing not found" % policy in line["reason"],
              "reason names the ACP that failed", line)
        r = cse.retrieve("/cse-in/acpSensor", origin="CAdmin")
        check(r.json["m2m:acp"]["pv"]["acr"][0]["acop"] == 3, "earlier ACP not applied either", r)
        r = cse.update("/cse-in/sensor1", {"m2m:ae": {"lbl": ["a"]}}, origin="Csensor1")
        check(r.rsc == 4103, "old policy still denies UPDATE", r)

        # A valid policy: applied, and the ACP change takes effect at once.
        cssftest.write_policy(policy, {}, {
            "sensor.json": cssftest.acp("acpSensor", [{"acor": ["Csensor1"], "acop": 7}]),
        })
        reload(cse, "permit")
        r = cse.update("/cse-in/sensor1", {"m2m:ae": {"lbl": ["a"]}}, origin="Csensor1")
        check(r.rsc == 2004, "new policy permits UPDATE", r)
        r = cse.retrieve("/cse-in/acpSensor", origin="CAdmin")
        check(r.json["m2m:acp"]["ri"] == acp_ri, "same ACP, updated in place", r)
    print("OK")


if __name__ == "__main__":
    main()
