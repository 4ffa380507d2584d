"""RADIUS shared secrets sealed at rest, through the real CSE, cssf.so,
cssfctl and a real FreeRADIUS: a CSE started with a server but no secret
starts, warns, and denies an AAA-backed (HTTP Basic over HTTPS) login with
the reason; cssfctl radius set-secret (stdin, never argv) seals it and the
same login is accepted without a restart; the SQLite file holds no
plaintext secret; the admin API's statuses; master key rotation re-seals
it and it still works after a restart; a plaintext secret in the INI file
still works but warns (naming the server, never the secret); RELOAD
resolves the secrets again."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import BUILD_DIR, Cse, check, run_tests  # noqa: E402
from radiuslib import USER, USER_PASSWORD, FreeRadius  # noqa: E402

CSSFCTL = os.path.join(BUILD_DIR, "tools", "cssfctl")
SECRET = "sealed-radius-secret-7f3a"
OPS = "urn:m2m:ops"


def make_env(tmp, fr):
    certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1", "ops": "URI:" + OPS})
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
        "authentication": "required",
        "admins": [OPS],
        "identities": {USER: ["Calice"], OPS: ["Cops"]},
        "radius": {"description": "people log in with RADIUS passwords", "users": [USER]}}, {
        "all.json": cssftest.acp("acpAll", [{"acor": ["Calice"], "acop": 63}])})
    name = "127.0.0.1:%d" % fr.auth_port
    opts = {"policy_dir": policy, "radius_auth_servers": name,
            "radius_timeout_ms": "300", "radius_retries": "1", "radius_basic": "true",
            "radius_cache_ttl": "0"}
    https = {"cert": certs["server"][0], "key": certs["server"][1],
             "ca": os.path.join(tmp, "ca.pem"), "client_auth": "optional"}
    return {"certs": certs, "opts": opts, "https": https, "tmp": tmp, "fr": fr, "name": name}


def ctl(env, cse, *args, stdin=None):
    e = dict(os.environ)
    e.update({"CSSF_URL": "https://127.0.0.1:%d" % cse.https_port, "CSSF_ORIGIN": "CAdmin",
              "CSSF_CERT": env["certs"]["ops"][0], "CSSF_KEY": env["certs"]["ops"][1],
              "CSSF_CACERT": os.path.join(env["tmp"], "ca.pem")})
    return subprocess.run([CSSFCTL] + list(args), input=stdin, capture_output=True, text=True,
                          env=e, timeout=30)


def api(env, cse, method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"X-M2M-RVI": None, "X-M2M-RI": None}
    return cse.request(method, "/cssf/v1" + path, origin="CAdmin", raw_body=data,
                       headers=headers, https=True, cert=env["certs"]["ops"])


def login(cse, env):
    """Alice reads her AE (created on first success): rsc 2000/2001 once
    RADIUS accepted her password, 4106 when it did not."""
    basic = (USER, USER_PASSWORD)
    r = cse.retrieve("/cse-in/alice", origin="Calice", https=True, basic=basic)
    if r.rsc != 4004:
        return r
    a = cse.retrieve("/cse-in/acpAll", origin="CAdmin", https=True, cert=env["certs"]["ops"])
    check(a.rsc == 2000, "the admin reads the ACP", a)
    return cse.create("/cse-in", 2, cssftest.ae("alice", acpi=[a.json["m2m:acp"]["ri"]]),
                      origin="Calice", https=True, basic=basic)


def ok(r):
    return r.rsc in (2000, 2001)


def db_bytes(workdir):
    data = b""
    for name in ("cse.db", "cse.db-wal"):
        path = os.path.join(workdir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data += f.read()
    return data


def entry(env, cse, name):
    p = ctl(env, cse, "--json", "radius", "list")
    check(p.returncode == 0, "radius list --json", p)
    found = [e for e in json.loads(p.stdout)["secrets"] if e["name"] == name]
    return found[0] if found else None


def test_sealed_lifecycle(env):
    fr, name = env["fr"], env["name"]
    work = os.path.join(env["tmp"], "cse1")
    os.makedirs(work)
    cse = Cse(plugin="cssf", plugin_opts=env["opts"], https=env["https"], workdir=work).start()
    try:
        out = cse.read_output()
        check("no shared secret for %s" % name in out and
              "cssfctl radius set-secret %s" % name in out, "one warning at start names it", out)
        # No secret: the login fails closed, with the reason.
        before = fr.auth_detail().count('User-Name = "%s"' % USER)
        r = login(cse, env)
        check(r.rsc == 4106 and
              ("no shared secret for %s; set one with cssfctl radius set-secret" % name)
              in r.json["m2m:dbg"], "denied with the reason", r)
        check(fr.auth_detail().count('User-Name = "%s"' % USER) == before,
              "FreeRADIUS was not asked")
        e = entry(env, cse, name)
        check(e and e["in_use"] == "none" and not e["sealed"] and e["roles"] == ["auth"] and
              e["configured"], "listed: configured, nothing sealed", e)
        p = ctl(env, cse, "radius", "list")
        check(p.returncode == 0 and name in p.stdout and "none" in p.stdout, "table", p)

        # The secret never comes from argv; bad input is a usage error.
        p = ctl(env, cse, "radius", "set-secret", name, SECRET)
        check(p.returncode == 2, "a secret on the command line is refused", p)
        p = ctl(env, cse, "radius", "set-secret", name, stdin="")
        check(p.returncode == 2, "empty stdin", p)
        p = ctl(env, cse, "radius", "set-secret", name, stdin="x" * 129 + "\n")
        check(p.returncode == 2, "129 bytes", p)
        p = ctl(env, cse, "radius", "set-secret", "not-a-server", stdin="s\n")
        check(p.returncode == 1 and "host:port" in p.stderr, "a bad name: API error", p)

        p = ctl(env, cse, "radius", "set-secret", name, stdin=SECRET + "\n")
        check(p.returncode == 0 and "sealed" in p.stdout and SECRET not in p.stdout + p.stderr,
              "set-secret from stdin", p)
        r = login(cse, env)
        check(ok(r), "accepted without a restart", r)
        check(fr.auth_detail().count('User-Name = "%s"' % USER) > before,
              "the Access-Request reached FreeRADIUS", fr.auth_detail()[-2000:])
        e = entry(env, cse, name)
        check(e["in_use"] == "sealed" and e["sealed"] and len(e["key_id"]) == 16 and
              "secret" not in e, "listed as sealed, no value", e)
        check(SECRET.encode() not in db_bytes(work), "the SQLite file holds no plaintext secret")

        # API statuses.
        r = api(env, cse, "PUT", "/radius/secrets/" + name, {"secret": SECRET})
        check(r.status == 200 and r.json["sealed"], "replacing: 200", r)
        r = api(env, cse, "PUT", "/radius/secrets/%5B%3A%3A1%5D%3A1812", {"secret": "v6-secret"})
        check(r.status == 201 and r.json["name"] == "[::1]:1812" and not r.json["configured"],
              "a new name (IPv6): 201", r)
        for body, field in (({"secret": ""}, "secret"), ({"secret": 5}, "secret"),
                            ({"secret": "x" * 129}, "secret"), ({"secret": "a", "b": 1}, "b"),
                            ({}, "secret")):
            r = api(env, cse, "PUT", "/radius/secrets/" + name, body)
            check(r.status == 400 and r.json.get("field") == field, "400 %s" % field, r)
        r = api(env, cse, "PUT", "/radius/secrets/" + name, raw=b'{"secret": "a\\u0000b"}')
        check(r.status == 400, "NUL refused", r)
        r = api(env, cse, "POST", "/radius/secrets/" + name, {"secret": "x"})
        check(r.status == 405, "POST: 405", r)
        r = api(env, cse, "GET", "/radius/secrets/127.0.0.1:9")
        check(r.status == 404, "unknown: 404", r)
        r = cse.request("GET", "/cssf/v1/radius/secrets", origin="Calice", https=True,
                        basic=(USER, USER_PASSWORD), headers={"X-M2M-RVI": None,
                                                              "X-M2M-RI": None})
        check(r.status == 403, "not an admin: 403", r)
        p = ctl(env, cse, "radius", "delete-secret", "[::1]:1812")
        check(p.returncode == 0, "delete-secret", p)
        p = ctl(env, cse, "radius", "delete-secret", "[::1]:1812")
        check(p.returncode == 1 and "404" in p.stderr, "deleting again: 404, exit 1", p)
        lines = [json.loads(x) for x in open(os.path.join(work, "audit.log"))
                 if '"admin"' in x] if os.path.exists(os.path.join(work, "audit.log")) else []
        check(all(SECRET not in json.dumps(x) for x in lines), "no secret in the audit trail")

        # Rotation re-seals it; after a restart it still opens.
        p = ctl(env, cse, "key", "rotate")
        check(p.returncode == 0 and "1 RADIUS secret(s) re-sealed" in p.stdout, "rotate", p)
        new_id = entry(env, cse, name)["key_id"]
        check(new_id != e["key_id"], "row re-sealed under the new key", new_id)
        check(cse.stop() == 0, "clean exit", cse.read_output()[-3000:])
        cse.start()
        out = cse.read_output()
        check("no shared secret for %s" % name not in out and
              "is plaintext at rest" not in out, "no warning after the restart", out)
        before = fr.auth_detail().count('User-Name = "%s"' % USER)
        r = login(cse, env)
        check(ok(r), "accepted after rotation and restart", r)
        check(fr.auth_detail().count('User-Name = "%s"' % USER) == before + 1,
              "FreeRADIUS was asked again (nothing cached across restarts)")
        # RELOAD resolves again: a row removed behind the API stops being used.
        db = sqlite3.connect(os.path.join(work, "cse.db"), timeout=5)
        db.execute("DELETE FROM cssf_radius_secrets WHERE name = ?", (name,))
        db.commit()
        db.close()
        check(ok(login(cse, env)), "in use until a reload")
        reloads = cse.read_output().count("policy reloaded")
        cse.signal(signal.SIGHUP)
        deadline = time.time() + 5
        while cse.read_output().count("policy reloaded") == reloads and time.time() < deadline:
            time.sleep(0.05)
        r = login(cse, env)
        check(r.rsc == 4106 and "no shared secret for %s" % name in r.json["m2m:dbg"],
              "after RELOAD: no secret, denied", r)
        p = ctl(env, cse, "radius", "set-secret", name, stdin=SECRET + "\n")
        check(p.returncode == 0 and ok(login(cse, env)), "sealed again", p)
        # Deleted: fail closed again, at once.
        p = ctl(env, cse, "radius", "delete-secret", name)
        check(p.returncode == 0, "delete", p)
        r = login(cse, env)
        check(r.rsc == 4106 and "no shared secret for %s" % name in r.json["m2m:dbg"],
              "deleted: denied again", r)
        check(SECRET not in cse.read_output(), "no secret in the CSE output")
        check(cse.stop() == 0 and "Sanitizer" not in cse.read_output(), "clean exit",
              cse.read_output()[-3000:])
    finally:
        cse.cleanup()


def test_plaintext_still_works_but_warns(env):
    name = env["name"]
    opts = dict(env["opts"], radius_auth_servers="%s:%s" % (name, SECRET))
    with Cse(plugin="cssf", plugin_opts=opts, https=env["https"]) as cse:
        out = cse.read_output()
        warn = [x for x in out.splitlines() if "plaintext at rest" in x]
        check(len(warn) == 1 and name in warn[0] and
              "cssfctl radius set-secret %s" % name in warn[0] and SECRET not in out,
              "one warning naming the server and how to seal it", out)
        check(ok(login(cse, env)), "the plaintext secret still works")
        e = entry(env, cse, name)
        check(e["in_use"] == "inline" and not e["sealed"], "listed as inline", e)
        # Sealing a wrong one wins over the plaintext at once: fail closed.
        p = ctl(env, cse, "radius", "set-secret", name, stdin="not-the-secret\n")
        check(p.returncode == 0, "set", p)
        r = login(cse, env)
        check(r.rsc == 4106 and "RADIUS" in r.json["m2m:dbg"], "the sealed one is in use", r)
        p = ctl(env, cse, "radius", "delete-secret", name)
        check(p.returncode == 0 and ok(login(cse, env)), "deleted: back to the plaintext")
        check(cse.stop() == 0 and "Sanitizer" not in cse.read_output(), "clean exit",
              cse.read_output()[-3000:])


def test_accounting_waits_for_its_secret(env):
    """Records of an accounting server without a secret wait in the queue
    and go out as soon as one is sealed, not after the queue's backoff."""
    fr = env["fr"]
    acct = "127.0.0.1:%d" % fr.acct_port
    opts = dict(env["opts"], radius_acct_servers=acct,
                radius_acct_queue=os.path.join(env["tmp"], "acct.db"), radius_acct_interim="0")
    with Cse(plugin="cssf", plugin_opts=opts, https=env["https"]) as cse:
        before = fr.detail().count("Acct-Status-Type")
        # The admin's TLS session (client certificate) is accounted.
        p = ctl(env, cse, "radius", "list")
        check(p.returncode == 0, "list", p)
        deadline = time.time() + 5
        while "radius accounting delayed" not in cse.read_output() and time.time() < deadline:
            time.sleep(0.05)
        out = cse.read_output()
        check("radius accounting delayed" in out and "no shared secret for %s" % acct in out,
              "the session's records wait for a secret", out[-2000:])
        # Failures at 0, 1 and 3 s: the next try would be at 7 s.
        time.sleep(3.5)
        check(fr.detail().count("Acct-Status-Type") == before, "nothing sent without a secret")
        t0 = time.time()
        p = ctl(env, cse, "radius", "set-secret", acct, stdin=SECRET + "\n")
        check(p.returncode == 0, "set-secret for the accounting server", p)
        while fr.detail().count("Acct-Status-Type") == before and time.time() - t0 < 2.5:
            time.sleep(0.05)
        check(fr.detail().count("Acct-Status-Type") > before,
              "records sent within 2.5 s of the secret, not after the backoff", fr.detail()[-1500:])
        check(cse.stop() == 0, "clean exit", cse.read_output()[-2000:])


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="radius-sealed-")
    fr = FreeRadius(SECRET).start()
    try:
        env = make_env(tmp, fr)
        rc = run_tests({k: v for k, v in globals().items() if k.startswith("test_")}, env)
    finally:
        fr.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("radius sealed: %s (%.1f s)" % ("ok" if rc == 0 else "FAILED", time.time() - started))
    return rc


if __name__ == "__main__":
    sys.exit(main())
