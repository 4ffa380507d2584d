"""The CSSF RADIUS client against responders that lie (BlastRADIUS,
CVE-2024-3596): forged answers must never be believed, and a forger
racing a real server must not prevent the real answer. A correct Python
responder is the control: the same harness with honest answers accepts."""
import hashlib
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "radius"))
from radiuslib import Driver, Responder, attrs_of, request_ma_ok, unhide  # noqa: E402

SECRET = "forge-test-secret"


class Forged(unittest.TestCase):
    def run_auth(self, mode, **kw):
        resp = Responder(SECRET, mode)
        try:
            with Driver(auth=[resp.server()], acct=[resp.server()], timeout_ms=150, retries=1,
                        **kw) as d:
                r = d.cmd("auth alice pw")
            return r, resp.received
        finally:
            resp.close()

    def test_control_correct_answer_accepted(self):
        r, _ = self.run_auth("correct")
        self.assertEqual(r["result"], "ACCEPT", r)
        self.assertEqual(r["reply_message"], "forged?")

    def test_random_response_authenticator_rejected(self):
        r, got = self.run_auth("random_auth")
        self.assertEqual(r["result"], "INVALID", r)
        self.assertIn("Response Authenticator mismatch", r["reason"])
        self.assertEqual(len(got), 2)  # retransmitted once, both answers dropped

    def test_missing_message_authenticator_rejected(self):
        r, _ = self.run_auth("no_ma")
        self.assertEqual(r["result"], "INVALID", r)
        self.assertIn("Message-Authenticator missing", r["reason"])

    def test_wrong_message_authenticator_rejected(self):
        r, _ = self.run_auth("bad_ma")
        self.assertEqual(r["result"], "INVALID", r)
        self.assertIn("Message-Authenticator mismatch", r["reason"])

    def test_wrong_identifier_rejected(self):
        r, _ = self.run_auth("wrong_id")
        self.assertEqual(r["result"], "INVALID", r)
        self.assertIn("identifier", r["reason"])

    def test_forger_racing_the_server_is_ignored(self):
        r, _ = self.run_auth("race")
        self.assertEqual(r["result"], "ACCEPT", r)

    def test_silent_server_times_out_with_same_retransmission(self):
        resp = Responder(SECRET, "silent")
        try:
            with Driver(auth=[resp.server()], timeout_ms=100, retries=2) as d:
                r = d.cmd("auth alice pw")
        finally:
            resp.close()
        self.assertEqual(r["result"], "TIMEOUT", r)
        # 100 + 200 + 400 ms of waiting, doubled on every retransmission.
        self.assertGreaterEqual(r["ms"], 690, r)
        self.assertLess(r["ms"], 1500, r)
        self.assertEqual(len(resp.received), 3)
        # Same identifier, same authenticator: the very same bytes.
        self.assertEqual(len(set(resp.received)), 1)

    def test_request_is_signed_and_password_hidden(self):
        r, got = self.run_auth("correct")
        req = got[0]
        self.assertEqual(req[0], 1)
        self.assertEqual(struct.unpack(">H", req[2:4])[0], len(req))
        attrs = attrs_of(req)
        self.assertEqual(attrs[0][0], 80)  # Message-Authenticator first
        self.assertTrue(request_ma_ok(req, SECRET.encode()))
        self.assertFalse(request_ma_ok(req, b"other-secret"))
        a = dict(attrs)
        self.assertEqual(a[1], b"alice")
        self.assertEqual(a[32], b"cssf-test")
        self.assertNotIn(b"pw", a[2])
        self.assertEqual(unhide(a[2], req[4:20], SECRET.encode()), b"pw")

    def test_failover_from_forger_to_honest_server(self):
        forger, honest = Responder(SECRET, "random_auth"), Responder(SECRET, "correct")
        try:
            with Driver(auth=[forger.server(), honest.server()], timeout_ms=100,
                        retries=0) as d:
                r = d.cmd("auth alice pw")
        finally:
            forger.close()
            honest.close()
        self.assertEqual((r["result"], r["server"]), ("ACCEPT", 1), r)

    def test_status_server_to_forger_is_not_alive(self):
        for mode, alive in (("correct", 1), ("random_auth", 0), ("no_ma", 0)):
            resp = Responder(SECRET, mode)
            try:
                with Driver(auth=[resp.server()], timeout_ms=100, retries=0) as d:
                    r = d.cmd("status")
            finally:
                resp.close()
            self.assertEqual(r["alive"], alive, (mode, r))
            req = resp.received[0]
            self.assertEqual(req[0], 12)
            self.assertTrue(request_ma_ok(req, SECRET.encode()))


class ForgedAccounting(unittest.TestCase):
    def run_acct(self, mode, extra=()):
        resp = Responder(SECRET, mode)
        try:
            with Driver(acct=[resp.server()], timeout_ms=100, retries=0, extra=extra) as d:
                r = d.cmd("acct stop s1 10 100 200 1 2 1")
            return r, resp.received
        finally:
            resp.close()

    def test_correct_accounting_response(self):
        r, got = self.run_acct("correct")
        self.assertEqual(r["result"], "ACCEPT", r)
        req = got[0]
        # Request Authenticator = MD5(code|id|len|16 zeros|attributes|secret).
        zeroed = req[:4] + bytes(16) + req[20:]
        self.assertEqual(req[4:20], hashlib.md5(zeroed + SECRET.encode()).digest())
        self.assertTrue(request_ma_ok(req, SECRET.encode()))

    def test_forged_accounting_responses(self):
        for mode in ("random_auth", "no_ma", "bad_ma", "wrong_id"):
            r, _ = self.run_acct(mode)
            self.assertEqual(r["result"], "INVALID", (mode, r))

    def test_missing_ma_allowed_only_when_configured(self):
        r, _ = self.run_acct("no_ma", extra=["--acct-allow-missing-ma"])
        self.assertEqual(r["result"], "ACCEPT", r)
        # The Response Authenticator is still checked.
        r, _ = self.run_acct("random_auth", extra=["--acct-allow-missing-ma"])
        self.assertEqual(r["result"], "INVALID", r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
