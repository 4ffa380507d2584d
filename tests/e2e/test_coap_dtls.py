"""CoAP over DTLS (coaps://) through the real CSE: PSK keys from the
plugin's PSK_LOOKUP, certificates that chain to the configured CA bound to
their SAN URI by CERT_CHECK, the association reaching the pipeline
(binding, method, identity, session), refused handshakes (wrong key,
unknown identity, foreign CA, refused SAN, no certificate), Block1/Block2
inside a session, and libcoap's OpenSSL and GnuTLS clients as independent
DTLS peers. Certificates are made with openssl in a temporary directory.
The plugin (tests/plugins/plugin_psk_table.c) requires an association, so
plain CoAP on the same CSE is refused with 4107."""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
from coaplib import client  # noqa: E402

KEY = "0123456789abcdef"
KEY_HEX = KEY.encode().hex()
SAN = "urn:m2m:dev-cert"


def records(path):
    with open(path) as f:
        return [dict(kv.split("=", 1) for kv in line.split()) for line in f if line.strip()]


def test_psk(base, rec):
    psk = ["-u", "dev1", "-k", KEY]
    r = client(base + "/cse-in", *psk, "-f", "Cpsk", "-t", "2", "-d",
               json.dumps({"m2m:ae": {"rn": "dae", "api": "Ndtls", "rr": False, "srv": ["3"]}}))
    check(r.rc == 0 and r.rsc == 2001, "AE CREATE over DTLS-PSK", r)
    last = records(rec)[-1]
    check(last["binding"] == "4" and last["method"] == "3" and last["identity"] == "dev1"
          and last["from"] == "Cpsk" and int(last["session"]) > 0,
          "pipeline saw binding COAPS, DTLS_PSK, identity dev1", last)
    r = client(base + "/cse-in/dae", *psk, "-f", "Cpsk", "-t", "3", "-d",
               json.dumps({"m2m:cnt": {"rn": "box"}}))
    check(r.rsc == 2001, "container", r)
    # a large contentInstance: Block1 up, Block2 down, inside one session each
    con = "".join(chr(ord("A") + i % 26) for i in range(6000))
    path = os.path.join(os.path.dirname(rec), "cin.json")
    with open(path, "w") as f:
        json.dump({"m2m:cin": {"con": con}}, f)
    r = client(base + "/cse-in/dae/box", *psk, "-f", "Cpsk", "-t", "4", "-d", "@" + path)
    check(r.rc == 0 and r.rsc == 2001, "Block1 CREATE over DTLS", r)
    n = len(records(rec))
    r = client(base + "/cse-in/dae/box/la", *psk, "-v", "-f", "Cpsk")
    check(r.rc == 0 and json.loads(r.payload)["m2m:cin"]["con"] == con, "Block2 over DTLS", r)
    blocks = int(r.stdout.split("blocks=")[1].split()[0])
    check(blocks >= 6, "several blocks", r.stdout[:120])
    check(len(records(rec)) == n + 1, "later blocks come from the cache, not the pipeline")
    # hex key form, same key
    r = client(base + "/cse-in/dae/box", "-u", "dev1", "-k", "0x" + KEY_HEX, "-f", "Cpsk")
    check(r.rc == 0 and r.rsc == 2000, "hex PSK", r)


def test_psk_refused(cse, base):
    r = client(base + "/cse-in", "-u", "dev1", "-k", "wrong-key-000000", "-f", "Cpsk")
    check(r.rc == 2 and "handshake failed" in r.stderr and r.code is None, "wrong PSK", r)
    r = client(base + "/cse-in", "-u", "stranger", "-k", KEY, "-f", "Cpsk")
    check(r.rc == 2 and "handshake failed" in r.stderr, "unknown PSK identity", r)
    time.sleep(0.1)
    out = cse.read_output()
    check('unknown psk identity="stranger" peer=127.0.0.1:' in out, "refusal logged with peer",
          out[-2000:])
    check("dtls handshake failed peer=127.0.0.1:" in out, "MAC failure logged", out[-2000:])


def test_certificates(base, rec, certs, ca):
    cert, key = certs["dev"]
    r = client(base + "/cse-in/dae", "--cert", cert, "--key", key, "--ca", ca, "-f", "Cpsk")
    check(r.rc == 0 and r.rsc == 2000, "certificate client", r)
    last = records(rec)[-1]
    check(last["method"] == "4" and last["identity"] == SAN, "DTLS_CERT bound to the SAN URI",
          last)
    for name in ("banned", "stranger"):
        c, k = certs[name]
        r = client(base + "/cse-in", "--cert", c, "--key", k, "-f", "Cpsk")
        check(r.rc == 2 and "handshake failed" in r.stderr, "refused certificate " + name, r)
    r = client(base + "/cse-in", "-f", "Cpsk")  # coaps without any credential
    check(r.rc == 2 and "handshake failed" in r.stderr, "no certificate, no PSK", r)
    # the server certificate verifies against the CA from the client's side too
    r = client(base + "/cse-in", "-u", "dev1", "-k", KEY, "--ca", ca, "-f", "Cpsk")
    check(r.rc == 0, "PSK with --ca (server certificate unused by PSK suites)", r)


def test_libcoap(base, certs, ca):
    uri = base + "/cse-in/dae/box"
    opts = ["-O", "279,Cpsk", "-O", "283,lc"]
    for flavour in ("openssl", "gnutls"):
        out = coaplib.libcoap(flavour, uri, "-u", "dev1", "-k", KEY, *opts)
        line = coaplib.response_line(out)
        check(line and "c:2.05" in line and coaplib.rsc_hex(2000) in line,
              "libcoap-%s PSK: 2.05 with oneM2M-RSC" % flavour, out[-1500:])
        out = coaplib.libcoap(flavour, uri, "-u", "dev1", "-k", "wrong-key-000000", *opts)
        check(coaplib.response_line(out) is None, "libcoap-%s wrong PSK: no response" % flavour,
              out[-1500:])
        cert, key = certs["dev"]
        out = coaplib.libcoap(flavour, uri, "-c", cert, "-j", key, "-C", ca, *opts)
        line = coaplib.response_line(out)
        check(line and "c:2.05" in line, "libcoap-%s certificate: 2.05" % flavour, out[-1500:])


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="coap-dtls-")
    try:
        certs = coaplib.make_certs(tmp, {"server": "DNS:localhost", "dev": "URI:" + SAN,
                                         "banned": "URI:urn:m2m:banned"})
        ca = os.path.join(tmp, "ca.pem")
        rec = os.path.join(tmp, "authn.log")
        coap = {"dtls": 1, "dtls_port": 0, "plain": 1, "port": 0,
                "dtls_cert": certs["server"][0], "dtls_key": certs["server"][1], "dtls_ca": ca}
        opts = {"psk_table": "dev1:%s" % KEY_HEX, "cert_deny": "banned",
                "require_association": 1, "record_file": rec}
        with Cse(plugin="plugin_psk_table", plugin_opts=opts, sections={"coap": coap}) as cse:
            ports = coaplib.coap_ports(cse)
            base = "coaps://127.0.0.1:%d" % ports["coaps"]
            r = client("coap://127.0.0.1:%d/cse-in" % ports["coap"], "-f", "Cpsk")
            check(r.code == "4.03" and r.rsc == 4107, "plain CoAP without association", r)
            test_psk(base, rec)
            test_psk_refused(cse, base)
            test_certificates(base, rec, certs, ca)
            test_libcoap(base, certs, ca)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("coap dtls: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
