"""cssfctl against the real CSE with cssf.so: enrol a device (its PSK is
shown once and never again), list/show/suspend/resume/rm with their exit
codes, a non-admin caller refused, the device's PSK working over CoAPS with
m2m-coap-client and failing right after suspend, everything kept across a
restart, a master key file with a wide mode refused at start, and the
audit trail showing the changes."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cselib import BUILD_DIR, Cse, check  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402

CSSFCTL = os.path.join(BUILD_DIR, "tools", "cssfctl")


class Ctl:
    def __init__(self, cse, origin="CAdmin"):
        self.url = "http://127.0.0.1:%d" % cse.port
        self.origin = origin

    def __call__(self, *args, origin=None, env=None):
        e = dict(os.environ)
        e.update({"CSSF_URL": self.url, "CSSF_ORIGIN": origin or self.origin})
        e.update(env or {})
        p = subprocess.run([CSSFCTL] + list(args), capture_output=True, text=True, env=e,
                           timeout=30)
        return p


def coaps(cse, path, identity, key_hex, *args):
    port = coaplib.coap_ports(cse)["coaps"]
    return coaplib.client("coaps://127.0.0.1:%d/cse-in%s" % (port, path), "-u", identity,
                          "-k", "0x" + key_hex, *args)


def start(workdir, policy):
    opts = {"policy_dir": policy, "authentication": "optional", "trust_claimed_admin": "true"}
    coap = {"dtls": 1, "dtls_port": 0, "listen": "127.0.0.1"}
    return Cse(plugin="cssf", plugin_opts=opts, sections={"coap": coap}, workdir=workdir)


def enrol_and_use(cse, ctl):
    p = ctl("device", "add", "meter-1", "--aeid", "Cmeter1", "--aeid", "Cmeter1-*",
            "--psk-identity", "meter-1@example.net", "--label", "floor:3", "--group", "meters",
            "--lat", "52.52", "--lon", "13.40")
    check(p.returncode == 0, "device add", p)
    m = re.search(r"psk key:\s+([0-9a-f]{64})", p.stdout)
    check(m and "shown only now" in p.stdout, "generated PSK printed once", p.stdout)
    key = m.group(1)
    # Never again: show, list and the JSON document hold no key.
    for args in (("device", "show", "meter-1"), ("--json", "device", "show", "meter-1"),
                 ("--json", "device", "list")):
        p = ctl(*args)
        check(p.returncode == 0 and key not in p.stdout and '"key"' not in p.stdout,
              "no secret in %s" % (args,), p)
    doc = json.loads(ctl("--json", "device", "show", "meter-1").stdout)
    check(doc["id"] == "meter-1" and doc["state"] == "active" and
          doc["credentials"] == {"psk": {"identity": "meter-1@example.net"}} and
          doc["labels"] == ["floor:3"] and doc["group"] == "meters", "document", doc)
    p = ctl("device", "list")
    check(p.returncode == 0 and re.search(r"meter-1\s+active\s+meters\s+psk\s+Cmeter1",
                                          p.stdout), "table", p.stdout)
    # Duplicates, bad input, usage, unreachable CSE.
    p = ctl("device", "add", "meter-1", "--aeid", "Cx", "--aaa")
    check(p.returncode == 1 and "HTTP 409" in p.stderr and "field id" in p.stderr, "dup", p)
    p = ctl("device", "add", "meter-2", "--aeid", "Cm2", "--psk-identity", "m2",
            "--psk-key", "0011")
    check(p.returncode == 1 and "credentials.psk.key" in p.stderr, "weak key", p)
    p = ctl("device", "add", "meter-2", "--aeid", "*", "--aaa")
    check(p.returncode == 1 and "aeids[0]" in p.stderr, "AE-ID pattern", p)
    p = ctl("device", "frobnicate")
    check(p.returncode == 2, "usage error", p)
    p = ctl("device", "show")
    check(p.returncode == 2, "missing ID", p)
    p = ctl("health", env={"CSSF_URL": "http://127.0.0.1:1"})
    check(p.returncode == 3 and "cannot reach" in p.stderr, "connection failure", p)
    p = ctl("device", "show", "nope")
    check(p.returncode == 1 and "HTTP 404" in p.stderr, "unknown device", p)
    return key


def refuse_non_admin(cse, ctl):
    # Not authenticated at all: 401. An accepted caller without admin rights: 403.
    p = ctl("device", "list", origin="Cnobody")
    check(p.returncode == 1 and "HTTP 401" in p.stderr, "unregistered originator", p)
    r = cse.create("/cse-in", 2, cssftest.ae("plain"), origin="Cplain")
    check(r.status == 201, "plain AE registered", r)
    p = ctl("device", "list", origin="Cplain")
    check(p.returncode == 1 and "HTTP 403" in p.stderr and "admin rights" in p.stderr,
          "registered AE without admin rights", p)
    p = ctl("device", "rm", "meter-1", origin="Cplain")
    check(p.returncode == 1 and "HTTP 403" in p.stderr, "non-admin cannot remove", p)


def psk_over_coaps(cse, ctl, key):
    r = coaps(cse, "", "meter-1@example.net", key, "-f", "Cmeter1", "-t", "2", "-d",
              json.dumps(cssftest.ae("meter1")))
    check(r.rc == 0 and r.rsc == 2001, "AE CREATE over DTLS with the enrolled PSK", r)
    r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
    check(r.rsc not in (4106, 4107), "authenticated, From bound by the registry", r)
    r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cother")
    check(r.rsc == 4106, "From outside the device's AE-IDs", r)
    r = coaps(cse, "", "meter-1@example.net", "11" * 32, "-f", "Cmeter1")
    check(r.rc == 2 and "handshake failed" in r.stderr, "another key: no handshake", r)

    p = ctl("device", "suspend", "meter-1")
    check(p.returncode == 0 and "suspended" in p.stdout, "suspend", p)
    r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
    check(r.rc == 2 and "handshake failed" in r.stderr, "suspended: PSK refused at once", r)
    p = ctl("--json", "device", "list", "--state", "suspended")
    check(p.returncode == 0 and json.loads(p.stdout)["total"] == 1, "filter", p)
    p = ctl("device", "resume", "meter-1")
    check(p.returncode == 0 and "active" in p.stdout, "resume", p)
    r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
    check(r.rc == 0 or r.rsc not in (4106, 4107), "resumed: works again", r)


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="cssfctl-")
    workdir = os.path.join(tmp, "cse")
    os.makedirs(workdir)
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {})
    try:
        with start(workdir, policy) as cse:
            ctl = Ctl(cse)
            key = enrol_and_use(cse, ctl)
            refuse_non_admin(cse, ctl)
            psk_over_coaps(cse, ctl, key)
        master = os.path.join(workdir, "master.key")
        check(stat.S_IMODE(os.stat(master).st_mode) == 0o600, "master key 0600")
        with open(os.path.join(workdir, "cse.db"), "rb") as f:
            check(bytes.fromhex(key) not in f.read(), "no plaintext PSK in the database")

        # Restart: the device and its key are still there.
        with start(workdir, policy) as cse:
            ctl = Ctl(cse)
            p = ctl("--json", "device", "show", "meter-1")
            check(p.returncode == 0 and json.loads(p.stdout)["state"] == "active", "kept", p)
            r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
            check(r.rsc not in (4106, 4107) and r.rc != 2, "PSK works after restart", r)
            p = ctl("audit", "tail", "--device", "meter-1", "-n", "500")
            check(p.returncode == 0, "audit tail", p)
            for change in ("device.create meter-1: 201", "device.suspend meter-1: 200",
                           "device.resume meter-1: 200"):
                check(change in p.stdout, "audit shows " + change, p.stdout)
            p = ctl("--json", "audit", "tail", "--decision", "deny", "--event", "admin")
            lines = json.loads(p.stdout)["lines"]
            check(any(l["from"] == "Cplain" and "admin rights" in l["reason"] for l in lines),
                  "refused admin call audited", lines)
            p = ctl("health")
            check(p.returncode == 0 and "1 device(s)" in p.stdout, "health", p)
            p = ctl("key", "rotate")
            check(p.returncode == 0 and "re-sealed" in p.stdout, "key rotation", p)
            r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
            check(r.rsc not in (4106, 4107) and r.rc != 2, "PSK works after rotation", r)
            p = ctl("device", "rm", "meter-1")
            check(p.returncode == 0, "rm", p)
            p = ctl("device", "show", "meter-1")
            check(p.returncode == 1 and "404" in p.stderr, "gone", p)
            r = coaps(cse, "/meter1", "meter-1@example.net", key, "-f", "Cmeter1")
            check(r.rc == 2 and "handshake failed" in r.stderr, "removed: PSK refused", r)

        # A master key file that others can read stops the start.
        os.chmod(master, 0o644)
        cse = start(workdir, policy)
        cse.expect_start = False
        cse.start()
        rc, out = cse.wait_exit()
        check(rc != 0 and "chmod 600" in out, "wide key file mode refused", out[-1500:])
        cse.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("cssfctl: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
