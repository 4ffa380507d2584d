"""HTTPS with client certificates through the real CSE and cssf.so: a
certificate whose SAN URI the policy binds to an AE-ID acts as that AE
(and only as that AE: another From is 4106), a certificate without a SAN
URI is named by its SHA-256 fingerprint, and the connections the binding
refuses (foreign CA, no certificate when required, a server-only
certificate) get 4107 with the reason. tls_client_auth = optional lets a
connection without a certificate through unauthenticated, never one with
a bad certificate. Start-up refuses incomplete or inconsistent TLS keys.
Certificates are made with openssl in a temporary directory."""
import hashlib
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402

DEV1 = "urn:m2m:dev1"
OPS = "urn:m2m:ops"


def fingerprint(pem):
    with open(pem) as f:
        return "sha256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def make_env(tmp):
    certs = coaplib.make_certs(tmp, {
        "server": "IP:127.0.0.1,DNS:localhost",
        "dev1": "URI:" + DEV1,
        "ops": "URI:" + OPS,
        "nosan": "DNS:nosan.example",
        "srvonly": "URI:%s\nextendedKeyUsage=serverAuth" % DEV1,
        "stranger2": "URI:urn:m2m:stranger2"})
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
        "authentication": {"http": "optional", "https": "required"},
        "admins": [OPS],
        "identities": {DEV1: ["Cdev1"], OPS: ["Cops"],
                       fingerprint(certs["nosan"][0]): ["Cnosan"]}}, {
        "dev.json": cssftest.acp("acpDev", [{"acor": ["Cdev1", "Cnosan"], "acop": 63}])})
    return {"certs": certs, "ca": os.path.join(tmp, "ca.pem"), "policy": policy, "tmp": tmp}


def acp_ri(env, cse):
    """The ACP's ri, read by the administrator (its certificate is in admins)."""
    r = cse.retrieve("/cse-in/acpDev", origin="CAdmin", https=True, cert=env["certs"]["ops"])
    check(r.rsc == 2000, "the admin certificate reads the ACP", r)
    return r.json["m2m:acp"]["ri"]


def https_opts(env, client_auth="required", **extra):
    srv = env["certs"]["server"]
    h = {"cert": srv[0], "key": srv[1], "ca": env["ca"], "client_auth": client_auth, "psk": True}
    h.update(extra)
    return h


def test_certificate_acts_as_its_ae(env, cse):
    dev1 = env["certs"]["dev1"]
    env["acpi"] = [acp_ri(env, cse)]
    r = cse.create("/cse-in", 2, cssftest.ae("dev1", acpi=env["acpi"]), origin="Cdev1",
                   https=True, cert=dev1)
    check(r.rsc == 2001, "AE registration over mutual TLS", r)
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1", https=True, cert=dev1)
    check(r.status == 200 and r.rsc == 2000, "the certificate's AE reads itself", r)
    r = cse.create("/cse-in/dev1", 3, {"m2m:cnt": {"rn": "box"}}, origin="Cdev1", https=True,
                   cert=dev1)
    check(r.rsc == 2001, "and creates under itself", r)
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "request" and l["op"] == "create"
                               and l["target"] == "/cse-in/dev1")
    check(line["binding"] == "https" and line["method"] == "tls-cert"
          and line["identity"] == DEV1 and line["from"] == "Cdev1", "audited as tls-cert", line)


def test_from_mismatch(env, cse):
    r = cse.retrieve("/cse-in/dev1", origin="Cnosan", https=True, cert=env["certs"]["dev1"])
    check(r.status == 403 and r.rsc == 4106, "From not bound to the certificate", r)
    check("not bound to the authenticated identity '%s'" % DEV1 in r.json["m2m:dbg"], "reason", r)


def test_fingerprint_identity(env, cse):
    nosan = env["certs"]["nosan"]
    r = cse.create("/cse-in", 2, cssftest.ae("nosan", acpi=env["acpi"]), origin="Cnosan",
                   https=True, cert=nosan)
    check(r.rsc == 2001, "a certificate without SAN URI is named by its fingerprint", r)
    r = cse.retrieve("/cse-in/nosan", origin="Cdev1", https=True, cert=nosan)
    check(r.rsc == 4106, "and may not act as another AE", r)


def test_keep_alive(env, cse):
    """One connection, one check: every request on it carries the association."""
    conn = http.client.HTTPSConnection(cse.host, cse.https_port, timeout=10,
                                       context=cse.tls_context(env["certs"]["dev1"]))
    try:
        for i in range(3):
            conn.request("GET", "/cse-in/dev1", headers={"X-M2M-Origin": "Cdev1",
                                                         "X-M2M-RI": "ka%d" % i,
                                                         "X-M2M-RVI": "3"})
            resp = conn.getresponse()
            resp.read()
            check(resp.status == 200 and resp.getheader("X-M2M-RSC") == "2000",
                  "request %d on the same connection" % i, resp.getheaders())
    finally:
        conn.close()


