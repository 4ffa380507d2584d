"""Parked DTLS sessions with the real CSE and CSSF plugin: with
dtls_park_after_ms = 100, a device that pauses between requests has its
session parked after each one and restored by the next, and every request
is answered in the one session (a single handshake). Suspending a device
whose session is parked drops that session: its next request gets no
answer."""
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

INTERVAL_MS = 1000  # parked 100 ms after each answer, long before the next request


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="park-")
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {})
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
    coap = {"dtls": 1, "dtls_port": 0, "listen": "127.0.0.1", "dtls_park_after_ms": 100}
    try:
        with Cse(plugin="cssf", plugin_opts=opts,
                 sections={"coap": coap, "log": {"level": "debug"}}) as cse:
            key = coaplib.enrol_psk_device(cse, "p-dev", "Cp-dev")
            s = coaplib.Session(cse, "p-dev", key, "Cp-dev", 4, INTERVAL_MS)
            rc, err = s.finish()
            check(rc != 2 and len(s.lines) == 4, "4 requests answered, 1 s apart", rc, err,
                  s.lines)
            out = cse.read_output()
            check(out.count('identity="p-dev@ex.net"') == 1 and
                  'method=psk identity="p-dev@ex.net"' in out, "one handshake only",
                  out[-3000:])
            check(len(re.findall(r"dtls session parked peer=127\.0\.0\.1:\d+ bytes=\d+", out))
                  >= 3 and out.count("dtls session restored peer=127.0.0.1") >= 3,
                  "parked after each request, restored by the next", out[-3000:])

            vkey = coaplib.enrol_psk_device(cse, "p-vic", "Cp-vic")
            v = coaplib.Session(cse, "p-vic", vkey, "Cp-vic", 20, INTERVAL_MS)
            v.wait_answers(2)
            time.sleep(max(0.0, v.lines[-1][0] + 0.3 - time.time()))  # parked by now
            t0 = time.time()
            r = cse.request("POST", "/cssf/v1/devices/p-vic/suspend", origin="CAdmin")
            check(r.status in (200, 204), "suspend", r)
            rc, err = v.finish()
            after = [l for (t, l) in v.lines if t > t0 + 0.1]
            check(rc == 2 and not after, "the parked session is gone: no more answers", rc, err,
                  v.lines)
            out = cse.read_output()
            check(re.search(r"dtls parked session closed peer=127\.0\.0\.1:\d+ reason=revoked",
                            out) and
                  'revoked identity="p-vic@ex.net" sessions_closed=1' in out,
                  "revocation reached the parked session", out[-3000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("coap dtls park: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
