"""authentication=optional with ACPs from a policy directory: an AE can do
what its ACP allows and no more; unregistered and CSE originators are
refused; trust_claimed_admin marks every line it affects."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check  # noqa: E402
import cssftest  # noqa: E402


def main():
    policy = tempfile.mkdtemp(prefix="cssf-optional-")
    cssftest.write_policy(policy, {}, {
        "sensor.json": cssftest.acp("acpSensor", [{"acor": ["Csensor1"], "acop": 3}]),
    })
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
    with Cse(plugin="cssf", plugin_opts=opts) as cse:
        cssftest.wait_output(cse, "trust_claimed_admin=true")
        # The ACP was created from the policy; the trusted claimed admin can read it.
        r = cse.retrieve("/cse-in/acpSensor", origin="CAdmin", rqi="admin-get-acp")
        check(r.status == 200 and r.json and "m2m:acp" in r.json, "policy ACP exists", r)
        acp_ri = r.json["m2m:acp"]["ri"]
        check(r.json["m2m:acp"]["pv"]["acr"][0]["acop"] == 3, "ACP content from the file", r)

        r = cse.create("/cse-in", 2, cssftest.ae("sensor1", acpi=[acp_ri]), origin="Csensor1")
        check(r.rsc == 2001, "AE registration", r)
        r = cse.create("/cse-in", 2, cssftest.ae("other", acpi=[acp_ri]), origin="Cother")
        check(r.rsc == 2001, "second AE registration", r)

        # What acop 3 (CREATE + RETRIEVE) allows...
        r = cse.retrieve("/cse-in/sensor1", origin="Csensor1")
        check(r.status == 200 and r.rsc == 2000, "RETRIEVE allowed", r)
        r = cse.create("/cse-in/sensor1", 3, {"m2m:cnt": {"rn": "data"}}, origin="Csensor1")
        check(r.rsc == 2001, "CREATE allowed", r)
        # ...and no more.
        r = cse.update("/cse-in/sensor1", {"m2m:ae": {"lbl": ["x"]}}, origin="Csensor1",
                       rqi="sensor-update")
        check(r.status == 403 and r.rsc == 4103, "UPDATE denied", r)
        r = cse.delete("/cse-in/sensor1", origin="Csensor1")
        check(r.status == 403 and r.rsc == 4103, "DELETE denied", r)
        r = cse.retrieve("/cse-in/sensor1", origin="Cother")
        check(r.status == 403 and r.rsc == 4103, "another AE is not in acor", r)
        # Originators the CSE cannot accept without an association.
        r = cse.retrieve("/cse-in/sensor1", origin="Cghost")
        check(r.status == 403 and r.rsc == 4106, "unregistered AE", r)
        r = cse.retrieve("/cse-in/sensor1", origin="/id-in")
        check(r.status == 403 and r.rsc == 4107, "CSE-ID originator", r)
        r = cse.retrieve("/cse-in/sensor1", origin="cse-in")
        check(r.rsc == 4106, "a resource path is not a registered AE", r)
        r = cse.retrieve("/cse-in/sensor1", origin=None)
        check(r.status == 400 and r.rsc == 4000, "missing From", r)

        deny = cssftest.wait_audit(cse, lambda l: l.get("rqi") == "sensor-update" and
                                   l["event"] == "authorize")
        check(deny["decision"] == "deny" and deny["rsc"] == 4103 and deny["from"] == "Csensor1" and
              deny["op"] == "update" and deny["target"] == "/cse-in/sensor1" and
              acp_ri in deny["reason"], "authorize audit line", deny)
        missing = cssftest.wait_audit(cse, lambda l: l["event"] == "authenticate" and
                                      l["rsc"] == 4000)
        check(missing["from"] is None and missing["reason"] == "missing originator (From)",
              "missing From audited as null", missing)
        admin = cssftest.wait_audit(cse, lambda l: l.get("rqi") == "admin-get-acp" and
                                    l["event"] == "request")
        check(admin.get("trusted_claim") is True and admin["decision"] == "permit",
              "trusted claim marked", admin)
        ok = [l for l in cssftest.audit_lines(cse)
              if l["event"] == "request" and l["from"] == "Csensor1" and l["rsc"] == 2000]
        check(ok and ok[0]["acp"] == acp_ri and "trusted_claim" not in ok[0],
              "permit line names the ACP", ok)
    print("OK")


if __name__ == "__main__":
    main()