def refused(r, reason):
    return r.status == 403 and r.rsc == 4107 and reason in r.json["m2m:dbg"] and \
        r.headers.get("connection") == "close"


def test_refused_connections(env, cse):
    certs = env["certs"]
    r = cse.retrieve("/cse-in", origin="Cdev1", https=True, cert=certs["stranger"])
    check(refused(r, "client certificate not trusted: The certificate is NOT trusted. "
                     "The certificate issuer is unknown."), "certificate of another CA", r)
    r = cse.retrieve("/cse-in", origin="Cdev1", https=True)
    check(refused(r, "a client certificate is required"), "no certificate", r)
    r = cse.retrieve("/cse-in", origin="Cdev1", https=True, cert=certs["srvonly"])
    check(refused(r, "does not match the intended purpose"), "server-only certificate", r)
    # The body of a refused request is not read: the answer comes at once.
    r = cse.create("/cse-in", 2, cssftest.ae("x"), origin="Cdev1", https=True,
                   cert=certs["stranger"])
    check(refused(r, "not trusted"), "refused CREATE", r)
    out = cse.read_output()
    check('http: tls connection refused peer=127.0.0.1:' in out and
          'reason="a client certificate is required"' in out, "refusals logged", out[-2000:])


def test_server_certificate(env, cse):
    """The client side checks the CSE too: another CA's client sees a bad server."""
    try:
        cse.retrieve("/cse-in", origin="Cdev1", https=True, cert=env["certs"]["dev1"],
                     ca=os.path.join(env["tmp"], "other-ca.pem"))
    except ssl.SSLCertVerificationError:
        return
    check(False, "the server certificate must not verify against another CA")


class _KeepOpen:
    """The client's output for one response: HTTPResponse closes its file
    when done, the connection must stay open for the next one."""

    def __init__(self, f):
        self.f = f

    def __getattr__(self, name):
        return getattr(self.f, name)

    def close(self):
        pass


class PskConnection:
    """One keep-alive TLS-PSK connection (openssl s_client) for several requests."""

    def __init__(self, cse, identity, key_hex):
        self.proc = subprocess.Popen(
            ["openssl", "s_client", "-quiet", "-tls1_2", "-connect", "127.0.0.1:%d" % cse.psk_port,
             "-psk_identity", identity, "-psk", key_hex],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def get(self, path, origin):
        self.proc.stdin.write(("GET %s HTTP/1.1\r\nHost: cse\r\nX-M2M-Origin: %s\r\n"
                               "X-M2M-RI: k\r\nX-M2M-RVI: 3\r\n\r\n" % (path, origin)).encode())
        self.proc.stdin.flush()
        resp = http.client.HTTPResponse(self)
        resp.begin()
        body = resp.read()
        return resp.status, resp.getheader("X-M2M-RSC"), resp.getheader("Connection"), body

    def makefile(self, mode):
        return _KeepOpen(self.proc.stdout)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def test_revocation_closes_connection(env, cse):
    """Suspending a registered device closes its open (idle) TLS-PSK
    connection at once and refuses new handshakes; another device's
    connection goes on."""
    ops = env["certs"]["ops"]
    keys = {}
    for dev in ("rev-victim", "rev-bystander"):
        r = cse.request("POST", "/cssf/v1/devices", origin="CAdmin", https=True, cert=ops,
                        body={"id": dev, "aeids": ["C" + dev],
                              "credentials": {"psk": {"identity": dev + "@psk.example"}}})
        check(r.status == 201, "enrol " + dev, r)
        keys[dev] = r.json["credentials"]["psk"]["key"]
    conns = {d: PskConnection(cse, d + "@psk.example", keys[d]) for d in keys}
    try:
        for d, c in conns.items():
            status, rsc, _, body = c.get("/cse-in", "C" + d)
            check(status == 403 and rsc == "4103", "first request on %s's connection (ACP "
                  "decides)" % d, status, rsc, body)
        r = cse.request("POST", "/cssf/v1/devices/rev-victim/suspend", origin="CAdmin",
                        https=True, cert=ops)
        check(r.status in (200, 204), "suspend", r)
        # The victim's connection is idle: the CSE closes it without waiting
        # for a request on it (openssl s_client exits at the end of its input).
        try:
            conns["rev-victim"].proc.wait(5)
        except subprocess.TimeoutExpired:
            check(False, "the idle revoked connection was not closed by the CSE")
        status, rsc, _, body = conns["rev-bystander"].get("/cse-in", "Crev-bystander")
        check(rsc == "4103", "the other connection goes on", status, rsc, body)
        cssftest.wait_output(cse, 'http: revoked identity="rev-victim@psk.example": open '
                                  'connection closed')
        r = cse.psk_request("GET", "/cse-in", "rev-victim@psk.example", keys["rev-victim"],
                            origin="Crev-victim")
        check(r is None, "and a new handshake is refused", r)
    finally:
        for c in conns.values():
            c.proc.kill()
            c.proc.wait()


def test_plain_http_beside(env, cse):
    r = cse.create("/cse-in", 2, cssftest.ae("plain", acpi=env["acpi"]), origin="Cplain")
    check(r.rsc == 2001, "plain HTTP on the same CSE (optional there): registration", r)
    r = cse.retrieve("/cse-in/dev1", origin="Cdev1")
    check(r.rsc == 4106, "an AE registered over mutual TLS is not claimable there", r)
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "request" and l["binding"] == "http")
    check(line["method"] == "none" and line["identity"] is None, "no association", line)


