"""Plugin loading in the real onem2m-cse.

A plugin that cannot be loaded stops start-up with a clear message and a
non-zero exit. A loaded plugin (tests/plugins/plugin_record.c) gets its
options, sees AUTHENTICATE and AUTHORIZE for a request, decides it, gets
RELOAD on SIGHUP, and is cleaned up at shutdown.
"""
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import TEST_PLUGIN_DIR, Cse, check  # noqa: E402


def expect_startup_failure(plugin, message):
    cse = Cse(plugin=plugin, expect_start=False)
    try:
        cse.start()
        rc, out = cse.wait_exit()
        check(rc != 0, "start-up must fail for %s" % plugin, out)
        check(message in out, "expected message missing: " + message, out)
        check("listening on" not in out, "a binding started before the plugin loaded", out)
    finally:
        cse.cleanup()


def test_startup_failures():
    def so(name):
        return os.path.join(TEST_PLUGIN_DIR, name + ".so")

    expect_startup_failure("/nonexistent/dir/p.so", "plugin /nonexistent/dir/p.so: cannot open: ")
    expect_startup_failure(so("plugin_no_cleanup"),
                           "plugin %s: missing symbol cse_plugin_cleanup" % so("plugin_no_cleanup"))
    expect_startup_failure(
        so("plugin_bad_version"),
        "plugin %s: refused every ABI version offered (1)" % so("plugin_bad_version"))
    expect_startup_failure(so("plugin_init_fails"),
                           "plugin %s: init failed (rc 3)" % so("plugin_init_fails"))


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for(path, pred, what, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [r for r in records(path) if pred(r)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("no record for %s in %s" % (what, records(path)))


def test_record_plugin():
    rec = tempfile.mktemp(prefix="cse-record-", suffix=".jsonl")
    opts = {"record_file": rec, "name": "e2e", "answer": "ok", "is_admin": "0"}
    cse = Cse(plugin="plugin_record", plugin_opts=opts,
              env={"CSE_PLUGIN_IS_ADMIN": "1"})  # an override of a [plugin] key
    try:
        cse.start()
        init = [r for r in records(rec) if r["event"] == "init"]
        check(len(init) == 1, "one init", records(rec))
        want = dict(opts, is_admin="1")
        check(init[0]["options"] == want, "options as configured (path excluded)", init[0], want)

        r = cse.retrieve("/cse-in", origin="Crec1", rqi="rq-e2e-1")
        check(r.status == 200 and r.rsc == 2000, "permitted request", r)
        seen = [x for x in records(rec) if x.get("rqi") == "rq-e2e-1"]
        events = [x["event"] for x in seen]
        check(events[:2] == ["authenticate", "authorize"], "authenticate, then authorize", seen)
        a = seen[0]
        check(a["from"] == "Crec1" and a["operation"] == 2 and "cse-in" in a["to"],
              "AUTHENTICATE inputs", a)
        check(a["binding"] == 1 and a["assoc_method"] == 0, "plain HTTP, no association", a)
        z = seen[1]
        check(z["originator"] == "Crec1" and z["operation"] == 2, "AUTHORIZE inputs", z)
        check(z["is_admin"] == 1, "the identity decided by AUTHENTICATE reaches AUTHORIZE", z)
        check(z.get("target_path") == "cse-in" and z.get("target_ty") == 5, "AUTHORIZE target", z)
        acct = wait_for(rec, lambda x: x["event"] == "accounting" and x.get("rqi") == "rq-e2e-1",
                        "accounting")
        check(acct[0]["rsc"] == 2000 and acct[0]["authorized"] == 1, "ACCOUNTING outputs", acct)
        check(acct[0]["version"] == 2 and acct[0]["aei"] is None, "ACCOUNTING v2, no AE-ID", acct)

        # A successful AE registration tells the AE-ID it was assigned (From "C").
        r = cse.create("/cse-in", 2, {"m2m:ae": {"rn": "recae", "api": "Nrec", "rr": False,
                                                 "srv": ["3"]}}, origin="C", rqi="rq-e2e-ae")
        check(r.rsc == 2001, "AE registered", r)
        aei = r.json["m2m:ae"]["aei"]
        acct = wait_for(rec, lambda x: x["event"] == "accounting" and x.get("rqi") == "rq-e2e-ae",
                        "accounting of the registration")
        check(acct[0]["aei"] == aei and aei.startswith("C"), "ACCOUNTING carries the AE-ID", acct)
        r = cse.create("/cse-in", 2, {"m2m:ae": {"rn": "recae", "api": "Nrec", "rr": False,
                                                 "srv": ["3"]}}, origin="C", rqi="rq-e2e-ae2")
        check(r.rsc != 2001, "same rn refused", r)
        acct = wait_for(rec, lambda x: x["event"] == "accounting" and x.get("rqi") == "rq-e2e-ae2",
                        "accounting of the refused registration")
        check(acct[0]["aei"] is None, "no AE-ID for a failed registration", acct)

        cse.signal(signal.SIGHUP)
        reload = wait_for(rec, lambda x: x["event"] == "reload", "RELOAD after SIGHUP")
        check(reload[0]["late_register"] == -1, "registration after init is refused", reload)
        r = cse.retrieve("/cse-in", origin="Crec1")
        check(r.status == 200, "still serving after reload", r)

        rc = cse.stop()
        check(rc == 0, "clean shutdown", cse.read_output())
        cleanup = [x for x in records(rec) if x["event"] == "cleanup"]
        check(len(cleanup) == 1, "cleanup ran once at shutdown", records(rec))
    except Exception:
        sys.stderr.write(cse.read_output()[-4000:])
        raise
    finally:
        cse.cleanup()
        if os.path.exists(rec):
            os.unlink(rec)


def test_plugin_decisions():
    """The plugin's DENY and its reason reach the client; an all-DEFER chain denies."""
    rec = tempfile.mktemp(prefix="cse-record-", suffix=".jsonl")
    cse = Cse(plugin="plugin_record",
              plugin_opts={"record_file": rec, "name": "judge", "answer": "ok",
                           "answer_authorize": "deny"})
    try:
        cse.start()
        r = cse.retrieve("/cse-in", origin="Cjudged")
        check(r.status == 403 and r.rsc == 4103, "AUTHORIZE deny gives 4103", r)
        check(b"denied by judge" in r.raw, "the plugin's reason reaches the client", r)
        cse.stop()
    finally:
        cse.cleanup()

    cse = Cse(plugin="plugin_record",
              plugin_opts={"record_file": rec, "name": "shy", "answer": "defer"})
    try:
        cse.start()
        r = cse.retrieve("/cse-in", origin="Cshy")
        check(r.status == 403 and r.rsc in (4103, 4106, 4107), "all-DEFER must deny", r)
        cse.stop()
    finally:
        cse.cleanup()
        if os.path.exists(rec):
            os.unlink(rec)


if __name__ == "__main__":
    test_startup_failures()
    test_record_plugin()
    test_plugin_decisions()
    print("ok")
