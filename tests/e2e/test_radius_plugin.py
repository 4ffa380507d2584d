"""The CSSF plugin with its radius_* options inside the real onem2m-cse,
against a real FreeRADIUS: start-up with RADIUS, refusal of bad RADIUS
options, and PSKs from AAA in the CoAP DTLS
handshake with the session accounted in FreeRADIUS's detail file."""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import cssftest  # noqa: E402
from cselib import BUILD_DIR, Cse  # noqa: E402
from radiuslib import DEVICE_PSK_HEX, PSK_PASSWORD, FreeRadius  # noqa: E402

SECRET = "plugin-e2e-secret"
COAP_CLIENT = os.path.join(BUILD_DIR, "tools", "m2m-coap-client")
COAPS_RE = re.compile(r"listening on coaps://([0-9.]+):(\d+)")


class PluginRadius(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fr = FreeRadius(SECRET).start()

    @classmethod
    def tearDownClass(cls):
        cls.fr.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cssf-radius-plugin-")
        self.policy = cssftest.write_policy(os.path.join(self.tmp, "policy"), {})
        self.secret_file = os.path.join(self.tmp, "radius.secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(self.secret_file, 0o600)
        self.queue = os.path.join(self.tmp, "radius-acct.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def opts(self, **extra):
        o = {"policy_dir": self.policy,
             "radius_auth_servers": "127.0.0.1:%d" % self.fr.auth_port,
             "radius_acct_servers": "127.0.0.1:%d" % self.fr.acct_port,
             "radius_secret_file": self.secret_file,
             "radius_acct_queue": self.queue,
             "radius_timeout_ms": "300", "radius_retries": "1",
             "radius_psk": "true", "radius_psk_password": PSK_PASSWORD}
        o.update(extra)
        return o

    def test_starts_with_radius(self):
        with Cse(plugin="cssf", plugin_opts=self.opts()) as cse:
            out = cse.read_output()
            self.assertIn("cssf: radius auth_servers=1 acct_servers=1 psk=on", out)
            self.assertEqual(stat.S_IMODE(os.stat(self.queue).st_mode), 0o600)
            # The HTTP binding is unaffected.
            r = cse.retrieve("/cse-in", origin="CAdmin")
            self.assertEqual(r.rsc, 4107, r)
        self.assertNotIn(SECRET, cse.output)
        self.assertNotIn(PSK_PASSWORD, cse.output)

    def test_bad_radius_options_refuse_start(self):
        cases = [({"radius_timeout_ms": "soon"}, "radius_timeout_ms"),
                 ({"radius_secret_file": "/nonexistent/secret"}, "/nonexistent/secret"),
                 ({"radius_acct_queue": "/nonexistent-dir/q.db"}, "/nonexistent-dir/q.db"),
                 ({"radius_psk_password": ""}, "radius_psk_password"),
                 ({"radius_auth_servers": "127.0.0.1:99999"}, "authentication server 1")]
        for extra, needle in cases:
            cse = Cse(plugin="cssf", plugin_opts=self.opts(**extra), expect_start=False)
            try:
                cse.start()
                rc, out = cse.wait_exit()
                self.assertNotEqual(rc, 0, (extra, out))
                self.assertIn(needle, out, extra)
                self.assertNotIn(SECRET, out)
            finally:
                cse.cleanup()

    def coaps(self, cse):
        m = COAPS_RE.search(cse.read_output())
        self.assertTrue(m, cse.output)
        return m.group(1), int(m.group(2))

    def coap_get(self, host, port, identity, key_hex):
        return subprocess.run([COAP_CLIENT, "-u", identity, "-k", "0x" + key_hex,
                               "--timeout", "500", "-f", "Cdev",
                               "coaps://%s:%d/cse-in" % (host, port)],
                              capture_output=True, text=True, timeout=30)

    def test_psk_from_radius_in_dtls_handshake(self):
        sections = {"coap": {"dtls": "1", "dtls_port": "0", "listen": "127.0.0.1"}}
        cse = Cse(plugin="cssf", plugin_opts=self.opts(radius_acct_interim="0"),
                  sections=sections).start()
        try:
            host, port = self.coaps(cse)
            r = self.coap_get(host, port, "dev-psk-1", DEVICE_PSK_HEX)
            # The handshake succeeded: a CoAP response came back (any code).
            self.assertNotEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("code=", r.stdout)
            # The association identity the CSE saw is the RADIUS user.
            self.assertIn("authenticated identity 'dev-psk-1'", r.stdout)
            r = self.coap_get(host, port, "dev-psk-1", "00" * 16)
            self.assertEqual(r.returncode, 2, "a wrong key must fail the handshake")
            r = self.coap_get(host, port, "dev-unknown", DEVICE_PSK_HEX)
            self.assertEqual(r.returncode, 2, "an identity RADIUS rejects has no key")
            line = cssftest.wait_audit(cse, lambda l: l["event"] == "psk_lookup")
            self.assertEqual(line["decision"], "deny")
            self.assertIn("REJECT", line["reason"])
            cse.stop()
        finally:
            cse.cleanup()
        # The plugin stopped: every session has its Stop queued and sent.
        deadline = time.time() + 5
        while time.time() < deadline and "Acct-Status-Type = Stop" not in self.fr.detail():
            time.sleep(0.1)
        recs = [x for x in self.fr.detail().split("\n\n") if 'User-Name = "dev-psk-1"' in x]
        self.assertEqual(len([x for x in recs if "Acct-Status-Type = Start" in x]), 1,
                         self.fr.detail())
        stops = [x for x in recs if "Acct-Status-Type = Stop" in x]
        self.assertEqual(len(stops), 1, self.fr.detail())
        # One request went through the session: counted in and out.
        self.assertIn("Acct-Input-Packets = 1", stops[0])
        self.assertIn("Acct-Output-Packets = 1", stops[0])
        self.assertIn('Calling-Station-Id = "127.0.0.1"', stops[0])
        self.assertIn('NAS-Identifier = "/id-in"', stops[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
