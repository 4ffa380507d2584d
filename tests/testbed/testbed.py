#!/usr/bin/env python3
"""The CSSF testbed without docker: the services of docker/docker-compose.yml,
started from the very same files in docker/ on free loopback ports, then the
scenario end to end. Every step prints PASS or FAIL; the run stops at the
first failure, stops every process it started (by PID) and exits non-zero.

    tests/testbed/run.sh [BUILD_DIR]     (BUILD_DIR defaults to build/)

Services: FreeRADIUS (docker/radius/start.sh), onem2m-cse with cssf.so
(docker/cse/cse.ini, docker/policies; addresses, ports and paths overridden
by CSE_<SECTION>_<KEY>), the sensors (docker/device/*.sh).
Set TESTBED_KEEP=1 to keep the working directory for inspection.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("CSE_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("CSE_BUILD_DIR") or os.path.join(SOURCE, "build")
DOCKER = os.path.join(SOURCE, "docker")
BUDGET = float(os.environ.get("TESTBED_BUDGET", "60"))  # seconds for the whole run
LISTEN_RE = re.compile(r"listening on (https?|coaps?)://([0-9.]+):(\d+)")


class Failure(Exception):
    pass


def check(cond, what, *ctx):
    if not cond:
        raise Failure(what + "".join("\n    " + str(c)[:1500] for c in ctx))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Testbed:
    def __init__(self):
        self.started = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="cssf-testbed-")
        self.secrets = os.path.join(self.dir, "secrets")
        self.procs = {}  # name -> (Popen, log path)
        self.urls = {}
        self.failed = 0

    # --- bookkeeping ------------------------------------------------------
    def remaining(self):
        return BUDGET - (time.monotonic() - self.started)

    def step(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            if self.remaining() <= 0:
                raise Failure("time budget of %.0f s used up" % BUDGET)
            detail = fn(*args)
        except Exception as e:  # noqa: BLE001 - every failure is reported the same way
            self.failed += 1
            print("FAIL %-64s %5.2f s\n    %s" % (name, time.monotonic() - t0, e), flush=True)
            raise
        print("PASS %-64s %5.2f s%s" % (name, time.monotonic() - t0,
                                          "  (%s)" % detail if detail else ""), flush=True)

    def spawn(self, name, argv, env, cwd=None):
        log = os.path.join(self.dir, name + ".log")
        full_env = dict(os.environ)
        full_env.update(env)
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                    cwd=cwd or self.dir, start_new_session=True)
        self.procs[name] = (proc, log)
        return proc

    def output(self, name):
        with open(self.procs[name][1], errors="replace") as f:
            return f.read()

    def wait_output(self, name, pattern, timeout):
        proc = self.procs[name][0]
        deadline = time.monotonic() + min(timeout, max(self.remaining(), 0))
        while time.monotonic() < deadline:
            out = self.output(name)
            if re.search(pattern, out):
                return out
            if proc.poll() is not None:
                raise Failure("%s exited with %s:\n%s" % (name, proc.returncode, out[-3000:]))
            time.sleep(0.05)
        raise Failure("%s: no %r within %.0f s:\n%s" % (name, pattern, timeout,
                                                          self.output(name)[-3000:]))

    def stop(self, name):
        proc, _ = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self):
        for name in reversed(list(self.procs)):
            self.stop(name)

    def run(self, name, argv, env, timeout=20):
        full_env = dict(os.environ)
        full_env.update(env)
        try:
            p = subprocess.run(argv, env=full_env, cwd=self.dir, capture_output=True, text=True,
                               timeout=min(timeout, max(self.remaining(), 1)))
        except subprocess.TimeoutExpired as e:
            raise Failure("%s timed out: %s %s" % (name, e.stdout, e.stderr))
        with open(os.path.join(self.dir, name + ".log"), "a") as f:
            f.write(p.stdout + p.stderr)
        return p

    # --- HTTP requests as a oneM2M client ------------------------------------
    def http(self, method, path, origin, ty=None, body=None):
        host, port = self.urls["http"]
        h = {"X-M2M-RI": uuid.uuid4().hex[:12], "X-M2M-RVI": "3", "Accept": "application/json"}
        if origin:
            h["X-M2M-Origin"] = origin
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json" + (";ty=%d" % ty if ty else "")
        conn = http.client.HTTPConnection(host, port, timeout=5)
        try:
            conn.request(method, "/" + path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            rsc = r.getheader("X-M2M-RSC")
            return (int(rsc) if rsc else None), raw.decode(errors="replace")
        finally:
            conn.close()

    def expect_http(self, rsc, method, path, origin, ty=None, body=None):
        got, text = self.http(method, path, origin, ty, body)
        check(got == rsc, "%s /%s as %s: expected rsc %s, got %s" % (method, path, origin, rsc, got),
              text)
        return text

    # --- services -------------------------------------------------------------
    def make_secrets(self):
        p = self.run("secrets", ["sh", os.path.join(DOCKER, "secrets", "generate.sh"),
                                 self.secrets], {})
        check(p.returncode == 0, "docker/secrets/generate.sh failed", p.stderr)
        return "%d files" % len(os.listdir(self.secrets))

    def secret(self, name):
        with open(os.path.join(self.secrets, name)) as f:
            return f.readline().strip()

    def radius_env(self):
        return {"RADIUS_DIR": os.path.join(self.dir, "radius"), "RADIUS_LISTEN": "127.0.0.1",
                "RADIUS_AUTH_PORT": str(self.radius_auth), "RADIUS_ACCT_PORT": str(self.radius_acct),
                "RADIUS_CLIENT_NET": "127.0.0.1", "SECRETS_DIR": self.secrets}

    def start_radius(self):
        self.radius_auth, self.radius_acct = free_udp_port(), free_udp_port()
        self.spawn("radius", ["sh", os.path.join(DOCKER, "radius", "start.sh")], self.radius_env())
        self.wait_output("radius", r"Ready to process requests", 15)
        return "auth 127.0.0.1:%d, acct 127.0.0.1:%d" % (self.radius_auth, self.radius_acct)

    def radius_psk_answer(self):
        """The testbed's users file hands the AAA device its PSK."""
        attrs = "User-Name=coap-sensor-aaa,User-Password=%s,Message-Authenticator=0x00" % (
            self.secret("radius_psk_password"))
        p = subprocess.run(["radclient", "-x", "-r", "1", "-t", "2",
                            "127.0.0.1:%d" % self.radius_auth, "auth",
                            self.secret("radius_secret")],
                           input=attrs, capture_output=True, text=True, timeout=10)
        check("Received Access-Accept" in p.stdout, "radclient: no Access-Accept", p.stdout, p.stderr)
        check(self.secret("psk_coap_aaa") in p.stdout, "Tunnel-Password is not the device PSK",
              p.stdout)
        return "Access-Accept with Tunnel-Password"

    def cse_env(self):
        return {"CSE_BIN": os.path.join(BUILD, "cse", "onem2m-cse"),
                "CSE_CONFIG": os.path.join(DOCKER, "cse", "cse.ini"),
                "SECRETS_DIR": self.secrets,
                "CSE_HTTP_LISTEN": "127.0.0.1", "CSE_HTTP_PORT": "0",
                "CSE_COAP_LISTEN": "127.0.0.1", "CSE_COAP_DTLS_PORT": "0",
                "CSE_STORE_PATH": os.path.join(self.dir, "cse.db"),
                "CSE_PLUGIN_PATH": os.path.join(BUILD, "plugin", "cssf.so"),
                "CSE_PLUGIN_POLICY_DIR": os.path.join(DOCKER, "policies"),
                "CSE_PLUGIN_AUDIT_FILE": os.path.join(self.dir, "audit.log"),
                "CSE_PLUGIN_RADIUS_AUTH_SERVERS": "127.0.0.1:%d" % self.radius_auth,
                "CSE_PLUGIN_RADIUS_ACCT_SERVERS": "127.0.0.1:%d" % self.radius_acct,
                "CSE_PLUGIN_RADIUS_SECRET_FILE": os.path.join(self.secrets, "radius_secret"),
                "CSE_PLUGIN_RADIUS_ACCT_QUEUE": os.path.join(self.dir, "radius-acct.db")}

    def start_cse(self):
        self.spawn("cse", ["sh", os.path.join(DOCKER, "cse", "start.sh")], self.cse_env())
        out = self.wait_output("cse", r"listening on http://", 10)
        for m in LISTEN_RE.finditer(out):
            self.urls[m.group(1)] = (m.group(2), int(m.group(3)))
        check("coaps" in self.urls, "no coaps listener", out[-2000:])
        return ", ".join("%s %s:%d" % (k, *v) for k, v in sorted(self.urls.items()))

    # --- scenario -----------------------------------------------------------------
    def device_http(self, origin, rn, readings):
        host, port = self.urls["http"]
        p = self.run("device-http", ["sh", os.path.join(DOCKER, "device", "device-http.sh")],
                     {"CSE_URL": "http://%s:%d" % (host, port), "DEVICE_ORIGIN": origin,
                      "DEVICE_RN": rn, "READINGS": str(readings), "INTERVAL": "0"})
        check(p.returncode == 0, "device-http.sh exited %d" % p.returncode, p.stdout, p.stderr)
        return "%d readings written and read back" % readings

    def device_coap(self, readings):
        host, port = self.urls["coaps"]
        p = self.run("device-coap", ["sh", os.path.join(DOCKER, "device", "device-coap.sh")],
                     {"CSE_COAPS_URL": "coaps://%s:%d" % (host, port),
                      "PSK_IDENTITY": "coap-sensor-aaa",
                      "PSK_FILE": os.path.join(self.secrets, "psk_coap_aaa"),
                      "DEVICE_ORIGIN": "Csensor-coap-1", "DEVICE_RN": "sensor-coap-1",
                      "READINGS": str(readings), "INTERVAL": "0",
                      "COAP_CLIENT": os.path.join(BUILD, "tools", "m2m-coap-client")})
        check(p.returncode == 0, "device-coap.sh exited %d" % p.returncode, p.stdout, p.stderr)
        check('method=psk identity="coap-sensor-aaa"' in self.output("cse"),
              "no DTLS-PSK session in the CSE log")
        check("Login OK: [coap-sensor-aaa]" in self.output("radius"), "RADIUS was not asked")
        return "%d readings over DTLS-PSK, key from RADIUS" % readings

    def coap(self, *args, psk=None):
        host, port = self.urls["coaps"]
        ident, key = psk or ("coap-sensor-aaa", "0x" + self.secret("psk_coap_aaa"))
        argv = [os.path.join(BUILD, "tools", "m2m-coap-client"), "--timeout", "300",
                "-u", ident, "-k", key] + list(args[:-1]) + [
                    "coaps://%s:%d/%s" % (host, port, args[-1])]
        p = self.run("coap-client", argv, {})
        first = p.stdout.split("\n", 1)[0]
        m = re.search(r"rsc=(\d+)", first)
        return p.returncode, (int(m.group(1)) if m else None), p.stdout + p.stderr

    def coap_denials(self):
        rc, rsc, out = self.coap("-f", "Csensor-http-1", "cse-in/sensor-http-1/readings/la")
        check(rsc == 4106, "DTLS identity speaking as another AE: expected 4106", out)
        rc, rsc, out = self.coap("-f", "Csensor-coap-1", "-t", "4", "-d",
                                 '{"m2m:cin":{"con":"1"}}', "cse-in/sensor-http-2")
        check(rsc == 4103, "writing into another sensor's AE: expected 4103", out)
        rc, rsc, out = self.coap("-f", "Csensor-coap-1", "cse-in",
                                 psk=("coap-sensor-aaa", "0x" + "00" * 16))
        check(rc == 2 and "handshake" in out, "a wrong key: no handshake", out)
        return "4106, 4103, wrong key refused"

    def dashboard_reads(self):
        self.expect_http(2001, "POST", "cse-in", "Cdashboard", 2, {
            "m2m:ae": {"rn": "dashboard", "api": "Ndashboard", "rr": False, "srv": ["3"],
                       "acpi": []}})
        text = self.expect_http(2000, "GET", "cse-in/sensor-http-1/readings/la", "Cdashboard")
        check('"con":' in text, "no reading in", text)
        self.expect_http(2000, "GET", "cse-in/sensor-http-1/readings?fu=1&ty=4", "Cdashboard")
        return "latest %s" % json.loads(text)["m2m:cin"]["con"]

    def denials(self):
        cin = {"m2m:cin": {"con": "99.9"}}
        # The dashboard may only read.
        self.expect_http(4103, "POST", "cse-in/sensor-http-1/readings", "Cdashboard", 4, cin)
        # Another sensor may not touch a sensor's AE (acpi [] = creator only).
        self.expect_http(2001, "POST", "cse-in", "Csensor-http-2", 2, {
            "m2m:ae": {"rn": "sensor-http-2", "api": "Nsensor", "rr": False, "srv": ["3"],
                       "acpi": []}})
        self.expect_http(4103, "POST", "cse-in/sensor-http-1", "Csensor-http-2", 3,
                         {"m2m:cnt": {"rn": "planted"}})
        self.expect_http(4103, "DELETE", "cse-in/sensor-http-1", "Csensor-http-2")
        # Unknown originators, a claimed CAdmin, a registration the policy forbids.
        self.expect_http(4106, "GET", "cse-in/sensor-http-1/readings/la", "Cintruder")
        self.expect_http(4106, "DELETE", "cse-in/sensor-http-1", "CAdmin")
        self.expect_http(4126, "POST", "cse-in", "Cintruder", 2, {
            "m2m:ae": {"rn": "intruder", "api": "Nsensor", "rr": False, "srv": ["3"]}})
        self.expect_http(4000, "GET", "cse-in/sensor-http-1", None)
        return "7 requests refused with the right rsc"

    def dtls_unknown_psk(self):
        """No PSK for an identity nobody enrolled: no handshake, no request."""
        host, port = self.urls["coaps"]
        p = self.run("coap-unknown", [os.path.join(BUILD, "tools", "m2m-coap-client"),
                                      "--timeout", "300", "-u", "nobody", "-k", "0x" + "11" * 16,
                                      "-f", "Cnobody", "coaps://%s:%d/cse-in" % (host, port)], {})
        check(p.returncode == 2, "handshake with an unknown PSK identity: exit %d" % p.returncode,
              p.stdout, p.stderr)
        check("unknown psk identity" in self.output("cse"), "CSE did not log the refusal")
        return "handshake refused"

    def audit(self):
        path = os.path.join(self.dir, "audit.log")
        deadline = time.monotonic() + 5
        while True:
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            denied = [x for x in lines if x.get("decision") == "deny"]
            writes = [x for x in lines if x.get("event") == "request" and x.get("op") == "create"
                      and x.get("from") == "Csensor-http-1" and x.get("rsc") == 2001]
            if (len(denied) >= 7 and writes) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(writes, "no audit line for the sensor's writes", lines[-5:])
        check(len(denied) >= 7, "expected 7 denials in the audit log, got %d" % len(denied), denied)
        text = json.dumps(lines)
        check("99.9" not in text and "20.5" not in text, "resource content in the audit log")
        return "%d lines, %d denials" % (len(lines), len(denied))

    def stop_cse(self):
        rc = self.stop("cse")
        check(rc == 0, "onem2m-cse exited %s" % rc, self.output("cse")[-2000:])
        return "exit 0"

    def accounting(self):
        """Each DTLS session of the AAA device: a Start and a Stop (sent at
        the latest when the plugin stops) in FreeRADIUS's detail file."""
        path = os.path.join(self.dir, "radius", "radacct", "detail")
        deadline = time.monotonic() + 5
        while True:
            text = open(path).read() if os.path.exists(path) else ""
            recs = [r for r in text.split("\n\n") if 'User-Name = "coap-sensor-aaa"' in r]
            starts = [r for r in recs if "Acct-Status-Type = Start" in r]
            stops = [r for r in recs if "Acct-Status-Type = Stop" in r]
            if (starts and len(stops) >= len(starts)) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(starts, "no Accounting Start for coap-sensor-aaa", text[-2000:])
        check(len(stops) == len(starts), "%d Starts, %d Stops" % (len(starts), len(stops)),
              text[-2000:])
        check(all("Acct-Session-Time" in r and "Acct-Input-Packets" in r for r in stops),
              "Stop without session time or packet counts", stops[0])
        check(all('NAS-Identifier = "/id-testbed"' in r for r in recs), "NAS-Identifier", recs[0])
        return "%d sessions, Start and Stop each" % len(starts)

    def stop_radius(self):
        rc = self.stop("radius")
        check(rc == 0, "freeradius exited %s" % rc, self.output("radius")[-2000:])
        return "exit 0"


