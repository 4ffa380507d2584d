#!/usr/bin/env python3
"""The CSSF testbed without docker: the services of docker/docker-compose.yml,
started from the very same files in docker/ on free loopback ports, then the
scenario end to end. Every step prints PASS or FAIL; the run stops at the
first failure, stops every process it started (by PID) and exits non-zero.

    tests/testbed/run.sh [BUILD_DIR]          the scenario (BUILD_DIR defaults to build/)
    tests/testbed/run.sh --serve [BUILD_DIR]  start the services and keep them running
                                              (docs/quickstart.md), until Ctrl-C

Services: FreeRADIUS (docker/radius/start.sh), the OAuth AS
(docker/as/start.sh with tests/as/server.js), the one-shot provisioning
(docker/provision/provision.sh: cssfctl applies docker/policies and enrols
the devices), onem2m-cse with cssf.so (docker/cse/cse.ini; addresses, ports
and paths overridden by CSE_<SECTION>_<KEY>), the sensors
(docker/device/*.sh).
Set TESTBED_KEEP=1 to keep the working directory for inspection.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
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


def wait_audit_line(path, pred, timeout=5.0):
    """The first JSON line of the audit log at path that satisfies pred."""
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = [json.loads(x) for x in f if x.strip()]
        for x in lines:
            if pred(x):
                return x
        if time.monotonic() > deadline:
            raise Failure("no such audit line in %s:\n%s" % (path, "\n".join(
                json.dumps(x) for x in lines[-10:])))
        time.sleep(0.05)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Testbed:
    def __init__(self, secrets=None):
        self.started = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="cssf-testbed-")
        self.secrets = secrets or os.path.join(self.dir, "secrets")
        self.data = os.path.join(self.dir, "data")  # the CSE's /var/lib/cssf
        self.ports = {"http": 0, "coaps": 0, "radius_auth": 0, "radius_acct": 0}
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
    def http(self, method, path, origin, ty=None, body=None, token=None):
        """Plain HTTP, or HTTPS (verified against the testbed CA) with a
        bearer token when token is given. Returns (rsc, body text)."""
        h = {"X-M2M-RI": uuid.uuid4().hex[:12], "X-M2M-RVI": "3", "Accept": "application/json"}
        if origin:
            h["X-M2M-Origin"] = origin
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json" + (";ty=%d" % ty if ty else "")
        if token is None:
            conn = http.client.HTTPConnection(*self.urls["http"], timeout=5)
        else:
            ctx = ssl.create_default_context(cafile=os.path.join(self.secrets, "testbed_ca"))
            conn = http.client.HTTPSConnection(*self.urls["https"], timeout=5, context=ctx)
        try:
            conn.request(method, "/" + path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            rsc = r.getheader("X-M2M-RSC")
            return (int(rsc) if rsc else None), raw.decode(errors="replace")
        finally:
            conn.close()

    def expect_http(self, rsc, method, path, origin, ty=None, body=None, token=None):
        got, text = self.http(method, path, origin, ty, body, token)
        check(got == rsc, "%s /%s as %s: expected rsc %s, got %s" % (method, path, origin, rsc, got),
              text)
        return text

    # --- services -------------------------------------------------------------
    def make_secrets(self):
        os.makedirs(self.secrets, exist_ok=True)
        p = self.run("secrets", ["sh", os.path.join(DOCKER, "secrets", "generate.sh"),
                                 self.secrets], {})
        check(p.returncode == 0, "docker/secrets/generate.sh failed", p.stderr)
        return ", ".join(sorted(f for f in os.listdir(self.secrets) if "." not in f and
                                f != "generate"))

    def secret(self, name):
        with open(os.path.join(self.secrets, name)) as f:
            return f.readline().strip()

    def radius_env(self):
        return {"RADIUS_DIR": os.path.join(self.dir, "radius"), "RADIUS_LISTEN": "127.0.0.1",
                "RADIUS_AUTH_PORT": str(self.radius_auth), "RADIUS_ACCT_PORT": str(self.radius_acct),
                "RADIUS_CLIENT_NET": "127.0.0.1", "SECRETS_DIR": self.secrets}

    def start_radius(self):
        self.radius_auth = self.ports["radius_auth"] or free_udp_port()
        self.radius_acct = self.ports["radius_acct"] or free_udp_port()
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

    def start_as(self):
        self.as_port = self.ports.get("as", 0)
        if not self.as_port:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.as_port = s.getsockname()[1]
            s.close()
        self.spawn("as", ["sh", os.path.join(DOCKER, "as", "start.sh")], {
            "AS_SERVER": os.path.join(SOURCE, "tests", "as", "server.js"),
            "AS_LISTEN": "127.0.0.1", "AS_PORT": str(self.as_port),
            "AS_ISSUER": "http://as:4000", "AS_KEYS": os.path.join(self.dir, "as-keys.json"),
            "SECRETS_DIR": self.secrets})
        self.wait_output("as", r'"issuer":"http://as:4000"', 15)
        return "issuer http://as:4000 on 127.0.0.1:%d" % self.as_port

    def prepare_policies(self):
        """docker/policies, with the AS's JWKS where this run has it."""
        if not getattr(self, "as_port", 0):
            self.as_port = self.ports.get("as", 0) or free_udp_port()  # nothing listens there
        # The policy names the AS as the containers see it; here it is on loopback.
        self.policies = os.path.join(self.dir, "policies")
        shutil.copytree(os.path.join(DOCKER, "policies"), self.policies)
        main = os.path.join(self.policies, "cssf.json")
        with open(main) as f:
            text = f.read()
        check('"jwks_uri": "http://as:4000/jwks"' in text, "no jwks_uri of the AS in the policy")
        with open(main, "w") as f:
            f.write(text.replace('"jwks_uri": "http://as:4000/jwks"',
                                 '"jwks_uri": "http://127.0.0.1:%d/jwks"' % self.as_port))
        return "jwks_uri http://127.0.0.1:%d/jwks" % self.as_port

    def token(self, client="sensor-http-1", secret=None):
        import base64
        import urllib.parse
        import urllib.request
        data = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "resource": "urn:onem2m:cse"}).encode()
        cred = "%s:%s" % (client, secret or self.secret("as_sensor_http_1"))
        req = urllib.request.Request("http://127.0.0.1:%d/token" % self.as_port, data=data,
                                     headers={"Authorization": "Basic " +
                                              base64.b64encode(cred.encode()).decode()})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())["access_token"]

    def cse_env(self):
        return {"CSE_BIN": os.path.join(BUILD, "cse", "onem2m-cse"),
                "CSE_CONFIG": os.path.join(DOCKER, "cse", "cse.ini"),
                "SECRETS_DIR": self.secrets, "SEED_POLICIES": self.policies,
                "POLICY_DIR": os.path.join(self.data, "policies"),
                "CSE_HTTP_LISTEN": "127.0.0.1", "CSE_HTTP_PORT": str(self.ports["http"]),
                "CSE_HTTP_TLS_PORT": str(self.ports.get("https", 0)),
                "CSE_HTTP_TLS_CERT": os.path.join(self.secrets, "cse_tls_cert"),
                "CSE_HTTP_TLS_KEY": os.path.join(self.secrets, "cse_tls_key"),
                "CSE_HTTP_TLS_CA": os.path.join(self.secrets, "testbed_ca"),
                "CSE_COAP_DTLS_CERT": os.path.join(self.secrets, "cse_tls_cert"),
                "CSE_COAP_DTLS_KEY": os.path.join(self.secrets, "cse_tls_key"),
                "CSE_COAP_DTLS_CA": os.path.join(self.secrets, "testbed_ca"),
                "CSE_COAP_LISTEN": "127.0.0.1", "CSE_COAP_DTLS_PORT": str(self.ports["coaps"]),
                "CSE_STORE_PATH": os.path.join(self.data, "cse.db"),
                "CSE_PLUGIN_PATH": os.path.join(BUILD, "plugin", "cssf.so"),
                "CSE_PLUGIN_POLICY_DIR": os.path.join(self.data, "policies"),
                "CSE_PLUGIN_AUDIT_FILE": os.path.join(self.data, "audit.log"),
                "CSE_PLUGIN_RADIUS_AUTH_SERVERS": "127.0.0.1:%d" % self.radius_auth,
                "CSE_PLUGIN_RADIUS_ACCT_SERVERS": "127.0.0.1:%d" % self.radius_acct,
                "CSE_PLUGIN_RADIUS_ACCT_QUEUE": os.path.join(self.data, "radius-acct.db")}

    def provision(self):
        host, port = self.urls["https"]
        p = self.run("provision", ["sh", os.path.join(DOCKER, "provision", "provision.sh")], {
            "CSSF_URL": "https://%s:%d" % (host, port),
            "CSSF_CACERT": os.path.join(self.secrets, "testbed_ca"),
            "TESTBED_POLICIES": self.policies, "SECRETS_DIR": self.secrets,
            "CSSFCTL": os.path.join(BUILD, "tools", "cssfctl")}, timeout=40)
        check(p.returncode == 0 and "provision: done" in p.stdout,
              "provision.sh exited %d" % p.returncode, p.stdout, p.stderr)
        enrolled = re.findall(r"device (\S+) enrolled", p.stdout)
        shipped = {"dashboard", "sensor-aaa-1", "sensor-cert-1", "sensor-reg-1", "sensor-retired"}
        check(shipped <= set(enrolled), "the testbed's devices enrolled", p.stdout)
        for key in ("psk_coap_reg", "psk_dashboard", "psk_retired", "radius_secret",
                    "radius_psk_password"):
            check(self.secret(key) not in p.stdout + p.stderr, "provisioning printed a key")
        sealed = re.findall(r"RADIUS secret of (\S+) sealed", p.stdout)
        check(len(sealed) == 2 and "PSK-lookup password sealed" in p.stdout,
              "RADIUS secrets sealed for both servers and the PSK lookups", p.stdout)
        db = b""
        for name in ("cse.db", "cse.db-wal"):
            if os.path.exists(os.path.join(self.data, name)):
                with open(os.path.join(self.data, name), "rb") as f:
                    db += f.read()
        for key in ("radius_secret", "radius_psk_password"):
            check(self.secret(key).encode() not in db, "%s in plaintext in the store" % key)
        line = wait_audit_line(os.path.join(self.data, "audit.log"), lambda x: (
            x.get("event") == "admin" and "device.create" in (x.get("reason") or "")))
        check(line.get("identity") == "urn:cssf:testbed:provisioner" and
              not line.get("trusted_claim"), "admin changes by the certificate's identity", line)
        return "policy applied; " + ", ".join(enrolled)

    def start_cse(self):
        self.spawn("cse", ["sh", os.path.join(DOCKER, "cse", "start.sh")], self.cse_env())
        out = self.wait_output("cse", r"listening on http://", 10)
        for m in LISTEN_RE.finditer(out):
            self.urls[m.group(1)] = (m.group(2), int(m.group(3)))
        out = self.wait_output("cse", r"listening on https://", 5)
        for m in LISTEN_RE.finditer(out):
            self.urls[m.group(1)] = (m.group(2), int(m.group(3)))
        check("coaps" in self.urls and "https" in self.urls, "no coaps/https listener", out[-2000:])
        return ", ".join("%s %s:%d" % (k, *v) for k, v in sorted(self.urls.items()))

    # --- scenario -----------------------------------------------------------------
    def device_http(self, readings):
        host, port = self.urls["https"]
        p = self.run("device-http", ["sh", os.path.join(DOCKER, "device", "device-http.sh")],
                     {"CSE_URL": "https://%s:%d" % (host, port),
                      "CA_FILE": os.path.join(self.secrets, "testbed_ca"),
                      "AS_URL": "http://127.0.0.1:%d" % self.as_port,
                      "CLIENT_SECRET_FILE": os.path.join(self.secrets, "as_sensor_http_1"),
                      "READINGS": str(readings), "INTERVAL": "0"})
        check(p.returncode == 0, "device-http.sh exited %d" % p.returncode, p.stdout, p.stderr)
        check(self.secret("as_sensor_http_1") not in p.stdout + p.stderr, "secret printed")
        return "%d readings over HTTPS with a bearer token" % readings

    def token_denials(self):
        token = self.token()
        cin = {"m2m:cin": {"con": "99.9"}}
        # HTTPS without a token: no credential at all.
        got, text = self.http("GET", "cse-in/sensor-http-1/readings/la", "Csensor-http-1",
                              token="")
        check(got == 4107, "HTTPS without a token: expected 4107, got %s" % got, text)
        self.expect_http(4106, "GET", "cse-in/sensor-coap-1/readings/la", "Csensor-coap-1",
                         token=token)
        self.expect_http(4103, "POST", "cse-in/sensor-coap-1", "Csensor-http-1", 3,
                         {"m2m:cnt": {"rn": "planted"}}, token=token)
        self.expect_http(4103, "DELETE", "cse-in/sensor-coap-1", "Csensor-http-1", token=token)
        head, payload, sig = token.split(".")
        forged = ".".join([head, payload, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
        got, text = self.http("GET", "cse-in/sensor-http-1/readings/la", "Csensor-http-1",
                              token=forged)
        check(got == 4103 and "invalid bearer token" in text, "a forged signature: 4103", got, text)
        try:
            self.token(secret="0" * 48)
            check(False, "the AS issued a token for a wrong client secret")
        except Exception as e:  # noqa: BLE001 - urllib raises HTTPError 401
            check("401" in str(e) or "400" in str(e), "AS refusal", e)
        p = self.cssfctl({"CSSF_URL": "https://%s:%d" % self.urls["https"], "CSSF_TOKEN": token},
                         "device", "list")
        check(p.returncode == 1 and "HTTP 403" in p.stderr, "admin API with a sensor's token: 403",
              p.stdout, p.stderr)
        return "4107, 4106, 4103, forged signature 4103, AS refuses a wrong secret, admin 403"

    def device_cert(self, readings):
        host, port = self.urls["coaps"]
        p = self.run("device-coap-cert", ["sh", os.path.join(DOCKER, "device", "device-coap.sh")],
                     {"CSE_COAPS_URL": "coaps://%s:%d" % (host, port),
                      "CERT_FILE": os.path.join(self.secrets, "sensor_cert_1_cert"),
                      "KEY_FILE": os.path.join(self.secrets, "sensor_cert_1_key"),
                      "CA_FILE": os.path.join(self.secrets, "testbed_ca"),
                      "DEVICE_ORIGIN": "Csensor-cert-1", "DEVICE_RN": "sensor-cert-1",
                      "READINGS": str(readings), "INTERVAL": "0",
                      "COAP_CLIENT": os.path.join(BUILD, "tools", "m2m-coap-client")})
        check(p.returncode == 0, "device-coap.sh exited %d" % p.returncode, p.stdout, p.stderr)
        check('method=cert identity="urn:cssf:testbed:sensor-cert-1"' in self.output("cse"),
              "no certificate session in the CSE log", self.output("cse")[-1500:])
        return "%d readings over DTLS with a certificate bound by the registry" % readings

    def stranger_cert(self):
        """A certificate from another CA, with the enrolled SAN: no session."""
        d = os.path.join(self.dir, "stranger")
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", "k.pem", "-out", "c.pem",
                        "-days", "2", "-subj", "/CN=stranger", "-addext",
                        "subjectAltName=URI:urn:cssf:testbed:sensor-cert-1"],
                       cwd=d, check=True, capture_output=True)
        host, port = self.urls["coaps"]
        p = self.run("coap-stranger", [os.path.join(BUILD, "tools", "m2m-coap-client"),
                                       "--timeout", "300", "--cert", os.path.join(d, "c.pem"),
                                       "--key", os.path.join(d, "k.pem"), "-f", "Csensor-cert-1",
                                       "coaps://%s:%d/cse-in" % (host, port)], {})
        check(p.returncode == 2 and "handshake" in p.stdout + p.stderr,
              "a self-signed certificate with the enrolled SAN: no handshake", p.stdout, p.stderr)
        return "handshake refused"

    def device_coap(self, readings, identity="coap-sensor-aaa", key="psk_coap_aaa",
                    origin="Csensor-coap-1", rn="sensor-coap-1"):
        host, port = self.urls["coaps"]
        logins = self.output("radius").count("Login OK: [%s]" % identity)
        p = self.run("device-coap", ["sh", os.path.join(DOCKER, "device", "device-coap.sh")],
                     {"CSE_COAPS_URL": "coaps://%s:%d" % (host, port),
                      "PSK_IDENTITY": identity, "PSK_FILE": os.path.join(self.secrets, key),
                      "DEVICE_ORIGIN": origin, "DEVICE_RN": rn,
                      "READINGS": str(readings), "INTERVAL": "0",
                      "COAP_CLIENT": os.path.join(BUILD, "tools", "m2m-coap-client")})
        check(p.returncode == 0, "device-coap.sh exited %d" % p.returncode, p.stdout, p.stderr)
        check('method=psk identity="%s"' % identity in self.output("cse"),
              "no DTLS-PSK session in the CSE log")
        asked = self.output("radius").count("Login OK: [%s]" % identity) - logins
        if key == "psk_coap_aaa":
            check(asked >= 1 or logins >= 1, "RADIUS was not asked for the key")
            return "%d readings over DTLS-PSK, key from RADIUS" % readings
        check(logins == 0 and asked == 0, "RADIUS was asked for a registry device")
        return "%d readings over DTLS-PSK, key from the registry" % readings

    def coap(self, *args, psk=None, origin=None):
        """m2m-coap-client ARGS... PATH as the sensor (or psk=(identity, key));
        returns (exit code, rsc, output)."""
        host, port = self.urls["coaps"]
        ident, key = psk or ("coap-sensor-aaa", "0x" + self.secret("psk_coap_aaa"))
        argv = [os.path.join(BUILD, "tools", "m2m-coap-client"), "--timeout", "300",
                "-u", ident, "-k", key] + (["-f", origin] if origin else []) + list(args[:-1]) + [
                    "coaps://%s:%d/%s" % (host, port, args[-1])]
        p = self.run("coap-client", argv, {})
        first = p.stdout.split("\n", 1)[0]
        m = re.search(r"rsc=(\d+)", first)
        return p.returncode, (int(m.group(1)) if m else None), p.stdout + p.stderr

    def coap_denials(self):
        cin = '{"m2m:cin":{"con":"99.9"}}'
        rc, rsc, out = self.coap("-f", "Cdashboard", "cse-in/sensor-coap-1/readings/la")
        check(rsc == 4106, "the sensor's identity speaking as the dashboard: expected 4106", out)
        rc, rsc, out = self.coap("-f", "Csensor-coap-1", "-t", "3", "-d",
                                 '{"m2m:cnt":{"rn":"planted"}}', "cse-in/dashboard")
        check(rsc == 4103, "the sensor writing into the dashboard's AE: expected 4103", out)
        rc, rsc, out = self.coap("-f", "Csensor-coap-1", "-X", "DELETE", "cse-in/acpReadings")
        check(rsc == 4103, "the sensor deleting the ACP: expected 4103", out)
        rc, rsc, out = self.dashboard("-t", "4", "-d", cin, "cse-in/sensor-coap-1/readings")
        check(rsc == 4103, "the dashboard writing a reading: expected 4103", out)
        rc, rsc, out = self.coap("-f", "Csensor-coap-1", "cse-in",
                                 psk=("coap-sensor-aaa", "0x" + "00" * 16))
        check(rc == 2 and "handshake" in out, "a wrong key: no handshake", out)
        return "4106, 4103 x3, wrong key: no handshake"

    def dashboard(self, *args):
        return self.coap(*args, psk=("dashboard", "0x" + self.secret("psk_dashboard")),
                         origin="Cdashboard")

    def dashboard_reads(self):
        ae = '{"m2m:ae":{"rn":"dashboard","api":"Ndashboard","rr":false,"srv":["3"],"acpi":[]}}'
        rc, rsc, out = self.dashboard("-t", "2", "-d", ae, "cse-in")
        check(rsc == 2001, "dashboard registers over DTLS-PSK", out)
        rc, rsc, out = self.dashboard("cse-in/sensor-coap-1/readings/la")
        check(rsc == 2000 and '"con":' in out, "dashboard reads the latest reading", out)
        rc, rsc, out = self.dashboard("-q", "fu=1&ty=4", "cse-in/sensor-coap-1/readings")
        check(rsc == 2000 and "cse-in/sensor-coap-1/readings/" in out, "dashboard discovers", out)
        return "latest reading read, %d found" % out.count("cse-in/sensor-coap-1/readings/")

    def http_denials(self):
        """Without a security association nothing passes, whatever From says."""
        cin = {"m2m:cin": {"con": "99.9"}}
        self.expect_http(4107, "GET", "cse-in/sensor-coap-1/readings/la", "Csensor-coap-1")
        self.expect_http(4107, "POST", "cse-in/sensor-coap-1/readings", "Csensor-coap-1", 4, cin)
        self.expect_http(4107, "DELETE", "cse-in/sensor-coap-1", "CAdmin")
        self.expect_http(4107, "POST", "cse-in", "Csensor-http-1", 2, {
            "m2m:ae": {"rn": "intruder", "api": "Nsensor", "rr": False, "srv": ["3"]}})
        self.expect_http(4107, "GET", "cse-in/sensor-coap-1", None)
        p = self.cssfctl({"CSSF_URL": "http://%s:%d" % self.urls["http"]}, "device", "list")
        check(p.returncode == 1 and "HTTP 401" in p.stderr, "admin API, claimed CAdmin: 401",
              p.stdout, p.stderr)
        return "5 requests refused with 4107, the admin API with 401"

    def cssfctl(self, env, *args):
        e = {"CSSF_ORIGIN": "CAdmin", "CSSF_CACERT": os.path.join(self.secrets, "testbed_ca")}
        e.update(env)
        return self.run("cssfctl", [os.path.join(BUILD, "tools", "cssfctl")] + list(args), e)

    def suspended_device(self):
        """Enrolled but suspended: the registry gives no key, RADIUS is not asked."""
        rc, rsc, out = self.coap("-f", "Csensor-retired", "cse-in",
                                 psk=("coap-sensor-retired", "0x" + self.secret("psk_retired")))
        check(rc == 2 and "handshake" in out, "a suspended device: no handshake", out)
        check("Login OK: [coap-sensor-retired]" not in self.output("radius") and
              "coap-sensor-retired" not in self.output("radius"), "RADIUS was asked")
        return "handshake refused"

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
        path = os.path.join(self.data, "audit.log")
        deadline = time.monotonic() + 5
        while True:
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            denied = [x for x in lines if x.get("decision") == "deny"]
            writes = [x for x in lines if x.get("event") == "request" and x.get("op") == "create"
                      and x.get("from") == "Csensor-coap-1" and x.get("rsc") == 2001
                      and x.get("identity") == "coap-sensor-aaa" and x.get("binding") == "coaps"]
            if (len(denied) >= 9 and writes) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(writes, "no audit line for the sensor's writes", lines[-5:])
        check(len(denied) >= 9, "expected 9 denials in the audit log, got %d" % len(denied), denied)
        text = json.dumps(lines)
        check("99.9" not in text and '"con"' not in text, "resource content in the audit log")
        check("eyJ" not in text + self.output("cse"), "a bearer token in the audit log or CSE log")
        for name in ("psk_coap_aaa", "psk_coap_reg", "psk_dashboard", "psk_retired",
                     "radius_psk_password", "radius_secret", "as_sensor_http_1"):
            check(self.secret(name) not in text + self.output("cse"), "secret %s logged" % name)
        return "%d lines, %d denials" % (len(lines), len(denied))

    def stop_cse(self):
        rc = self.stop("cse")
        check(rc == 0, "onem2m-cse exited %s" % rc, self.output("cse")[-2000:])
        return "exit 0"

    def accounting(self):
        """Each DTLS session of the sensor: a Start and a Stop (sent at the
        latest when the plugin stops) in FreeRADIUS's detail file; its AE
        registration is a session of its own (Acct-Session-Id "ae-..."),
        open while the AE exists."""
        path = os.path.join(self.dir, "radius", "radacct", "detail")
        deadline = time.monotonic() + 5
        while True:
            text = open(path).read() if os.path.exists(path) else ""
            mine = [r for r in text.split("\n\n") if 'User-Name = "coap-sensor-aaa"' in r]
            ae = [r for r in mine if 'Acct-Session-Id = "ae-' in r]
            recs = [r for r in mine if r not in ae]
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
        check(any("Acct-Status-Type = Start" in r for r in ae), "no Start for the AE registration",
              text[-2000:])
        return "%d sessions, Start and Stop each; AE registration Start" % len(starts)

    def stop_radius(self):
        rc = self.stop("radius")
        check(rc == 0, "freeradius exited %s" % rc, self.output("radius")[-2000:])
        return "exit 0"


