"""Helpers for the RADIUS end-to-end tests (tests/e2e/test_radius_*.py).

- FreeRadius: a real FreeRADIUS 3.2 process with a configuration rendered
  from tests/radius/*.in into a temporary directory, on free loopback
  ports, started with `freeradius -f -l stdout -d DIR` and stopped by PID.
- Driver: the C test driver (build/tests/radius/radius_driver) holding one
  cssf_radius client; commands in, one JSON line out.
- Responder: a small UDP RADIUS server in Python that answers as told:
  correctly, or forged in one precise way, and records what it received.
"""
import hashlib
import hmac
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("CSE_BUILD_DIR") or os.path.join(HERE, "..", "..", "build")
DRIVER = os.path.join(BUILD_DIR, "tests", "radius", "radius_driver")
FREERADIUS = shutil.which("freeradius") or "/usr/sbin/freeradius"

USER = "alice"
USER_PASSWORD = "alice-pw-1"
TUNNEL_PASSWORD = "00112233445566778899aabbccddeeff"
PSK_PASSWORD = "psk-lookup-pw"
DEVICE_PSK_HEX = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FreeRadius:
    """One FreeRADIUS instance. start()/stop() may alternate: the ports and
    the directory (with the accounting detail file) stay the same."""

    def __init__(self, secret):
        self.secret = secret
        self.dir = tempfile.mkdtemp(prefix="cssf-radius-")
        self.auth_port = free_udp_port()
        self.acct_port = free_udp_port()
        self.proc = None
        self.log = None
        subs = {"@DIR@": self.dir, "@AUTH_PORT@": str(self.auth_port),
                "@ACCT_PORT@": str(self.acct_port), "@SECRET@": secret,
                "@USER_PASSWORD@": USER_PASSWORD, "@TUNNEL_PASSWORD@": TUNNEL_PASSWORD,
                "@PSK_PASSWORD@": PSK_PASSWORD, "@DEVICE_PSK_HEX@": DEVICE_PSK_HEX}
        for name in ("radiusd.conf", "users"):
            with open(os.path.join(HERE, name + ".in")) as f:
                text = f.read()
            for k, v in subs.items():
                text = text.replace(k, v)
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        open(os.path.join(self.dir, "acct_users"), "w").close()
        for sub in ("log", "run", "radacct"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)

    def auth_server(self, secret=None):
        return "127.0.0.1:%d:%s" % (self.auth_port, secret or self.secret)

    def acct_server(self, secret=None):
        return "127.0.0.1:%d:%s" % (self.acct_port, secret or self.secret)

    def start(self, timeout=15):
        self.log = open(os.path.join(self.dir, "freeradius.out"), "ab")
        self.proc = subprocess.Popen([FREERADIUS, "-f", "-l", "stdout", "-d", self.dir],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("freeradius exited: %s" % self.output()[-2000:])
            if "Ready to process requests" in self.output():
                return self
            time.sleep(0.05)
        raise RuntimeError("freeradius did not start: %s" % self.output()[-2000:])

    def output(self):
        with open(os.path.join(self.dir, "freeradius.out"), errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        # Move the output aside so a restart waits for a fresh "Ready".
        out = os.path.join(self.dir, "freeradius.out")
        if os.path.exists(out):
            os.replace(out, "%s.%d" % (out, time.time_ns()))

    def detail(self):
        path = os.path.join(self.dir, "radacct", "detail")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def auth_detail(self):
        """Access-Requests received so far (auth_log: passwords suppressed)."""
        path = os.path.join(self.dir, "radacct", "auth-detail")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def cleanup(self):
        if self.proc:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Driver:
    """The C driver around one cssf_radius client, or (aaa={key: value},
    the plugin's radius_* options) around the plugin's AAA state."""

    def __init__(self, auth=(), acct=(), nas_id="cssf-test", timeout_ms=300, retries=1,
                 dead_after=None, probe_ms=None, extra=(), aaa=None):
        if aaa is not None:
            args = [DRIVER]
            for k, v in aaa.items():
                args += ["--aaa", "%s=%s" % (k, v)]
        else:
            args = [DRIVER, "--nas-id", nas_id, "--timeout-ms", str(timeout_ms),
                    "--retries", str(retries)]
            for a in auth:
                args += ["--auth", a]
            for a in acct:
                args += ["--acct", a]
            if dead_after is not None:
                args += ["--dead-after", str(dead_after)]
            if probe_ms is not None:
                args += ["--probe-ms", str(probe_ms)]
            args += list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        first = json.loads(self.proc.stdout.readline())
        if not first.get("ready"):
            raise RuntimeError("driver failed: %s" % first)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise RuntimeError("driver died: %s" % self.proc.stderr.read())
        return json.loads(out)

    def close(self):
        """Ends the driver; returns its stderr (the client's log lines)."""
        if self.proc.stdin.closed:
            return self.stderr
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        # A sanitizer report (leak, overflow) makes the driver exit non-zero.
        if self.proc.returncode != 0:
            raise RuntimeError("driver exited %d: %s" % (self.proc.returncode, self.stderr))
        return self.stderr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- wire format, written independently of the C code -------------------

def attrs_of(pkt):
    out, i, end = [], 20, struct.unpack(">H", pkt[2:4])[0]
    while i + 2 <= end:
        t, n = pkt[i], pkt[i + 1]
        out.append((t, pkt[i + 2:i + n]))
        i += n
    return out


def attr(t, v):
    return bytes([t, len(v) + 2]) + v


def request_ma_ok(pkt, secret):
    """True if the request's Message-Authenticator verifies."""
    acct = pkt[0] == 4
    i, end = 20, len(pkt)
    while i + 2 <= end:
        if pkt[i] == 80:
            mac = pkt[i + 2:i + 18]
            z = pkt[:4] + (bytes(16) if acct else pkt[4:20]) + pkt[20:i + 2] + bytes(16) + \
                pkt[i + 18:]
            return hmac.compare_digest(hmac.new(secret, z, hashlib.md5).digest(), mac)
        i += pkt[i + 1]
    return False


def unhide(hidden, ra, secret):
    out, prev = b"", ra
    for i in range(0, len(hidden), 16):
        b = hashlib.md5(secret + prev).digest()
        out += bytes(x ^ y for x, y in zip(hidden[i:i + 16], b))
        prev = hidden[i:i + 16]
    return out.rstrip(b"\0")


def sign_answer(code, req, attrs, secret, with_ma=True, ma_key_auth=None):
    """A correct answer to req: Message-Authenticator first (keyed over the
    request authenticator, or ma_key_auth), then the Response Authenticator."""
    body = (attr(80, bytes(16)) if with_ma else b"") + attrs
    pkt = bytes([code, req[1]]) + struct.pack(">H", 20 + len(body)) + req[4:20] + body
    if with_ma:
        key_auth = ma_key_auth if ma_key_auth is not None else req[4:20]
        mac = hmac.new(secret, pkt[:4] + key_auth + pkt[20:], hashlib.md5).digest()
        pkt = pkt[:22] + mac + pkt[38:]
    ra = hashlib.md5(pkt + secret).digest()
    return pkt[:4] + ra + pkt[20:]


class Responder:
    """A UDP RADIUS responder on a free loopback port. mode picks the answer:
      correct      a correct answer (Access-Accept / Accounting-Response)
      random_auth  Access-Accept with a random Response Authenticator
      no_ma        correct Response Authenticator, no Message-Authenticator
      bad_ma       correct Response Authenticator over a wrong Message-Authenticator
      wrong_id     a correct answer with another identifier
      race         a forged answer first, then the correct one
      silent       no answer
    Every received datagram is kept in .received."""

    def __init__(self, secret, mode="correct"):
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.mode = mode
        self.received = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def server(self, secret=None):
        s = secret or self.secret.decode()
        return "127.0.0.1:%d:%s" % (self.port, s)

    def _answer(self, req):
        code = {1: 2, 4: 5, 12: 2}.get(req[0], 2)
        reply = attr(18, b"forged?")
        ma_key = bytes(16) if req[0] == 4 else None
        good = sign_answer(code, req, reply, self.secret, ma_key_auth=ma_key)
        m = self.mode
        if m == "correct":
            return [good]
        if m == "random_auth":
            return [good[:4] + os.urandom(16) + good[20:]]
        if m == "no_ma":
            return [sign_answer(code, req, reply, self.secret, with_ma=False)]
        if m == "bad_ma":
            bad = good[:22] + os.urandom(16) + good[38:]
            ra = hashlib.md5(bad[:4] + req[4:20] + bad[20:] + self.secret).digest()
            return [bad[:4] + ra + bad[20:]]
        if m == "wrong_id":
            req2 = req[:1] + bytes([(req[1] + 1) & 0xff]) + req[2:]
            return [sign_answer(code, req2, reply, self.secret, ma_key_auth=ma_key)]
        if m == "race":
            return [good[:4] + os.urandom(16) + good[20:], good]
        return []

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            for out in self._answer(data):
                self.sock.sendto(out, peer)

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()
