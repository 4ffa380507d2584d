"""RADIUS accounting of AE registrations, through the real onem2m-cse with
cssf.so and a real FreeRADIUS (records read from its detail file): Start at
registration with the AE-ID, Interim-Updates with the AE's request counters,
the same session after a CSE restart, Stop with User-Request on deletion
and with Session-Timeout on expiry (also when the AE expired while the CSE
was down)."""
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import cssftest  # noqa: E402
from cselib import Cse  # noqa: E402
from radiuslib import FreeRadius  # noqa: E402

SECRET = "ae-acct-e2e-secret"


def et_in(seconds):
    when = time.time() + seconds
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(when)) + ",%06d" % int((when % 1) * 1e6)


def attr(rec, name):
    m = re.search(r"^\s*%s = (.*)$" % re.escape(name), rec, re.M)
    return m.group(1).strip('"') if m else None


class AeAccounting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fr = FreeRadius(SECRET).start()

    @classmethod
    def tearDownClass(cls):
        cls.fr.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cssf-ae-acct-")
        self.work = os.path.join(self.tmp, "cse")
        os.makedirs(self.work)
        self.policy = cssftest.write_policy(os.path.join(self.tmp, "policy"), {})
        self.opts = {"policy_dir": self.policy, "authentication": "optional",
                     "radius_acct_servers": "127.0.0.1:%d:%s" % (self.fr.acct_port, SECRET),
                     "radius_acct_queue": os.path.join(self.tmp, "acct.db"),
                     "radius_timeout_ms": "300", "radius_retries": "1",
                     "radius_acct_interim": "2"}
        self.cses = []

    def tearDown(self):
        for cse in self.cses:
            cse.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cse(self):
        cse = Cse(plugin="cssf", plugin_opts=self.opts, workdir=self.work).start()
        self.cses.append(cse)
        return cse

    def register(self, cse, rn, **extra):
        body = cssftest.ae(rn)
        body["m2m:ae"].update(extra)
        r = cse.create("/cse-in", 2, body, origin="C")
        self.assertEqual(r.rsc, 2001, r)
        aei = r.json["m2m:ae"]["aei"]
        self.assertTrue(aei.startswith("C") and len(aei) > 1, aei)
        return aei

    def records(self, aei):
        return [x for x in self.fr.detail().split("\n\n")
                if attr(x, "Calling-Station-Id") == aei]

    def wait_record(self, aei, pred, what, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [x for x in self.records(aei) if pred(x)]
            if found:
                return found[-1]
            time.sleep(0.1)
        self.fail("no %s for %s in:\n%s" % (what, aei, self.fr.detail()[-3000:]))

    def test_registration_lifecycle_and_restart(self):
        cse = self.cse()
        t0 = time.time()
        aei = self.register(cse, "meter")
        start = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Start", "Start")
        sid = attr(start, "Acct-Session-Id")
        self.assertTrue(sid.startswith("ae-"), start)
        self.assertEqual(attr(start, "User-Name"), aei)  # no association: the AE-ID
        self.assertEqual(attr(start, "NAS-Identifier"), "/id-in")
        # Requests of the AE count; those of another originator do not.
        for _ in range(3):
            cse.retrieve("/cse-in/meter", origin=aei)
        cse.retrieve("/cse-in", origin="Csomeone-else")
        interim = self.wait_record(
            aei, lambda x: attr(x, "Acct-Status-Type") == "Interim-Update" and
            attr(x, "Acct-Input-Packets") == "4", "Interim-Update with 4 requests")
        self.assertEqual(attr(interim, "Acct-Session-Id"), sid)
        self.assertEqual(attr(interim, "Acct-Output-Packets"), "4")
        self.assertGreater(int(attr(interim, "Acct-Output-Octets")), 0)

        # A clean restart: no Stop, the same session continues.
        self.assertEqual(cse.stop(), 0, cse.read_output()[-3000:])
        time.sleep(0.5)
        self.assertFalse([x for x in self.records(aei) if attr(x, "Acct-Status-Type") == "Stop"],
                         self.fr.detail()[-3000:])
        cse = self.cse()
        cse.retrieve("/cse-in/meter", origin=aei)
        interim = self.wait_record(
            aei, lambda x: attr(x, "Acct-Status-Type") == "Interim-Update" and
            attr(x, "Acct-Input-Packets") == "5", "Interim-Update after the restart")
        self.assertEqual(attr(interim, "Acct-Session-Id"), sid)

        time.sleep(1)
        r = cse.delete("/cse-in/meter", origin=aei)
        self.assertEqual(r.rsc, 2002, r)
        elapsed = time.time() - t0
        stop = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Stop", "Stop")
        self.assertEqual(attr(stop, "Acct-Session-Id"), sid)
        self.assertEqual(attr(stop, "Acct-Terminate-Cause"), "User-Request")
        secs = int(attr(stop, "Acct-Session-Time"))
        self.assertTrue(elapsed - 2 <= secs <= elapsed + 1, (secs, elapsed))
        # The DELETE is not among them: the AE was gone (and stopped) before
        # that request was accounted.
        self.assertEqual(attr(stop, "Acct-Input-Packets"), "5")
        starts = [x for x in self.records(aei) if attr(x, "Acct-Status-Type") == "Start"]
        self.assertEqual(len(starts), 1, self.fr.detail()[-3000:])
        self.assertEqual(cse.stop(), 0, cse.read_output()[-3000:])
        self.assertNotIn(SECRET, cse.read_output())

    def test_crash_continues_from_last_interim(self):
        cse = self.cse()
        aei = self.register(cse, "crashy")
        cse.retrieve("/cse-in/crashy", origin=aei)
        interim = self.wait_record(
            aei, lambda x: attr(x, "Acct-Status-Type") == "Interim-Update" and
            attr(x, "Acct-Input-Packets") == "2", "Interim-Update with 2 requests")
        sid = attr(interim, "Acct-Session-Id")
        cse.kill()
        cse = self.cse()
        cse.retrieve("/cse-in/crashy", origin=aei)
        interim = self.wait_record(
            aei, lambda x: attr(x, "Acct-Status-Type") == "Interim-Update" and
            attr(x, "Acct-Input-Packets") == "3", "Interim-Update after the crash")
        self.assertEqual(attr(interim, "Acct-Session-Id"), sid)
        self.assertEqual(len([x for x in self.records(aei)
                              if attr(x, "Acct-Status-Type") in ("Start", "Stop")]), 1)

    def test_expiry_stops_with_session_timeout(self):
        cse = self.cse()
        aei = self.register(cse, "brief", et=et_in(2.5))
        start = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Start", "Start")
        stop = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Stop", "Stop")
        self.assertEqual(attr(stop, "Acct-Session-Id"), attr(start, "Acct-Session-Id"))
        self.assertEqual(attr(stop, "Acct-Terminate-Cause"), "Session-Timeout")
        self.assertIn(int(attr(stop, "Acct-Session-Time")), (2, 3, 4))

    def test_expiry_while_down(self):
        cse = self.cse()
        aei = self.register(cse, "sleepy", et=et_in(2))
        start = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Start", "Start")
        self.assertEqual(cse.stop(), 0, cse.read_output()[-3000:])
        time.sleep(3)
        self.assertFalse([x for x in self.records(aei) if attr(x, "Acct-Status-Type") == "Stop"])
        self.cse()
        stop = self.wait_record(aei, lambda x: attr(x, "Acct-Status-Type") == "Stop", "Stop")
        self.assertEqual(attr(stop, "Acct-Session-Id"), attr(start, "Acct-Session-Id"))
        self.assertEqual(attr(stop, "Acct-Terminate-Cause"), "Session-Timeout")


if __name__ == "__main__":
    unittest.main(verbosity=2)