def serve():
    """Starts the services on fixed loopback ports (TESTBED_HTTP_PORT 8080,
    TESTBED_COAPS_PORT 5684, TESTBED_RADIUS_PORT 18120 and the next one for
    accounting) with the secrets of docker/secrets, prints how to reach them
    and keeps them running until SIGINT or SIGTERM."""
    tb = Testbed(secrets=os.path.join(DOCKER, "secrets"))
    radius = int(os.environ.get("TESTBED_RADIUS_PORT", "18120"))
    tb.ports = {"http": int(os.environ.get("TESTBED_HTTP_PORT", "8080")),
                "https": int(os.environ.get("TESTBED_HTTPS_PORT", "8443")),
                "as": int(os.environ.get("TESTBED_AS_PORT", "4000")),
                "coaps": int(os.environ.get("TESTBED_COAPS_PORT", "5684")),
                "radius_auth": radius, "radius_acct": radius + 1}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    try:
        for name, fn in (("secrets: docker/secrets", tb.make_secrets),
                         ("radius: FreeRADIUS from docker/radius", tb.start_radius),
                         ("as: OAuth AS from docker/as (oidc-provider)", tb.start_as),
                         ("policy: docker/policies with the AS's JWKS on loopback",
                          tb.prepare_policies),
                         ("cse: onem2m-cse + cssf.so from docker/cse, policy seeded",
                          tb.start_cse),
                         ("provision: cssfctl (admin certificate) applies the policy, "
                          "enrols devices", tb.provision)):
            tb.step(name, fn)
        print("\ntestbed: running. Working directory (database, audit.log, *.log, radius/radacct/"
              "detail): %s\n  HTTP   http://127.0.0.1:%d/cse-in\n  HTTPS  https://127.0.0.1:%d/cse-in"
              " (CA %s)\n  AS     http://127.0.0.1:%d/token (client sensor-http-1, secret in %s)"
              "\n  CoAPS  coaps://127.0.0.1:%d/cse-in"
              "\n  PSKs   coap-sensor-aaa (AE-ID Csensor-coap-1, RADIUS holds the key): %s"
              "\n         coap-sensor-reg (AE-ID Csensor-reg-1): %s"
              "\n         dashboard (AE-ID Cdashboard): %s\nCtrl-C stops every service." % (
                  tb.dir, tb.urls["http"][1], tb.urls["https"][1],
                  os.path.join(tb.secrets, "testbed_ca"), tb.as_port,
                  os.path.join(tb.secrets, "as_sensor_http_1"), tb.urls["coaps"][1],
                  os.path.join(tb.secrets, "psk_coap_aaa"),
                  os.path.join(tb.secrets, "psk_coap_reg"),
                  os.path.join(tb.secrets, "psk_dashboard")), flush=True)
        while not stop and all(p.poll() is None for p, _ in tb.procs.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except Failure:
        return 1
    finally:
        tb.stop_all()
        print("testbed: stopped; %s kept" % tb.dir)
    return 0


def as_missing():
    """Why the OAuth AS cannot run here (tests/as needs Node.js 20 and its
    npm packages, installed by tools/install-deps.sh), or None."""
    if not os.path.isdir(os.path.join(SOURCE, "tests", "as", "node_modules", "oidc-provider")):
        return "tests/as/node_modules is missing (tools/install-deps.sh)"
    try:
        major = int(subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"],
                                   capture_output=True, text=True, timeout=10).stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return "node is missing"
    return None if major >= 20 else "oidc-provider needs Node.js 20 (found %d)" % major


def main():
    if "--serve" in sys.argv[1:]:
        return serve()
    tb = Testbed()
    no_as = as_missing()
    print("testbed: %s (build %s), working directory %s" % (SOURCE, BUILD, tb.dir), flush=True)
    steps = [
        ("secrets: docker/secrets/generate.sh", tb.make_secrets),
        ("radius: FreeRADIUS from docker/radius", tb.start_radius),
        ("radius: the AAA device's PSK as Tunnel-Password", tb.radius_psk_answer),
        ("as: OAuth AS from docker/as (oidc-provider)", tb.start_as, "oauth"),
        ("policy: docker/policies with the AS's JWKS on loopback", tb.prepare_policies),
        ("cse: onem2m-cse + cssf.so from docker/cse, policy seeded", tb.start_cse),
        ("provision: cssfctl (admin certificate) applies the policy, enrols devices",
         tb.provision),
        ("device-http: token from the AS, 3 readings over HTTPS", lambda: tb.device_http(3),
         "oauth"),
        ("device-coap: DTLS-PSK from RADIUS, write 3 readings, read back",
         lambda: tb.device_coap(3)),
        ("device-coap: restarted, writes 1 more", lambda: tb.device_coap(1)),
        ("device-coap-reg: DTLS-PSK from the registry, 3 readings",
         lambda: tb.device_coap(3, "coap-sensor-reg", "psk_coap_reg", "Csensor-reg-1",
                                "sensor-reg-1")),
        ("device-coap-cert: DTLS certificate bound by the registry, 3 readings",
         lambda: tb.device_cert(3)),
        ("dashboard: DTLS-PSK from the registry, reads and discovers", tb.dashboard_reads),
        ("deny: impersonation, foreign AE, ACP, read-only, wrong key", tb.coap_denials),
        ("deny: HTTP without a security association (4107)", tb.http_denials),
        ("deny: no token, foreign AE-ID, foreign AE, forged token", tb.token_denials, "oauth"),
        ("deny: a suspended device gets no DTLS session", tb.suspended_device),
        ("deny: a certificate from another CA gets no DTLS session", tb.stranger_cert),
        ("deny: DTLS handshake with an unknown PSK identity", tb.dtls_unknown_psk),
        ("audit: permits and denials logged, no content", tb.audit),
        ("stop: onem2m-cse by PID, exit 0", tb.stop_cse),
        ("accounting: Start/Stop per DTLS session in the detail file", tb.accounting),
        ("stop: freeradius by PID, exit 0", tb.stop_radius),
    ]
    passed = skipped = 0
    try:
        for name, fn, *needs in steps:
            if needs and no_as:
                print("SKIP %-64s (%s)" % (name, no_as), flush=True)
                skipped += 1
                continue
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
    print("testbed: %d passed, %d failed, %d not run, %d skipped (%.1f s)" % (
        passed, tb.failed, len(steps) - passed - tb.failed - skipped, skipped, total))
    return 0 if passed + skipped == len(steps) and total < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
