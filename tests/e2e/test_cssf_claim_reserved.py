"""authentication = optional on plain HTTP beside mutual TLS: an AE that
registered inside a security association cannot be impersonated by a
request that merely claims its AE-ID as From (4106), also after a restart;
an AE registered without one still can be claimed there; deleting or
expiring the AE lifts the reservation."""
import datetime
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cssftest  # noqa: E402
from cselib import Cse, check  # noqa: E402
from test_https import https_opts, make_env  # noqa: E402

RESERVED = "registered inside a security association: it must use one"


def claimed_refused(r):
    return r.status == 403 and r.rsc == 4106 and RESERVED in r.json["m2m:dbg"]


def registered_over_tls(cse, env):
    dev1 = env["certs"]["dev1"]
    r = cse.create("/cse-in", 2, cssftest.ae("dev1"), origin="Cdev1", https=True, cert=dev1)
    check(r.rsc == 2001, "AE registration over mutual TLS", r)
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1")
    check(claimed_refused(r), "its AE-ID claimed over plain HTTP is refused", r)
    r = cse.create("/cse-in/dev1", 3, {"m2m:cnt": {"rn": "x"}}, origin="/id-in/Cdev1")
    check(claimed_refused(r), "also in its SP-relative form", r)
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1", https=True, cert=dev1)
    check(r.rsc == 2000, "the certificate still acts as the AE", r)
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "authenticate" and
                               l["from"] == "Cdev1" and l["rsc"] == 4106)
    check(line["binding"] == "http" and RESERVED in line["reason"], "refusal audited", line)


def plain_registration(cse):
    r = cse.create("/cse-in", 2, cssftest.ae("plain1"), origin="Cplain1")
    check(r.rsc == 2001, "AE registration over plain HTTP (optional there)", r)
    r = cse.retrieve("/cse-in/plain1", origin="Cplain1")
    check(r.rsc == 2000, "such an AE is claimable where authentication is optional", r)


def after_restart(cse, env):
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1")
    check(claimed_refused(r), "the reservation survives a restart", r)
    r = cse.retrieve("/cse-in/plain1", origin="Cplain1")
    check(r.rsc == 2000, "the plain AE is still claimable", r)


def deregistration_lifts(cse, env):
    dev1 = env["certs"]["dev1"]
    r = cse.delete("/cse-in/dev1", origin="Cdev1", https=True, cert=dev1)
    check(r.rsc == 2002, "the AE deletes itself over mutual TLS", r)
    r = cse.create("/cse-in", 2, cssftest.ae("dev1"), origin="Cdev1")
    check(r.rsc == 2001, "after deregistration the AE-ID is free for a plain registration", r)
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1")
    check(r.rsc == 2000, "and claimable", r)

    et = (datetime.datetime.utcnow() + datetime.timedelta(seconds=2)).strftime("%Y%m%dT%H%M%S")
    body = cssftest.ae("nosan")
    body["m2m:ae"]["et"] = et
    r = cse.create("/cse-in", 2, body, origin="Cnosan", https=True, cert=env["certs"]["nosan"])
    check(r.rsc == 2001, "a short-lived AE registered over mutual TLS", r)
    check(claimed_refused(cse.retrieve("/cse-in/nosan", origin="Cnosan")), "reserved", r)
    deadline = time.time() + 10
    while time.time() < deadline:
        r = cse.create("/cse-in", 2, cssftest.ae("nosan"), origin="Cnosan")
        if r.rsc == 2001:
            break
        time.sleep(0.3)
    check(r.rsc == 2001, "its expiry lifts the reservation", r)


def main():
    tmp = tempfile.mkdtemp(prefix="claim-e2e-")
    work = os.path.join(tmp, "cse")
    os.mkdir(work)
    try:
        env = make_env(tmp)
        opts = {"policy_dir": env["policy"]}
        with Cse(plugin="cssf", plugin_opts=opts, https=https_opts(env), workdir=work) as cse:
            registered_over_tls(cse, env)
            plain_registration(cse)
        with Cse(plugin="cssf", plugin_opts=opts, https=https_opts(env), workdir=work) as cse:
            after_restart(cse, env)
            deregistration_lifts(cse, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
