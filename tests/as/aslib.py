"""The OAuth Authorization Server of the end-to-end tests (tests/as/server.js,
oidc-provider) as a Python object, and helpers that build the tokens a real
AS would not issue (tampered, alg none, signed by a test key).

    with AuthServer(keys=[path]) as auth:
        token = auth.token("sensor-1", "cse.read")            # JWT, aud urn:onem2m:cse
        opaque = auth.token("sensor-1", "cse.read", resource=OPAQUE)
        auth.revoke("sensor-1", opaque)

tools/install-deps.sh installs Node.js and tests/as/node_modules (npm ci).
"""
import base64
import json
import select
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

AS_DIR = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(AS_DIR, "server.js")
SIGNER = os.path.join(AS_DIR, "sign.js")

AUDIENCE = "urn:onem2m:cse"
JWT = "urn:onem2m:cse"
SHORT = "urn:onem2m:cse:short"
OPAQUE = "urn:onem2m:cse:opaque"
OTHER = "urn:example:other"
CSE_CLIENT = ("cse-in", "cse-in-secret")


def require_node():
    """Raises with a clear message when the AS cannot run here."""
    if not os.path.isdir(os.path.join(AS_DIR, "node_modules", "oidc-provider")):
        raise RuntimeError("tests/as/node_modules is missing: run tools/install-deps.sh "
                           "(npm ci in tests/as)")


class AuthServer:
    """One server.js process. keys: JWK set files (created when missing);
    port 0 = a free one; issuer None = http://127.0.0.1:<port>."""

    def __init__(self, keys=None, port=0, issuer=None, short_ttl=2):
        require_node()
        self.keys = keys or []
        self.port = port
        self.issuer = issuer
        self.short_ttl = short_ttl
        self.proc = None
        self.kids = []

    def start(self, timeout=15):
        argv = ["node", SERVER, "--port", str(self.port), "--short-ttl", str(self.short_ttl)]
        for k in self.keys:
            argv += ["--keys", k]
        if self.issuer:
            argv += ["--issuer", self.issuer]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, cwd=AS_DIR)
        deadline = time.time() + timeout
        line = b""
        # select() before each read: a server that hangs before printing its
        # line must fail this start after `timeout`, not block the test forever.
        while time.time() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0, deadline - time.time()))
            if not ready:
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
        if not line.endswith(b"\n"):
            self.proc.kill()
            self.proc.wait()
        if not line.startswith(b"{"):
            self.log.seek(0)
            raise RuntimeError("server.js did not start: %r %r" % (line, self.log.read()[-2000:]))
        info = json.loads(line)
        self.port, self.issuer, self.kids = info["port"], info["issuer"], info["kids"]
        self.base = "http://127.0.0.1:%d" % self.port
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- OAuth endpoints ------------------------------------------------------
    def _post(self, path, form, client):
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        cred = base64.b64encode(("%s:%s" % client).encode()).decode()
        req.add_header("Authorization", "Basic " + cred)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read()
                return resp.status, json.loads(body) if body else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def token(self, client_id, scope, resource=JWT):
        """An access token from client_credentials (secret "<id>-secret")."""
        status, body = self._post("/token", {"grant_type": "client_credentials",
                                             "scope": scope, "resource": resource},
                                  (client_id, client_id + "-secret"))
        if status != 200:
            raise RuntimeError("token request failed: %s %s" % (status, body))
        return body["access_token"]

    def revoke(self, client_id, token):
        status, _ = self._post("/token/revocation", {"token": token},
                               (client_id, client_id + "-secret"))
        if status != 200:
            raise RuntimeError("revocation failed: %s" % status)

    def introspect(self, token):
        return self._post("/token/introspection", {"token": token}, CSE_CLIENT)[1]


# --- token surgery ---------------------------------------------------------------
def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token):
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def tampered(token):
    """Same header and signature, one claim changed: the signature no longer fits."""
    h, p, s = token.split(".")
    claims = json.loads(b64url_decode(p))
    claims["scope"] = claims.get("scope", "") + " cse.all"
    return "%s.%s.%s" % (h, b64url(json.dumps(claims).encode()), s)


def alg_none(token):
    """The token's own claims, unsigned (alg none)."""
    header, claims, _ = parts(token)
    header = {"alg": "none", "typ": header.get("typ", "at+jwt")}
    return "%s.%s." % (b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()))


def sign(jwk, payload, header=None):
    """A compact JWS of payload signed with a private JWK (tests/as/sign.js)."""
    req = {"jwk": jwk, "header": header or {}, "payload": payload}
    out = subprocess.run(["node", SIGNER], input=json.dumps(req).encode(), capture_output=True,
                         cwd=AS_DIR, check=True, timeout=20)
    return out.stdout.decode().strip()


def genkey(alg="ES256"):
    out = subprocess.run(["node", SIGNER], input=json.dumps({"genkey": alg}).encode(),
                         capture_output=True, cwd=AS_DIR, check=True, timeout=20)
    return json.loads(out.stdout)


def public(jwk):
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
