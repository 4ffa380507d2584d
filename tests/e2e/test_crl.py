"""Certificate revocation lists on both certificate bindings: with
[http] tls_crl and [coap] dtls_crl, a certificate the CA revoked is refused
(HTTPS: 4107 with the reason; DTLS: the handshake fails) while another
certificate of the same CA still works; start-up refuses a CRL of another
CA, an expired CRL and a CRL without its CA. CRLs are made with `openssl
ca` in a temporary directory."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check  # noqa: E402

GOOD, BAD = "urn:m2m:crl-good", "urn:m2m:crl-bad"


def make_crl(d, ca, revoke, out, days="2"):
    """out: a CRL of ca (ca.pem/ca.key in d) listing the certificates in revoke."""
    db = os.path.join(d, ca + "-db")
    os.makedirs(db, exist_ok=True)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "crlnumber"), "w") as f:
        f.write("01\n")
    cnf = os.path.join(db, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\n"
                "default_md = sha256\n" % (db, db))
    base = ["openssl", "ca", "-config", cnf, "-keyfile", ca + ".key", "-cert", ca + ".pem"]
    for pem in revoke:
        subprocess.run(base + ["-revoke", pem], cwd=d, check=True, capture_output=True)
    crl_time = (["-crldays", days] if days != "expired" else
                ["-crl_lastupdate", "20200101000000Z", "-crl_nextupdate", "20200102000000Z"])
    subprocess.run(base + ["-gencrl", "-out", out] + crl_time, cwd=d, check=True,
                   capture_output=True)
    return os.path.join(d, out)


def main():
    tmp = tempfile.mkdtemp(prefix="crl-e2e-")
    try:
        certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1,DNS:localhost",
                                         "good": "URI:" + GOOD, "bad": "URI:" + BAD})
        ca = os.path.join(tmp, "ca.pem")
        crl = make_crl(tmp, "ca", [certs["bad"][0]], "ca.crl")
        policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
            "identities": {GOOD: ["Cgood"], BAD: ["Cbad"]}})
        srv = certs["server"]
        https = {"cert": srv[0], "key": srv[1], "ca": ca, "client_auth": "required"}
        coap = {"dtls": 1, "dtls_port": 0, "listen": "127.0.0.1", "dtls_cert": srv[0],
                "dtls_key": srv[1], "dtls_ca": ca, "dtls_crl": crl}
        with Cse(plugin="cssf", plugin_opts={"policy_dir": policy}, https=https,
                 sections={"coap": coap, "http": {"tls_crl": crl}}) as cse:
            r = cse.create("/cse-in", 2, cssftest.ae("good"), origin="Cgood", https=True,
                           cert=certs["good"])
            check(r.rsc == 2001, "HTTPS: an unrevoked certificate registers", r)
            r = cse.retrieve("/cse-in", origin="Cbad", https=True, cert=certs["bad"])
            check(r.status == 403 and r.rsc == 4107 and
                  "client certificate revoked (CRL)" in r.json["m2m:dbg"],
                  "HTTPS: the revoked certificate is refused", r)
            port = coaplib.coap_ports(cse)["coaps"]
            base = "coaps://127.0.0.1:%d" % port
            r = coaplib.client(base + "/cse-in/good", "--cert", certs["good"][0], "--key",
                               certs["good"][1], "--ca", ca, "-f", "Cgood")
            check(r.code is not None, "DTLS: an unrevoked certificate gets an answer", r)
            r = coaplib.client(base + "/cse-in", "--cert", certs["bad"][0], "--key",
                               certs["bad"][1], "--ca", ca, "-f", "Cbad")
            check(r.code is None and r.rc != 0, "DTLS: the revoked certificate's handshake fails",
                  r)
            cssftest.wait_output(cse, "dtls handshake failed")  # the CSE logs the refusal

        # Start-up refusals.
        other = make_crl(tmp, "other-ca", [], "other.crl")
        expired = make_crl(tmp, "ca", [], "expired.crl", days="expired")
        cases = [({"http": {"tls_crl": other}}, https, "tls_crl %s is not signed by tls_ca" % other),
                 ({"http": {"tls_crl": expired}}, https, "is past its next update"),
                 ({"coap": dict(coap, dtls_crl=other)}, None, "is not signed by dtls_ca"),
                 ({"coap": dict(coap, dtls_ca="", dtls_crl=crl)}, None, "dtls_crl needs dtls_ca")]
        for sections, h, needle in cases:
            c = Cse(plugin="cssf", plugin_opts={"policy_dir": policy}, https=h,
                    sections=sections, expect_start=False)
            try:
                c.start()
                rc, out = c.wait_exit()
                check(rc != 0 and needle in out, "start-up refused: " + needle, out[-1500:])
            finally:
                c.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