def test_optional_client_auth(env):
    with Cse(plugin="cssf", plugin_opts={"policy_dir": env["policy"]},
             https=https_opts(env, "optional")) as cse:
        r = cse.retrieve("/cse-in", origin="Cdev1", https=True)
        check(r.status == 403 and r.rsc == 4107 and
              r.json["m2m:dbg"] == "security association required",
              "no certificate: unauthenticated, the policy (https required) decides", r)
        r = cse.create("/cse-in", 2, cssftest.ae("dev1"), origin="Cdev1", https=True,
                       cert=env["certs"]["dev1"])
        check(r.rsc == 2001, "a certificate still binds its identity", r)
        r = cse.retrieve("/cse-in", origin="Cdev1", https=True, cert=env["certs"]["stranger"])
        check(refused(r, "not trusted"), "a bad certificate is refused, not ignored", r)


def test_without_client_auth(env):
    pol = cssftest.write_policy(os.path.join(env["tmp"], "policy-open"),
                                {"authentication": "optional"})
    srv = env["certs"]["server"]
    with Cse(plugin="cssf", plugin_opts={"policy_dir": pol},
             https={"cert": srv[0], "key": srv[1], "server_ca": env["ca"],
                    "plain": False}) as cse:
        check(cse.port is None and "listening on http://" not in cse.output,
              "plain = 0: no plain listener", cse.output)
        r = cse.create("/cse-in", 2, cssftest.ae("anon"), origin="C", https=True,
                       cert=env["certs"]["dev1"])
        check(r.rsc == 2001, "server-authenticated TLS only (certificate not asked for)", r)
        line = cssftest.wait_audit(cse, lambda l: l["event"] == "request" and l["op"] == "create")
        check(line["binding"] == "https" and line["method"] == "none", "no association", line)


def test_startup_refusals(env):
    srv, dev = env["certs"]["server"], env["certs"]["dev1"]
    cases = [
        ({"tls": 1, "tls_port": 0}, "tls = 1 needs tls_cert and tls_key"),
        ({"tls": 1, "tls_port": 0, "tls_cert": srv[0], "tls_key": dev[1]},
         "tls_cert %s / tls_key %s:" % (srv[0], dev[1])),
        ({"tls": 1, "tls_port": 0, "tls_cert": srv[0], "tls_key": srv[1], "tls_ca": env["ca"]},
         "tls_ca is set but tls_client_auth = none"),
        ({"tls": 1, "tls_port": 0, "tls_cert": srv[0], "tls_key": srv[1],
          "tls_client_auth": "required"}, "tls_client_auth = required needs tls_ca"),
        ({"tls": 1, "tls_port": 0, "tls_cert": "/nonexistent.pem", "tls_key": srv[1]},
         "tls_cert /nonexistent.pem: cannot open"),
        ({"tls": 1, "tls_port": 0, "tls_cert": srv[0], "tls_key": srv[1],
          "tls_client_auth": "optional", "tls_ca": srv[1]}, "tls_ca %s:" % srv[1]),
        ({"plain": 0}, "[http] plain = 0 needs tls = 1 or tls_psk = 1"),
        ({"tls_client_auth": "sometimes"}, "is not one of none|optional|required"),
    ]
    for http, needle in cases:
        cse = Cse(plugin="cssf", plugin_opts={"policy_dir": env["policy"]},
                  sections={"http": http}, expect_start=False)
        try:
            cse.start()
            rc, out = cse.wait_exit()
            check(rc != 0 and needle in out, "start-up refused: " + needle, http, out[-1500:])
            check("BEGIN" not in out, "no key material in the message", out)
        finally:
            cse.cleanup()


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="https-e2e-")
    try:
        env = make_env(tmp)
        with Cse(plugin="cssf", plugin_opts={"policy_dir": env["policy"]},
                 https=https_opts(env)) as cse:
            check(cse.https_port and "onem2m-cse: listening on https://127.0.0.1:%d"
                  % cse.https_port in cse.output, "start-up line", cse.output)
            rc = run_tests({k: v for k, v in globals().items()
                            if k.startswith("test_") and v.__code__.co_argcount == 2},
                           env, cse)
        rc |= run_tests({k: v for k, v in globals().items()
                         if k.startswith("test_") and v.__code__.co_argcount == 1}, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("https: %s (%.1f s)" % ("ok" if rc == 0 else "FAILED", time.time() - started))
    return rc


if __name__ == "__main__":
    sys.exit(main())
