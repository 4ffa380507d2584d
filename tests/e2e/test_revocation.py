"""Revocation takes effect at once: a device with an open DTLS session is
suspended (then, after resume, removed) through the admin API, and the CSE
closes the session it is using right away — the next request on the same
session gets no answer — instead of waiting for an idle timeout. A device
that is not revoked keeps its session."""
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402

INTERVAL_MS = 100
REPEAT = 100  # ten seconds of requests if nothing closes the session


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="revoke-")
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {})
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
    coap = {"dtls": 1, "dtls_port": 0, "listen": "127.0.0.1"}
    try:
        with Cse(plugin="cssf", plugin_opts=opts, sections={"coap": coap}) as cse:
            for action in ("suspend", "delete"):
                victim, bystander = "v-" + action, "b-" + action
                vkey = coaplib.enrol_psk_device(cse, victim, "C" + victim)
                bkey = coaplib.enrol_psk_device(cse, bystander, "C" + bystander)
                v = coaplib.Session(cse, victim, vkey, "C" + victim, REPEAT, INTERVAL_MS)
                b = coaplib.Session(cse, bystander, bkey, "C" + bystander, REPEAT, INTERVAL_MS)
                v.wait_answers(3)
                b.wait_answers(3)
                t0 = time.time()
                if action == "suspend":
                    r = cse.request("POST", "/cssf/v1/devices/%s/suspend" % victim,
                                    origin="CAdmin")
                else:
                    r = cse.request("DELETE", "/cssf/v1/devices/" + victim, origin="CAdmin")
                check(r.status in (200, 204), action, r)
                rc, err = v.finish()
                after = [l for (t, l) in v.lines if t > t0 + 0.5]
                check(rc == 2 and len(v.lines) < REPEAT and not after,
                      "%s: the open session is closed at once" % action, rc, err, v.lines[-3:])
                b.wait_answers(len(b.lines) + 3)  # the other device's session goes on
                check(b.proc.poll() is None, "%s: bystander session untouched" % action)
                b.proc.kill()
                b.finish()
                out = cse.read_output()
                check(re.search(r'revoked identity="%s@ex.net" sessions_closed=1' % victim, out),
                      "%s: the CSE logged the closed session" % action, out[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("revocation: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
