"""CoAP over DTLS-PSK with the real CSSF plugin and a real FreeRADIUS: the
device's key comes from RADIUS (Tunnel-Password) through PSK_LOOKUP, the
handshake succeeds only with that key, and the association reaches the
plugin: the device registers its AE over DTLS, a From the PSK identity is
not bound to gets 4106, and the same request over plain CoAP gets 4107."""
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from radiuslib import DEVICE_PSK_HEX, PSK_PASSWORD, FreeRadius  # noqa: E402

SECRET = "coap-cssf-secret"


def main():
    started = time.time()
    fr = FreeRadius(SECRET).start()
    tmp = tempfile.mkdtemp(prefix="coap-cssf-")
    try:
        secret_file = os.path.join(tmp, "radius.secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(secret_file, 0o600)
        policy = cssftest.write_policy(os.path.join(tmp, "policy"),
                                       {"identities": {"dev-psk-1": ["Cdev"]}})
        opts = {"policy_dir": policy,
                "radius_auth_servers": "127.0.0.1:%d" % fr.auth_port,
                "radius_secret_file": secret_file, "radius_timeout_ms": "300",
                "radius_retries": "1", "radius_psk": "true",
                "radius_psk_password": PSK_PASSWORD}
        coap = {"dtls": 1, "dtls_port": 0, "plain": 1, "port": 0}
        with Cse(plugin="cssf", plugin_opts=opts, sections={"coap": coap}) as cse:
            ports = coaplib.coap_ports(cse)
            plain = "coap://127.0.0.1:%d/cse-in" % ports["coap"]
            secure = "coaps://127.0.0.1:%d/cse-in" % ports["coaps"]
            r = coaplib.client(plain, "-f", "Cdev")
            check(r.code == "4.03" and r.rsc == 4107, "plain CoAP: no association", r)
            psk = ["-u", "dev-psk-1", "-k", "0x" + DEVICE_PSK_HEX]
            r = coaplib.client(secure, *psk, "-f", "Cdev", "-t", "2", "-d",
                               json.dumps(cssftest.ae("meter")))
            check(r.rc == 0 and r.rsc == 2001, "AE CREATE over DTLS-PSK, key from RADIUS", r)
            r = coaplib.client(secure + "/meter", *psk, "-f", "Cdev")
            check(r.rsc not in (4106, 4107), "authenticated and bound: ACPs decide now", r)
            r = coaplib.client(secure + "/meter", *psk, "-f", "Cother")
            check(r.rsc == 4106, "From not bound to the PSK identity", r)
            r = coaplib.client(plain + "/meter", "-f", "Cdev")
            check(r.rsc == 4107, "the same request without DTLS", r)
            out = cse.read_output()
            check('method=psk identity="dev-psk-1"' in out, "session up with the RADIUS key",
                  out[-2000:])
            r = coaplib.client(secure, "-u", "dev-psk-1", "-k", "0x" + "00" * 16, "-f", "Cdev")
            check(r.rc == 2 and "handshake failed" in r.stderr, "another key: no handshake", r)
            r = coaplib.client(secure, "-u", "dev-unknown", "-k", "0x" + DEVICE_PSK_HEX)
            check(r.rc == 2 and "handshake failed" in r.stderr, "identity RADIUS rejects", r)
            check(fr.output().count("Login OK: [dev-psk-1]") >= 1, "RADIUS was asked",
                  fr.output()[-1500:])
    finally:
        fr.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("coap cssf psk: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
