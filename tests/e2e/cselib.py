"""Starts the real onem2m-cse for end-to-end tests and talks to it over HTTP.

Usage:
    from cselib import Cse
    with Cse(insecure=True) as cse:               # or plugin="cssf", plugin_opts={...}
        r = cse.request("GET", "/cse-in", origin="CAdmin")
        assert r.status == 200 and r.rsc == 2000, r
        r = cse.create("/cse-in", 2, {"m2m:ae": {...}}, origin="C")

The CSE gets a temporary directory (database, config, logs), listens on a
free loopback port (it prints "listening on http://HOST:PORT") and is
stopped (SIGTERM, then SIGKILL) on exit. Nothing here fakes the server.

HTTPS (docs/tls.md):
    with Cse(plugin="cssf", https={"cert": "srv.pem", "key": "srv.key", "ca": "ca.pem",
                                   "client_auth": "required", "psk": True}) as cse:
        r = cse.request("GET", "/cse-in", origin="Cdev", https=True,
                        cert=("dev.pem", "dev.key"))          # mutual TLS
        r = cse.psk_request("GET", "/cse-in", "dev-id", "00ff...", origin="Cdev")  # TLS-PSK
The X.509 listener and (with "psk") the TLS-PSK listener take free ports;
the client trusts https["server_ca"] (default: https["ca"]) for the
server's certificate. TLS-PSK requests go through `openssl s_client`
(Python's ssl module has no PSK before 3.13).
"""
import base64
import http.client
import io
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

