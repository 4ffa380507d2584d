"""The HTTPS listeners of the binding with a test plugin
(tests/plugins/plugin_psk_table.c): TLS-PSK keyed by PSK_LOOKUP (right
key, wrong key, unknown identity, the suites TS-0003 names, TLS 1.2 only),
the association every request of a connection carries (binding HTTPS,
method, identity, one session id per connection, distinct from other
connections'), a certificate CERT_CHECK refuses, and the three listeners of
one CSE side by side. TLS-PSK clients are `openssl s_client`."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coaplib  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402

KEY_HEX = "00112233445566778899aabbccddeeff"


def records(path):
    with open(path) as f:
        return [dict(kv.split("=", 1) for kv in line.split()) for line in f if line.strip()]


def test_psk(cse, env):
    r = cse.psk_request("POST", "/cse-in", "dev1", KEY_HEX, origin="Cpsk", ty=2,
                        body={"m2m:ae": {"rn": "pae", "api": "Npsk", "rr": False, "srv": ["3"]}})
    check(r is not None and r.rsc == 2001, "AE CREATE over TLS-PSK", r)
    last = records(env["rec"])[-1]
    check(last["binding"] == "2" and last["method"] == "1" and last["identity"] == "dev1"
          and last["from"] == "Cpsk", "binding HTTPS, TLS_PSK, identity dev1", last)
    sid = int(last["session"])
    check(sid >> 56 == 2 and sid & ((1 << 56) - 1) > 0, "session id tagged HTTPS", sid)
    r = cse.psk_request("GET", "/cse-in/pae", "dev1", KEY_HEX, origin="Cpsk")
    check(r.rsc == 2000 and r.json["m2m:ae"]["rn"] == "pae", "RETRIEVE over TLS-PSK", r)
    check(int(records(env["rec"])[-1]["session"]) != sid, "a new connection, a new session")


def test_psk_suites(cse, env):
    for suite in ("PSK-AES128-CBC-SHA256", "PSK-AES128-GCM-SHA256",
                  "ECDHE-PSK-AES128-CBC-SHA256", "ECDHE-PSK-CHACHA20-POLY1305"):
        r = cse.psk_request("GET", "/cse-in", "dev1", KEY_HEX, origin="Cpsk", cipher=suite)
        check(r is not None and r.rsc == 2000, "suite " + suite, r)


def test_psk_refused(cse, env):
    r = cse.psk_request("GET", "/cse-in", "dev1", "00" * 16, origin="Cpsk")
    check(r is None, "wrong key: no response", r)
    r = cse.psk_request("GET", "/cse-in", "stranger", KEY_HEX, origin="Cpsk")
    check(r is None, "unknown identity: no response", r)
    time.sleep(0.1)
    out = cse.read_output()
    check('http: tls handshake refused: unknown psk identity="stranger" peer=127.0.0.1:' in out,
          "refusal logged with the peer", out[-2000:])
    check(KEY_HEX not in out, "no key in the log")
    # TLS 1.3 only: the PSK listener speaks TLS 1.2.
    raw = b"GET /cse-in HTTP/1.1\r\nConnection: close\r\n\r\n"
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % cse.psk_port,
                        "-psk", KEY_HEX, "-psk_identity", "dev1", "-tls1_3", "-quiet"],
                       input=raw, capture_output=True, timeout=10)
    check(not p.stdout.startswith(b"HTTP/"), "TLS 1.3 refused on the PSK listener", p)
    # A certificate client finds no certificate suite there.
    try:
        cse.request("GET", "/cse-in", origin="Cpsk", https=True, port=cse.psk_port)
    except OSError:
        pass
    else:
        check(False, "an X.509 client must fail on the PSK listener")


def test_certificate_listener(cse, env):
    certs = env["certs"]
    r = cse.request("GET", "/cse-in/pae", origin="Cpsk", https=True, cert=certs["dev"])
    check(r.rsc == 2000, "certificate bound by CERT_CHECK", r)
    last = records(env["rec"])[-1]
    check(last["binding"] == "2" and last["method"] == "2"
          and last["identity"] == "urn:m2m:dev-cert", "TLS_CERT with the SAN URI", last)
    r = cse.request("GET", "/cse-in", origin="Cpsk", https=True, cert=certs["banned"])
    check(r.status == 403 and r.rsc == 4107 and
          "SAN URI urn:m2m:banned) is not bound to an identity" in r.json["m2m:dbg"],
          "CERT_CHECK refusal", r)


def test_tls_versions(cse, env):
    """TLS 1.2 and 1.3 on the X.509 listener; TLS 1.1 is refused."""
    cert, key = env["certs"]["dev"]
    for version, ok in (("-tls1_1", False), ("-tls1_2", True), ("-tls1_3", True)):
        p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % cse.https_port,
                            version, "-cipher", "DEFAULT@SECLEVEL=0", "-cert", cert, "-key", key],
                           input=b"", capture_output=True, timeout=10)
        out = p.stdout.decode(errors="replace")
        check(("Cipher is (NONE)" not in out and "New, TLSv1." in out) == ok,
              "%s %s" % (version, "accepted" if ok else "refused"), out[-1500:])


def test_plain_listener(cse, env):
    r = cse.retrieve("/cse-in", origin="Cpsk")
    check(r.rsc == 4107, "plain HTTP has no association (the plugin requires one)", r)
    last = records(env["rec"])[-1]
    check(last["binding"] == "1" and last["method"] == "0" and last["session"] == "0",
          "plain HTTP: binding HTTP, no session", last)
    r = cse.retrieve("/cse-in", origin="Cpsk", headers={"Authorization": "Basic " + "eDp5"})
    check(r.rsc == 4107, "Basic over plain HTTP proves nothing", r)


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="https-binding-")
    try:
        certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1", "dev": "URI:urn:m2m:dev-cert",
                                         "banned": "URI:urn:m2m:banned"})
        env = {"certs": certs, "rec": os.path.join(tmp, "authn.log")}
        opts = {"psk_table": "dev1:" + KEY_HEX, "cert_deny": "banned",
                "require_association": 1, "record_file": env["rec"]}
        https = {"cert": certs["server"][0], "key": certs["server"][1],
                 "ca": os.path.join(tmp, "ca.pem"), "client_auth": "required", "psk": True}
        with Cse(plugin="plugin_psk_table", plugin_opts=opts, https=https) as cse:
            lines = [l for l in cse.output.splitlines() if l.startswith("onem2m-cse: listening")]
            schemes = [l.split()[-1].split("://")[0] for l in lines]
            check(schemes == ["http", "https", "https-psk"],
                  "three start-up lines: http, https, https-psk", lines)
            rc = run_tests({k: v for k, v in globals().items() if k.startswith("test_")},
                           cse, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("https binding: %s (%.1f s)" % ("ok" if rc == 0 else "FAILED", time.time() - started))
    return rc


if __name__ == "__main__":
    sys.exit(main())
