"""A PSK lookup that has to ask RADIUS never stalls the DTLS loop: while a
device's handshake waits for a RADIUS server that does not answer, another
device's open DTLS session keeps getting its answers on time; the waiting
handshake is then refused (fail closed) once RADIUS gives up, and a
registry device can still connect meanwhile."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402

INTERVAL_MS = 50
REPEAT = 120  # six seconds of requests


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="psk-async-")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a RADIUS server that never answers
    silent.bind(("127.0.0.1", 0))
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {})
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true",
            "radius_auth_servers": "127.0.0.1:%d:s3cret" % silent.getsockname()[1],
            "radius_timeout_ms": "1000", "radius_retries": "2", "radius_dead_after": "100",
            "radius_psk": "true", "radius_psk_password": "lookup-pw"}
    coap = {"dtls": 1, "dtls_port": 0, "listen": "127.0.0.1"}
    try:
        with Cse(plugin="cssf", plugin_opts=opts, sections={"coap": coap}) as cse:
            key = coaplib.enrol_psk_device(cse, "steady", "Csteady")
            steady = coaplib.Session(cse, "steady", key, "Csteady", REPEAT, INTERVAL_MS)
            steady.wait_answers(5)
            # A device RADIUS is asked about: its lookup takes 1 + 2 + 4 s of
            # retransmissions before RADIUS gives up.
            port = coaplib.coap_ports(cse)["coaps"]
            t0 = time.time()
            aaa = subprocess.Popen(
                [coaplib.CLIENT, "-u", "radius-device", "-k", "0x" + "11" * 16,
                 "-f", "Cradius", "coaps://127.0.0.1:%d/cse-in" % port],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            check(silent.recv(4096)[:1] == b"\x01", "RADIUS was asked (Access-Request)")
            # While it waits: the open session goes on, a new registry device connects.
            n = len(steady.lines)
            steady.wait_answers(n + 20, timeout=3)
            gaps = [b[0] - a[0] for a, b in zip(steady.lines[n:], steady.lines[n + 1:])]
            check(max(gaps) < 0.5, "no answer of the open session waited for RADIUS",
                  "largest gap %.3f s" % max(gaps))
            check(aaa.poll() is None, "and the RADIUS device was still waiting meanwhile")
            key2 = coaplib.enrol_psk_device(cse, "newcomer", "Cnewcomer")
            r = coaplib.client("coaps://127.0.0.1:%d/cse-in" % port, "-u", "newcomer@ex.net",
                               "-k", "0x" + key2, "-f", "Cnewcomer", timeout=10)
            check(r.code is not None and aaa.poll() is None,
                  "a registry device connects while the lookup waits", r)
            out, err = aaa.communicate(timeout=30)
            check(aaa.returncode != 0 and time.time() - t0 >= 5,
                  "the RADIUS device is refused once RADIUS gives up", aaa.returncode, out, err)
            steady.proc.kill()
            steady.finish()
            cssftest.wait_output(cse, 'unknown psk identity="radius-device"')  # refusal logged
    finally:
        silent.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("psk async: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