BUILD_DIR = os.environ.get("CSE_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SOURCE_DIR = os.environ.get("CSE_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
CSE_BIN = os.path.join(BUILD_DIR, "cse", "onem2m-cse")
CSSF_PLUGIN = os.path.join(BUILD_DIR, "plugin", "cssf.so")
TEST_PLUGIN_DIR = os.path.join(BUILD_DIR, "tests", "plugins")

LISTEN_RE = re.compile(r"listening on http://([0-9.:\[\]a-f]+):(\d+)")
LISTEN_TLS_RE = re.compile(r"listening on (https|https-psk)://([0-9.:\[\]a-f]+):(\d+)")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None
        rsc = self.headers.get("x-m2m-rsc")
        self.rsc = int(rsc) if rsc and rsc.isdigit() else None

    def __repr__(self):
        return "Response(status=%s rsc=%s headers=%s body=%r)" % (
            self.status, self.rsc, self.headers, self.raw[:500])


class Cse:
    """One onem2m-cse process. sections: {"cse": {...}, "http": {...}, ...}
    are written into the INI file; plugin is a path or a name under the
    build (\"cssf\" or a test plugin name)."""

    def __init__(self, insecure=False, plugin=None, plugin_opts=None, sections=None,
                 workdir=None, env=None, args=None, expect_start=True, https=None):
        self.owns_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="cse-e2e-")
        self.insecure = insecure
        self.plugin = plugin
        self.plugin_opts = plugin_opts or {}
        self.sections = sections or {}
        self.extra_env = env or {}
        self.extra_args = args or []
        self.expect_start = expect_start
        self.proc = None
        self.host = "127.0.0.1"
        self.port = None
        self.output = ""
        self.https = https  # see the module comment
        self.https_port = None
        self.psk_port = None

    # --- lifecycle -------------------------------------------------------
    def plugin_path(self):
        if not self.plugin:
            return None
        if os.path.sep in self.plugin:
            return self.plugin
        if self.plugin == "cssf":
            return CSSF_PLUGIN
        return os.path.join(TEST_PLUGIN_DIR, self.plugin + ".so")

    def write_config(self):
        sec = {"http": {"listen": "127.0.0.1", "port": "0"},
               "store": {"path": os.path.join(self.workdir, "cse.db")}}
        sec["http"].update(self.https_keys())
        for name, values in self.sections.items():
            sec.setdefault(name, {}).update({k: str(v) for k, v in values.items()})
        if self.plugin:
            sec.setdefault("plugin", {})["path"] = self.plugin_path()
            sec["plugin"].update({k: str(v) for k, v in self.plugin_opts.items()})
        self.http_cfg = sec["http"]
        path = os.path.join(self.workdir, "cse.ini")
        with open(path, "w") as f:
            for name, values in sec.items():
                f.write("[%s]\n" % name)
                for k, v in values.items():
                    f.write("%s = %s\n" % (k, v))
        return path

    def https_keys(self):
        """[http] keys for the https option."""
        h = self.https or {}
        keys = {}
        if h.get("cert"):
            keys.update({"tls": "1", "tls_port": "0", "tls_cert": h["cert"],
                         "tls_key": h["key"]})
            if h.get("ca"):
                keys["tls_ca"] = h["ca"]
            keys["tls_client_auth"] = h.get("client_auth", "required" if h.get("ca") else "none")
        if h.get("psk"):
            keys.update({"tls_psk": "1", "tls_psk_port": "0"})
        if "plain" in h:
            keys["plain"] = "1" if h["plain"] else "0"
        return keys

    def parse_listeners(self, out):
        """Sets the ports from the start-up lines; True once every listener
        the [http] section asks for has printed its line."""
        cfg = getattr(self, "http_cfg", {})
        want = {"http": cfg.get("plain", "1") != "0", "https": cfg.get("tls", "0") != "0",
                "https-psk": cfg.get("tls_psk", "0") != "0"}
        found = {"http": LISTEN_RE.search(out)}
        for m in LISTEN_TLS_RE.finditer(out):
            found[m.group(1)] = m
        if any(w and not found.get(k) for k, w in want.items()):
            return False
        for scheme, m in found.items():
            if not m:
                continue
            port = int(m.group(m.lastindex))
            if scheme == "http":
                self.port = port
            elif scheme == "https":
                self.https_port = port
            else:
                self.psk_port = port
            self.host = m.group(m.lastindex - 1).strip("[]")
        return True

    def start(self, timeout=10):
        cfg = self.write_config()
        argv = [CSE_BIN, "--config", cfg] + (["--insecure"] if self.insecure else [])
        argv += self.extra_args
        env = dict(os.environ)
        env.update(self.extra_env)
        self.log_path = os.path.join(self.workdir, "cse.log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.workdir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = self.read_output()
            if self.parse_listeners(out):
                return self
            if self.proc.poll() is not None:
                if self.expect_start:
                    raise RuntimeError("onem2m-cse exited with %s:\n%s" % (self.proc.returncode, out))
                return self
            time.sleep(0.02)
        raise RuntimeError("onem2m-cse did not start in %ss:\n%s" % (timeout, self.read_output()))

    def read_output(self):
        with open(self.log_path) as f:
            self.output = f.read()
        return self.output

    def wait_exit(self, timeout=10):
        """For start-up failures: returns (exit code, output)."""
        rc = self.proc.wait(timeout)
        return rc, self.read_output()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self):
        """SIGKILL, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def cleanup(self):
        self.stop()
        if self.owns_workdir and os.environ.get("CSE_KEEP_WORKDIR") is None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            sys.stderr.write("---- onem2m-cse output ----\n%s\n" % self.read_output()[-4000:])
        self.cleanup()

    # --- requests --------------------------------------------------------
    def tls_context(self, cert=None, ca=None):
        """Client context that trusts the server's CA, with cert=(pem, key)."""
        h = self.https or {}
        ctx = ssl.create_default_context(cafile=ca or h.get("server_ca") or h.get("ca"))
        if cert:
            ctx.load_cert_chain(cert[0], cert[1])
        return ctx

    def request(self, method, path, body=None, origin=None, ty=None, rvi="3", rqi=None,
                headers=None, content_type="application/json", raw_body=None, timeout=10,
                https=False, cert=None, ca=None, basic=None, port=None):
        """One request on a new connection; https=True uses the X.509
        listener (cert=(pem, key) for a client certificate, ca= the CA to
        trust instead of the default), basic=(user, password) adds HTTP
        Basic credentials, port= another port of the same scheme."""
        h, data = self.request_headers(body, origin, ty, rvi, rqi, headers, content_type,
                                       raw_body, basic)
        if https:
            conn = http.client.HTTPSConnection(self.host, port or self.https_port,
                                               timeout=timeout, context=self.tls_context(cert, ca))
        else:
            conn = http.client.HTTPConnection(self.host, port or self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def psk_request(self, method, path, identity, key_hex, body=None, origin=None, ty=None,
                    cipher=None, timeout=10, **kw):
        """One request over TLS-PSK (openssl s_client, TLS 1.2). Returns the
        Response, or None when the handshake failed."""
        h, data = self.request_headers(body, origin, ty, kw.pop("rvi", "3"), kw.pop("rqi", None),
                                       kw.pop("headers", None),
                                       kw.pop("content_type", "application/json"),
                                       kw.pop("raw_body", None), kw.pop("basic", None))
        if kw:
            raise TypeError("unexpected arguments %s" % sorted(kw))
        h["Host"] = "%s:%d" % (self.host, self.psk_port)
        h["Connection"] = "close"
        if data is not None:
            h["Content-Length"] = str(len(data))
        raw = ("%s %s HTTP/1.1\r\n" % (method, path)).encode() + b"".join(
            ("%s: %s\r\n" % (k, v)).encode() for k, v in h.items()) + b"\r\n" + (data or b"")
        argv = ["openssl", "s_client", "-connect", "%s:%d" % (self.host, self.psk_port),
                "-psk", key_hex, "-psk_identity", identity, "-tls1_2", "-quiet"]
        if cipher:
            argv += ["-cipher", cipher]
        r = subprocess.run(argv, input=raw, capture_output=True, timeout=timeout)
        if not r.stdout.startswith(b"HTTP/"):
            return None
        resp = http.client.HTTPResponse(_BytesSocket(r.stdout))
        resp.begin()
        return Response(resp.status, resp.getheaders(), resp.read())

    def request_headers(self, body, origin, ty, rvi, rqi, headers, content_type, raw_body,
                        basic):
        h = {"Accept": "application/json", "X-M2M-RVI": rvi,
             "X-M2M-RI": rqi or uuid.uuid4().hex[:12]}
        if origin is not None:
            h["X-M2M-Origin"] = origin
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None or ty is not None:
            h["Content-Type"] = content_type + ("" if ty is None else ";ty=%d" % ty)
        if basic:
            token = base64.b64encode(("%s:%s" % basic).encode()).decode()
            h["Authorization"] = "Basic " + token
        if headers:
            h.update(headers)
        return {k: v for k, v in h.items() if v is not None}, data

    def create(self, parent, ty, body, origin="CAdmin", **kw):
        return self.request("POST", parent, body=body, ty=ty, origin=origin, **kw)

    def retrieve(self, path, origin="CAdmin", **kw):
        return self.request("GET", path, origin=origin, **kw)

    def update(self, path, body, origin="CAdmin", **kw):
        return self.request("PUT", path, body=body, origin=origin, **kw)

    def delete(self, path, origin="CAdmin", **kw):
        return self.request("DELETE", path, origin=origin, **kw)


class _BytesSocket:
    """What http.client.HTTPResponse reads a recorded response from."""

    def __init__(self, data):
        self.data = data

    def makefile(self, mode):
        return io.BytesIO(self.data)


def check(cond, msg, *ctx):
    """Assertion that survives python -O and prints the context."""
    if not cond:
        raise AssertionError(msg + "".join("\n  " + repr(c) for c in ctx))


def run_tests(namespace, *args):
    """Runs every test_* function of namespace (a module's globals()) in
    definition order with args; prints one line per test. Returns the exit
    code: 0 when all passed, 1 otherwise."""
    import traceback
    failed = 0
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    for name, fn in tests:
        try:
            fn(*args)
            print("PASS %s" % name)
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print("FAIL %s\n%s" % (name, traceback.format_exc()))
        sys.stdout.flush()
    print("%d/%d passed" % (len(tests) - failed, len(tests)))
    return 1 if failed else 0
