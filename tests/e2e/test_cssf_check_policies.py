"""onem2m-cse --check-policies DIR: exit codes and "FILE: JSON-PATH: reason"
messages; the shipped policy and every example pass. Also: a bad [plugin]
option stops start-up with a clear message."""
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cselib import CSE_BIN, CSSF_PLUGIN, SOURCE_DIR, Cse, check  # noqa: E402
import cssftest  # noqa: E402


def run_check(workdir, policy_dir):
    cfg = os.path.join(workdir, "check.ini")
    with open(cfg, "w") as f:
        f.write("[store]\npath = %s\n[plugin]\npath = %s\n" %
                (os.path.join(workdir, "cse.db"), CSSF_PLUGIN))
    p = subprocess.run([CSE_BIN, "--config", cfg, "--check-policies", policy_dir], cwd=workdir,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, text=True)
    return p.returncode, p.stderr


def main():
    work = tempfile.mkdtemp(prefix="cssf-check-")
    policies = os.path.join(SOURCE_DIR, "policies")
    for d in [policies] + sorted(glob.glob(os.path.join(policies, "examples", "*"))):
        rc, err = run_check(work, d)
        check(rc == 0 and "%s: OK" % d in err, "valid policy", d, rc, err)

    bad = cssftest.write_policy(os.path.join(work, "bad"), {"admins": "ops", "x": 1}, {
        "a.json": {"acps": [cssftest.acp("ok", [{"acor": ["C1"], "acop": 1}]),
                            cssftest.acp("bad", [{"acor": ["C1"], "acop": 2},
                                                 {"acor": ["C1"], "acop": 99}])]},
        "b.json": "{not json",
    })
    rc, err = run_check(work, bad)
    check(rc != 0, "invalid policy exits non-zero", rc, err)
    for line in ["%s/cssf.json: $.x: unknown key" % bad,
                 "%s/cssf.json: $.admins: expected an array of strings" % bad,
                 "%s/acps/a.json: $.acps[1].pv.acr[1].acop: must be an integer between 1 and 63" % bad,
                 "%s/acps/b.json: $: invalid JSON at line 1 column" % bad,
                 "%s: 4 problem(s)" % bad]:
        check(line in err, "report line", line, err)
    check(not os.path.exists(os.path.join(work, "audit.log")), "a check writes no audit log")

    rc, err = run_check(work, os.path.join(work, "missing"))
    check(rc != 0 and "%s/missing: $: not a directory" % work in err, "missing dir", err)

    # Start-up refuses unknown options and an invalid policy.
    for opts, text in [({"polcy_dir": "x"}, "unknown option 'polcy_dir'"),
                       ({"authentication": "sometimes"}, "neither required nor optional"),
                       ({"trust_claimed_admin": "true"}, "needs authentication=optional"),
                       ({"policy_dir": bad}, "$.x: unknown key")]:
        cse = Cse(plugin="cssf", plugin_opts=opts, expect_start=False)
        try:
            cse.start()
            rc, out = cse.wait_exit()
            check(rc != 0 and text in out, "start-up refused", opts, rc, out[-2000:])
        finally:
            cse.cleanup()
    print("OK")


if __name__ == "__main__":
    main()
