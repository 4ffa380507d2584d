"""The CSSF RADIUS client against real FreeRADIUS 3.2 servers: PAP accept
and reject, a wrong shared secret, Tunnel-Password, accounting visible in
the detail file, Status-Server, concurrency, failover to a second server,
dead-server detection and revival."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "radius"))
from radiuslib import (TUNNEL_PASSWORD, USER, USER_PASSWORD, Driver,  # noqa: E402
                       FreeRadius)

SECRET = "e2e-shared-secret-1"


class OneServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fr = FreeRadius(SECRET).start()
        cls.drv = Driver(auth=[cls.fr.auth_server()], acct=[cls.fr.acct_server()])

    @classmethod
    def tearDownClass(cls):
        cls.drv.close()
        cls.fr.cleanup()

    def test_accept_with_attributes(self):
        r = self.drv.cmd("auth %s %s 127.0.0.9" % (USER, USER_PASSWORD))
        self.assertEqual(r["result"], "ACCEPT", r)
        self.assertEqual(r["code"], 2)
        self.assertEqual(r["reply_message"], "welcome alice")
        self.assertEqual(r["session_timeout"], 3600)
        self.assertEqual(bytes.fromhex(r["class"]), b"cssf-class-alice")
        # Tunnel-Password came salt-encrypted (RFC 2868) and was decrypted.
        self.assertEqual(r["tunnel_tag"], 1)
        self.assertEqual(bytes.fromhex(r["tunnel_password"]).decode(), TUNNEL_PASSWORD)
        self.assertIn("Login OK: [alice]", self.fr.output())

    def test_reject(self):
        r = self.drv.cmd("auth %s wrong-password" % USER)
        self.assertEqual(r["result"], "REJECT", r)
        self.assertNotIn("tunnel_password", r)
        self.assertEqual(r["reply_message"], "")
        r = self.drv.cmd("auth nobody %s" % USER_PASSWORD)
        self.assertEqual(r["result"], "REJECT", r)

    def test_long_password_reaches_server_intact(self):
        # 17 bytes: two hidden blocks; FreeRADIUS must see the same password.
        r = self.drv.cmd("auth bob bob-secret-pw-long")
        self.assertEqual(r["result"], "ACCEPT", r)

    def test_wrong_shared_secret_never_accepts(self):
        with Driver(auth=[self.fr.auth_server("not-the-secret")], timeout_ms=150,
                    retries=1) as d:
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
        # FreeRADIUS drops a request whose Message-Authenticator does not
        # verify: no answer, so TIMEOUT (INVALID if it had answered).
        self.assertIn(r["result"], ("TIMEOUT", "INVALID"), r)
        self.assertIn("Message-Authenticator", self.fr.output())

    def test_accounting_start_interim_stop(self):
        sid = "sess-%d" % time.time_ns()
        for line in ("acct start %s" % sid,
                     "acct interim %s 30 1000 2000 10 20 0" % sid,
                     "acct stop %s 60 5000000000 4000 30 40 1" % sid):
            r = self.drv.cmd(line)
            self.assertEqual(r["result"], "ACCEPT", (line, r))
            self.assertEqual(r["code"], 5)
        records = [rec for rec in self.fr.detail().split("\n\n") if sid in rec]
        self.assertEqual(len(records), 3, self.fr.detail())
        self.assertIn("Acct-Status-Type = Start", records[0])
        self.assertIn("Acct-Status-Type = Interim-Update", records[1])
        self.assertIn("Acct-Session-Time = 30", records[1])
        self.assertIn("Acct-Input-Octets = 1000", records[1])
        self.assertIn("Acct-Output-Packets = 20", records[1])
        self.assertIn("Acct-Status-Type = Stop", records[2])
        # 5e9 octets = 1 gigaword + 705032704.
        self.assertIn("Acct-Input-Gigawords = 1", records[2])
        self.assertIn("Acct-Input-Octets = 705032704", records[2])
        self.assertIn("Acct-Terminate-Cause = User-Request", records[2])
        for rec in records:
            self.assertIn('NAS-Identifier = "cssf-test"', rec)
            self.assertIn('User-Name = "alice"', rec)

    def test_status_server(self):
        r = self.drv.cmd("status")
        self.assertEqual(r["alive"], 2, r)
        self.assertEqual([s["name"].split()[0] for s in r["servers"]], ["auth", "acct"])
        for s in r["servers"]:
            self.assertEqual(s["result"], "ACCEPT", s)
            self.assertNotIn(SECRET, s["name"])

    def test_concurrent_requests(self):
        r = self.drv.cmd("parallel 64 %s %s" % (USER, USER_PASSWORD))
        self.assertEqual(r["ACCEPT"], 64, r)


class Failover(unittest.TestCase):
    def setUp(self):
        self.a = FreeRadius(SECRET).start()
        self.b = FreeRadius(SECRET).start()

    def tearDown(self):
        self.a.cleanup()
        self.b.cleanup()

    def test_failover_dead_marking_and_revival(self):
        with Driver(auth=[self.a.auth_server(), self.b.auth_server()],
                    acct=[self.a.acct_server(), self.b.acct_server()],
                    timeout_ms=200, retries=1, dead_after=1, probe_ms=300) as d:
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
            self.assertEqual((r["result"], r["server"]), ("ACCEPT", 0), r)

            self.a.stop()
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
            self.assertEqual((r["result"], r["server"]), ("ACCEPT", 1), r)
            r = d.cmd("acct start failover-1")
            self.assertEqual((r["result"], r["server"]), ("ACCEPT", 1), r)
            self.assertIn("failover-1", self.b.detail())
            self.assertNotIn("failover-1", self.a.detail())

            # The first server is now marked dead: skipped without waiting.
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
            self.assertEqual((r["result"], r["server"]), ("ACCEPT", 1), r)
            self.assertLess(r["ms"], 150, r)

            # Back up: the Status-Server prober revives it.
            self.a.start()
            deadline = time.time() + 5
            while time.time() < deadline:
                r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
                if r["server"] == 0:
                    break
                time.sleep(0.1)
            self.assertEqual((r["result"], r["server"]), ("ACCEPT", 0), r)
            err = d.close()
        self.assertIn("state=dead", err)
        self.assertIn("state=alive", err)
        self.assertNotIn(SECRET, err)

    def test_all_servers_down_fails_closed(self):
        self.a.stop()
        self.b.stop()
        with Driver(auth=[self.a.auth_server(), self.b.auth_server()], timeout_ms=100,
                    retries=1, dead_after=1, probe_ms=60000) as d:
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
            self.assertEqual(r["result"], "TIMEOUT", r)
            # Both are dead now: refused at once, with the reason.
            r = d.cmd("auth %s %s" % (USER, USER_PASSWORD))
            self.assertEqual(r["result"], "TIMEOUT", r)
            self.assertIn("marked dead", r["reason"])
            self.assertLess(r["ms"], 50, r)
            r = d.cmd("status")
            self.assertEqual(r["alive"], 0, r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
