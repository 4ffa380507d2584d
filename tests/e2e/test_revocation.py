"""Revocation takes effect at once: a device with an open DTLS session is
suspended (then, after resume, removed) through the admin API, and the CSE
closes the session it is using right away — the next request on the same
session gets no answer — instead of waiting for an idle timeout. A device
that is not revoked keeps its session."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402

INTERVAL_MS = 100
REPEAT = 100  # ten seconds of requests if nothing closes the session


def enrol(cse, device, aeid):
    r = cse.request("POST", "/cssf/v1/devices", origin="CAdmin", body={
        "id": device, "aeids": [aeid], "credentials": {"psk": {"identity": device + "@ex.net"}}})
    check(r.status == 201, "enrol " + device, r)
    return r.json["credentials"]["psk"]["key"]


class Session:
    """m2m-coap-client repeating one RETRIEVE over a single DTLS session."""

    def __init__(self, cse, device, key, aeid):
        port = coaplib.coap_ports(cse)["coaps"]
        self.proc = subprocess.Popen(
            [coaplib.CLIENT, "--timeout", "300", "--repeat", str(REPEAT), "--interval",
             str(INTERVAL_MS), "-u", device + "@ex.net", "-k", "0x" + key, "-f", aeid,
             "coaps://127.0.0.1:%d/cse-in" % port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("code="):
                self.lines.append((time.time(), line.strip()))

    def wait_answers(self, n, timeout=10):
        deadline = time.time() + timeout
        while len(self.lines) < n and time.time() < deadline:
            time.sleep(0.02)
        check(len(self.lines) >= n, "session answered %d requests" % n, self.lines)

    def finish(self, timeout=30):
        self.proc.wait(timeout)
        self.reader.join(5)
        return self.proc.returncode, self.proc.stderr.read()


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
                vkey, bkey = enrol(cse, victim, "C" + victim), enrol(cse, bystander,
                                                                     "C" + bystander)
                v = Session(cse, victim, vkey, "C" + victim)
                b = Session(cse, bystander, bkey, "C" + bystander)
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
