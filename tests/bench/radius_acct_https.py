"""Authorized GETs over HTTPS with and without RADIUS accounting.

    CSE_BUILD_DIR=build CSE_SOURCE_DIR=. python3 tests/bench/radius_acct_https.py [SECONDS]

The CSE with cssf.so serves HTTPS; a real FreeRADIUS (tests/radius/
radiuslib.py) is its RADIUS server. The device authenticates with a client
certificate, so every TLS connection is an accounted session (the HTTPS
binding raises ACCOUNTING for TLS associations). WORKERS curl loops, each
one keep-alive connection of BATCH GETs of the device's AE, then a new
connection, until SECONDS are up. "acct-on" sets radius_acct_servers and a
durable queue (Start/Stop per connection, traffic counters per request);
"acct-off" configures no accounting. The two alternate ROUNDS times in one
run; medians and their ratio are printed. Not run by ctest."""
import os
import subprocess
import threading
import time
import shutil
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse  # noqa: E402
from radiuslib import USER, FreeRadius  # noqa: E402

SECRET = "bench-acct-secret"
ROUNDS = 5
WORKERS = 4
BATCH = 200
DEV = "urn:m2m:gw1"


def setup(tmp, fr):
    certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1", "ops": "URI:urn:m2m:ops",
                                     "gw": "URI:" + DEV})
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
        "authentication": "required",
        "admins": ["urn:m2m:ops"],
        "identities": {USER: ["Calice"], DEV: ["Cgw1"], "urn:m2m:ops": ["Cops"]},
        "radius": {"users": [USER]}}, {
        "all.json": cssftest.acp("acpAll", [{"acor": ["Calice", "Cgw1"], "acop": 63}])})
    secret_file = os.path.join(tmp, "radius.secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret_file, 0o600)
    base = {"policy_dir": policy, "radius_auth_servers": "127.0.0.1:%d" % fr.auth_port,
            "radius_secret_file": secret_file, "radius_basic": "true"}
    acct = dict(base, radius_acct_servers="127.0.0.1:%d" % fr.acct_port,
                radius_acct_queue=os.path.join(tmp, "acct.db"), radius_acct_interim="0")
    https = {"cert": certs["server"][0], "key": certs["server"][1],
             "ca": os.path.join(tmp, "ca.pem"), "client_auth": "optional"}
    return certs, https, {"acct-off": base, "acct-on": acct}


def load(cse, certs, tmp, secs):
    """requests/s of WORKERS curl loops for secs; also the non-200 count."""
    conf = os.path.join(tmp, "curl.conf")
    url = "https://127.0.0.1:%d/cse-in/gw1" % cse.https_port
    with open(conf, "w") as f:
        f.write('cacert = "%s"\ncert = "%s"\nkey = "%s"\nsilent\n' %
                (os.path.join(tmp, "ca.pem"), certs["gw"][0], certs["gw"][1]))
        f.write('header = "X-M2M-Origin: Cgw1"\nheader = "X-M2M-RI: bench"\n'
                'header = "X-M2M-RVI: 3"\nheader = "Accept: application/json"\n')
        f.write('write-out = "%{http_code}\\n"\n')
        for _ in range(BATCH):
            f.write('url = "%s"\noutput = "/dev/null"\n' % url)
    counts = []
    deadline = time.monotonic() + secs

    def worker():
        ok = bad = 0
        while time.monotonic() < deadline:
            out = subprocess.run(["curl", "-K", conf], capture_output=True, text=True).stdout
            codes = out.split()
            ok += codes.count("200")
            bad += len(codes) - codes.count("200") + (BATCH - len(codes))
        counts.append((ok, bad))

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    return sum(c[0] for c in counts) / dt, sum(c[1] for c in counts)


def one_round(label, opts, certs, https, tmp, secs):
    with Cse(plugin="cssf", plugin_opts=opts, https=https) as cse:
        r = cse.retrieve("/cse-in/acpAll", origin="CAdmin", https=True, cert=certs["ops"])
        acpi = [r.json["m2m:acp"]["ri"]]
        r = cse.create("/cse-in", 2, cssftest.ae("gw1", acpi=acpi), origin="Cgw1",
                       https=True, cert=certs["gw"])
        if r.rsc != 2001:
            raise RuntimeError("AE registration failed: %s" % r)
        rps, bad = load(cse, certs, tmp, secs)
    print("%-8s %9.0f req/s  failed %d" % (label, rps, bad), flush=True)
    return rps


def main():
    secs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = tempfile.mkdtemp(prefix="cssf-acct-bench-")
    fr = FreeRadius(SECRET)
    try:
        fr.start()
        certs, https, configs = setup(tmp, fr)
        print("# load average before: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        rates = {"acct-off": [], "acct-on": []}
        for _ in range(ROUNDS):
            for label in ("acct-off", "acct-on"):
                rates[label].append(one_round(label, configs[label], certs, https, tmp, secs))
        print("# load average after: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        detail = fr.detail()
        print("# accounting records at FreeRADIUS: Start %d, Stop %d" %
              (detail.count("Acct-Status-Type = Start"), detail.count("Acct-Status-Type = Stop")))
        off = statistics.median(rates["acct-off"])
        on = statistics.median(rates["acct-on"])
        print("median acct-off %.0f req/s, acct-on %.0f req/s, ratio on/off %.3f (target >= 0.95)"
              % (off, on, on / off))
    finally:
        fr.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