def main():
    tb = Testbed()
    print("testbed: %s (build %s), working directory %s" % (SOURCE, BUILD, tb.dir), flush=True)
    steps = [
        ("secrets: docker/secrets/generate.sh", tb.make_secrets),
        ("radius: FreeRADIUS from docker/radius", tb.start_radius),
        ("radius: the AAA device's PSK as Tunnel-Password", tb.radius_psk_answer),
        ("cse: onem2m-cse + cssf.so from docker/cse, docker/policies", tb.start_cse),
        ("device-http: register, write 3 readings, read back",
         lambda: tb.device_http("Csensor-http-1", "sensor-http-1", 3)),
        ("device-http: restart, write 1 more", lambda: tb.device_http("Csensor-http-1",
                                                                       "sensor-http-1", 1)),
        ("dashboard: reads and discovers the readings", tb.dashboard_reads),
        ("deny: dashboard writes, foreign sensor, intruder, CAdmin", tb.denials),
        ("device-coap: DTLS-PSK from RADIUS, write 3 readings, read back",
         lambda: tb.device_coap(3)),
        ("deny: DTLS-PSK as a foreign AE, foreign AE, wrong key", tb.coap_denials),
        ("deny: DTLS handshake with an unknown PSK identity", tb.dtls_unknown_psk),
        ("audit: permits and denials logged, no content", tb.audit),
        ("stop: onem2m-cse by PID, exit 0", tb.stop_cse),
        ("accounting: Start/Stop per DTLS session in the detail file", tb.accounting),
        ("stop: freeradius by PID, exit 0", tb.stop_radius),
    ]
    passed = 0
    try:
        for name, fn in steps:
            tb.step(name, fn)
            passed += 1
    except Exception:  # noqa: BLE001 - reported by step()
        pass
    finally:
        tb.stop_all()
        if tb.failed:
            for name in tb.procs:
                sys.stdout.write("---- %s (last lines) ----\n%s\n" % (
                    name, "\n".join(tb.output(name).splitlines()[-25:])))
        if os.environ.get("TESTBED_KEEP"):
            print("testbed: kept %s" % tb.dir)
        else:
            shutil.rmtree(tb.dir, ignore_errors=True)
    total = time.monotonic() - tb.started
    print("testbed: %d passed, %d failed, %d not run (%.1f s)" % (
        passed, tb.failed, len(steps) - passed - tb.failed, total))
    return 0 if passed == len(steps) and total < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
