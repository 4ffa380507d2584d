"""AE registrations per second over HTTPS with HTTP Basic checked by RADIUS.

    CSE_BUILD_DIR=build CSE_SOURCE_DIR=. python3 tests/bench/radius_register_https.py [AES]

A real FreeRADIUS (tests/radius/radiuslib.py) knows AES users "ae-N"; the
CSE's policy lists them in radius.users, each acting as AE-ID "Cae-N". The
plugin's result cache is off (radius_cache_ttl = 0), so every registration
is one Access-Request. WORKERS curl processes each register their share of
AEs over one keep-alive HTTPS connection (POST /cse-in, ty=2, Basic
credentials); curl reports each request's time. Prints registrations/s,
p50/p99 and the number not answered 201. Not run by ctest."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse  # noqa: E402
from radiuslib import FreeRadius  # noqa: E402

SECRET = "bench-register-secret"
WORKERS = 4


def password(i):
    return "ae-pw-%d-long" % i


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    tmp = tempfile.mkdtemp(prefix="cssf-register-bench-")
    fr = FreeRadius(SECRET)
    try:
        with open(os.path.join(fr.dir, "users"), "a") as f:
            for i in range(n):
                f.write('ae-%d\tCleartext-Password := "%s"\n\n' % (i, password(i)))
        conf = os.path.join(fr.dir, "radiusd.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:  # see docs/benchmarks.md: max_requests × cleanup_delay
            f.write(text.replace("max_requests = 4096", "max_requests = 262144"))
        fr.start()
        certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1"})
        policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
            "authentication": "required",
            "identities": {"ae-%d" % i: ["Cae-%d" % i] for i in range(n)},
            "radius": {"users": ["ae-%d" % i for i in range(n)]}}, {})
        secret_file = os.path.join(tmp, "radius.secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(secret_file, 0o600)
        opts = {"policy_dir": policy, "radius_auth_servers": "127.0.0.1:%d" % fr.auth_port,
                "radius_secret_file": secret_file, "radius_basic": "true",
                "radius_cache_ttl": "0"}
        https = {"cert": certs["server"][0], "key": certs["server"][1],
                 "ca": os.path.join(tmp, "ca.pem"), "client_auth": "optional"}
        with Cse(plugin="cssf", plugin_opts=opts, https=https) as cse:
            url = "https://127.0.0.1:%d/cse-in" % cse.https_port
            confs = []
            for w in range(WORKERS):
                path = os.path.join(tmp, "curl-%d.conf" % w)
                with open(path, "w") as f:
                    for i in range(w, n, WORKERS):
                        f.write('url = "%s"\noutput = "/dev/null"\nsilent\ncacert = "%s"\n'
                                'user = "ae-%d:%s"\nheader = "X-M2M-Origin: Cae-%d"\n'
                                'header = "X-M2M-RI: r%d"\nheader = "X-M2M-RVI: 3"\n'
                                'header = "Content-Type: application/json;ty=2"\n'
                                'data = "{\\"m2m:ae\\":{\\"rn\\":\\"ae%d\\",\\"api\\":'
                                '\\"Nbench\\",\\"rr\\":false,\\"srv\\":[\\"3\\"]}}"\n'
                                'write-out = "%%{http_code} %%{time_total}\\n"\nnext\n'
                                % (url, os.path.join(tmp, "ca.pem"), i, password(i), i, i, i))
                confs.append(path)
            results = []
            print("# load average before: %s" %
                  " ".join(open("/proc/loadavg").read().split()[:3]))

            def worker(path):
                out = subprocess.run(["curl", "-K", path], capture_output=True,
                                     text=True).stdout
                results.extend(line.split() for line in out.splitlines() if line.strip())

            t0 = time.monotonic()
            threads = [threading.Thread(target=worker, args=(c,)) for c in confs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            dt = time.monotonic() - t0
            print("# load average after: %s" %
                  " ".join(open("/proc/loadavg").read().split()[:3]))
        lat = sorted(float(r[1]) * 1e3 for r in results)
        created = sum(1 for r in results if r[0] == "201")
        codes = sorted(set(r[0] for r in results))
        requests = fr.auth_detail().count('NAS-Identifier = "/id-in"')
        print("register aes=%d created=%d rate=%.0f/s p50=%.2f ms p99=%.2f ms "
              "access_requests=%d codes=%s" % (n, created, created / dt, lat[len(lat) // 2],
                                      lat[int(len(lat) * 0.99)], requests, codes))
    finally:
        fr.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
