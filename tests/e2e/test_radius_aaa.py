"""The plugin's AAA state (plugin/aaa/aaa.h, built from radius_* options)
against a real FreeRADIUS: PSKs from Tunnel-Password, credential checks,
caching of positive answers only, fail-closed behaviour when the server is
gone, and session accounting through the durable queue (Start, Interim,
Stop, records surviving an outage and a restart, a windowed drain sending
each record once)."""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "radius"))
from radiuslib import (DEVICE_PSK_HEX, PSK_PASSWORD, USER, USER_PASSWORD,  # noqa: E402
                       Driver, FreeRadius)

SECRET = "aaa-e2e-secret"


class Aaa(unittest.TestCase):
    def setUp(self):
        self.fr = FreeRadius(SECRET).start()
        self.tmp = tempfile.mkdtemp(prefix="cssf-aaa-")
        self.secret_file = os.path.join(self.tmp, "radius.secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(self.secret_file, 0o600)
        self.queue = os.path.join(self.tmp, "acct.db")

    def tearDown(self):
        self.fr.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def opts(self, **extra):
        o = {"radius_auth_servers": "127.0.0.1:%d" % self.fr.auth_port,
             "radius_acct_servers": "127.0.0.1:%d" % self.fr.acct_port,
             "radius_secret_file": self.secret_file,
             "radius_acct_queue": self.queue,
             "radius_timeout_ms": "200", "radius_retries": "1",
             "radius_dead_after": "1", "radius_probe_ms": "200",
             "radius_psk": "true", "radius_psk_password": PSK_PASSWORD,
             "radius_basic": "true"}
        o.update(extra)
        return o

    def logins(self, user):
        return self.fr.output().count("Login OK: [%s]" % user)

    def test_psk_from_tunnel_password(self):
        with Driver(aaa=self.opts()) as d:
            r = d.cmd("psk dev-psk-1")
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["key"], DEVICE_PSK_HEX)
            # Cached: the second lookup does not reach the server.
            r = d.cmd("psk dev-psk-1")
            self.assertEqual(r["key"], DEVICE_PSK_HEX)
            self.assertEqual(self.logins("dev-psk-1"), 1)
            r = d.cmd("psk dev-unknown")
            self.assertFalse(r["ok"])
            self.assertIn("REJECT", r["reason"])
            self.assertEqual(r["key"], "")
            r = d.cmd("psk dev-not-hex")
            self.assertFalse(r["ok"])
            self.assertIn("not hex", r["reason"])
            r = d.cmd("psk dev-no-key")
            self.assertFalse(r["ok"])
            self.assertIn("without a Tunnel-Password", r["reason"])
        self.assertNotIn(PSK_PASSWORD, d.stderr)

    def test_credentials(self):
        with Driver(aaa=self.opts()) as d:
            self.assertTrue(d.cmd("basic %s %s" % (USER, USER_PASSWORD))["ok"])
            self.assertTrue(d.cmd("basic %s %s" % (USER, USER_PASSWORD))["ok"])
            self.assertEqual(self.logins(USER), 1)
            r = d.cmd("basic %s wrong" % USER)
            self.assertFalse(r["ok"])
            self.assertIn("REJECT", r["reason"])
            # A rejected password is never cached: asked again each time.
            d.cmd("basic %s wrong" % USER)
            self.assertEqual(self.fr.output().count("Login incorrect"), 2)

    def test_fail_closed_when_server_gone(self):
        with Driver(aaa=self.opts(radius_cache_ttl="300")) as d:
            self.assertTrue(d.cmd("psk dev-psk-1")["ok"])
            self.fr.stop()
            # Nothing new is accepted without an authentic answer.
            r = d.cmd("basic %s %s" % (USER, USER_PASSWORD))
            self.assertFalse(r["ok"])
            self.assertIn("TIMEOUT", r["reason"])
            # An answer RADIUS gave within the cache lifetime still holds.
            self.assertTrue(d.cmd("psk dev-psk-1")["ok"])
        with Driver(aaa=self.opts(radius_cache_ttl="0")) as d:
            r = d.cmd("psk dev-psk-1")
            self.assertFalse(r["ok"])

    def test_session_accounting(self):
        with Driver(aaa=self.opts(radius_acct_interim="1")) as d:
            d.cmd("session start 42 dev-psk-1")
            d.cmd("session traffic 42 300 4000")
            d.cmd("session traffic 42 200 1000")
            time.sleep(2.2)  # at least one Interim-Update
            d.cmd("session stop 42")
            r = d.cmd("flush 3000")
            self.assertTrue(r["empty"], r)
        recs = [x for x in self.fr.detail().split("\n\n") if "000000000000002a" in x]
        kinds = [next(l for l in x.splitlines() if "Acct-Status-Type" in l).split("= ")[1]
                 for x in recs]
        self.assertEqual(kinds[0], "Start")
        self.assertEqual(kinds[-1], "Stop")
        self.assertIn("Interim-Update", kinds[1:-1])
        stop = recs[-1]
        self.assertIn("Acct-Input-Octets = 500", stop)
        self.assertIn("Acct-Output-Octets = 5000", stop)
        self.assertIn("Acct-Input-Packets = 2", stop)
        self.assertIn("Acct-Terminate-Cause = User-Request", stop)
        self.assertIn('User-Name = "dev-psk-1"', stop)
        self.assertIn('Calling-Station-Id = "127.0.0.1"', stop)
        self.assertIn('NAS-Identifier = "/id-driver"', stop)

    def test_windowed_drain_sends_each_record_once(self):
        # 150 sessions opened and closed at once: several windows of records
        # in flight, each reaching FreeRADIUS exactly once, a session's Stop
        # only after its Start.
        n = 150
        with Driver(aaa=self.opts(radius_acct_interim="0")) as d:
            for i in range(1, n + 1):
                d.cmd("session start %d dev-psk-1" % (1000 + i))
                d.cmd("session stop %d" % (1000 + i))
            r = d.cmd("flush 20000")
            self.assertTrue(r["empty"], r)
            self.assertEqual(r["sent"], 2 * n)
        seen = {}
        for x in self.fr.detail().split("\n\n"):
            sid = [l for l in x.splitlines() if "Acct-Session-Id" in l]
            kind = [l for l in x.splitlines() if "Acct-Status-Type" in l]
            if sid and kind:
                seen.setdefault(sid[0].split("= ")[1], []).append(kind[0].split("= ")[1])
        self.assertEqual(len(seen), n)
        for sid, kinds in seen.items():
            self.assertEqual(kinds, ["Start", "Stop"], sid)

    def test_accounting_survives_outage_and_restart(self):
        self.fr.stop()
        with Driver(aaa=self.opts(radius_acct_interim="0")) as d:
            d.cmd("session start 7 dev-psk-1")
            d.cmd("session traffic 7 10 20")
            d.cmd("session stop 7")
            d.cmd("session start 8 dev-psk-1")  # left open: Stop at shutdown
            r = d.cmd("flush 300")
            self.assertFalse(r["empty"])
            self.assertEqual(r["pending"], 3)
        time.sleep(1.1)
        self.fr.start()
        with Driver(aaa=self.opts(radius_acct_interim="0")) as d:
            r = d.cmd("flush 5000")
            self.assertTrue(r["empty"], r)
            self.assertEqual(r["sent"], 4)
        recs = [x for x in self.fr.detail().split("\n\n") if "Acct-Session-Id" in x]
        self.assertEqual(len(recs), 4, self.fr.detail())
        order = [(next(l for l in x.splitlines() if "Acct-Session-Id" in l)[-3:-1],
                  next(l for l in x.splitlines() if "Acct-Status-Type" in l).split("= ")[1])
                 for x in recs]
        # Each record exactly once, each session's in order; records of
        # different sessions travel in one window, so their order is free.
        self.assertEqual(sorted(order), [("07", "Start"), ("07", "Stop"), ("08", "Start"),
                                         ("08", "Stop")])
        for sid in ("07", "08"):
            self.assertEqual([k for s, k in order if s == sid], ["Start", "Stop"])
        self.assertIn("Acct-Terminate-Cause = NAS-Reboot",
                      recs[order.index(("08", "Stop"))])
        # Each says how late it is: queued over a second before it was sent.
        delays = [int(next(l for l in x.splitlines() if "Acct-Delay-Time" in l).split("= ")[1])
                  for x in recs]
        self.assertTrue(all(dl >= 1 for dl in delays), delays)


if __name__ == "__main__":
    unittest.main(verbosity=2)
