"""AAA over HTTPS through the real CSE, cssf.so and a real FreeRADIUS:
HTTP Basic credentials of a policy-listed user checked with an
Access-Request (User-Name = the credential ID, NAS-Identifier = the CSE-ID);
Accept → the user acts as its AE-IDs, Reject → 4106 with the reason, no
server answering → 4106 (fail closed), RADIUS checks not configured → 4106;
Basic over plain HTTP never reaches RADIUS; Basic beside a certificate
association is not used; TLS-PSK with the key from RADIUS (Tunnel-Password)
works with the right key and fails with a wrong one."""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "radius"))
import coaplib  # noqa: E402
import cssftest  # noqa: E402
from cselib import Cse, check, run_tests  # noqa: E402
from radiuslib import (DEVICE_PSK_HEX, PSK_PASSWORD, USER, USER_PASSWORD,  # noqa: E402
                       FreeRadius, free_udp_port)

SECRET = "https-radius-secret"
BOB_PASSWORD = "bob-secret-pw-long"  # tests/radius/users.in
DEV_CERT = "urn:m2m:gw1"


def make_env(tmp, fr):
    certs = coaplib.make_certs(tmp, {"server": "IP:127.0.0.1", "gw": "URI:" + DEV_CERT,
                                     "ops": "URI:urn:m2m:ops"})
    policy = cssftest.write_policy(os.path.join(tmp, "policy"), {
        "authentication": "required",
        "admins": ["urn:m2m:ops"],
        "identities": {USER: ["Calice"], "bob": ["Cbob"], "dev-psk-1": ["Cpskdev"],
                       DEV_CERT: ["Cgw1"], "urn:m2m:ops": ["Cops"]},
        "radius": {"description": "people log in with RADIUS passwords",
                   "users": [USER, "bob"]}}, {
        "all.json": cssftest.acp("acpAll", [{"acor": ["Calice", "Cbob", "Cpskdev", "Cgw1"],
                                             "acop": 63}])})
    secret_file = os.path.join(tmp, "radius.secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret_file, 0o600)
    opts = {"policy_dir": policy,
            "radius_auth_servers": "127.0.0.1:%d" % fr.auth_port,
            "radius_acct_servers": "127.0.0.1:%d" % fr.acct_port,
            "radius_acct_queue": os.path.join(tmp, "acct.db"), "radius_acct_interim": "0",
            "radius_secret_file": secret_file,
            "radius_timeout_ms": "300", "radius_retries": "1",
            "radius_basic": "true",
            "radius_psk": "true", "radius_psk_password": PSK_PASSWORD}
    https = {"cert": certs["server"][0], "key": certs["server"][1],
             "ca": os.path.join(tmp, "ca.pem"), "client_auth": "optional", "psk": True}
    return {"certs": certs, "opts": opts, "https": https, "tmp": tmp, "fr": fr}


def requests_for(fr, user):
    return fr.auth_detail().count('User-Name = "%s"' % user)


def test_basic_acts_as_its_ae(env, cse):
    r = cse.retrieve("/cse-in/acpAll", origin="CAdmin", https=True, cert=env["certs"]["ops"])
    check(r.rsc == 2000, "the admin reads the ACP", r)
    env["acpi"] = [r.json["m2m:acp"]["ri"]]
    alice = (USER, USER_PASSWORD)
    r = cse.create("/cse-in", 2, cssftest.ae("alice", acpi=env["acpi"]), origin="Calice",
                   https=True, basic=alice)
    check(r.rsc == 2001, "AE registration with RADIUS-checked Basic credentials", r)
    r = cse.retrieve("/cse-in/alice", origin="Calice", https=True, basic=alice)
    check(r.rsc == 2000, "the user reads its AE", r)
    detail = env["fr"].auth_detail()
    check('User-Name = "alice"' in detail and 'NAS-Identifier = "/id-in"' in detail,
          "Access-Request: User-Name = the credential ID, NAS-Identifier = the CSE-ID", detail)
    check(USER_PASSWORD not in detail, "(the test server does not log the password)")
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "request" and l["op"] == "retrieve"
                               and l["target"] == "/cse-in/alice")
    check(line["method"] == "radius-basic" and line["identity"] == USER and
          line["binding"] == "https" and line["decision"] == "permit", "audited", line)


def test_basic_from_mismatch(env, cse):
    r = cse.retrieve("/cse-in/alice", origin="Cbob", https=True, basic=(USER, USER_PASSWORD))
    check(r.rsc == 4106 and "not bound to the authenticated identity 'alice'" in
          r.json["m2m:dbg"], "alice may not speak as Cbob", r)


def test_basic_rejected(env, cse):
    r = cse.retrieve("/cse-in/alice", origin="Calice", https=True, basic=(USER, "wrong-pw"))
    check(r.status == 403 and r.rsc == 4106, "wrong password: 4106", r)
    check(r.json["m2m:dbg"].startswith("credentials of 'alice' refused: RADIUS REJECT"),
          "with the reason", r)
    check("wrong-pw" not in cse.read_output(), "no password in the log")
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "authenticate"
                               and "REJECT" in l.get("reason", ""))
    check(line["method"] == "radius-basic" and line["identity"] == USER and
          line["rsc"] == 4106 and line["from"] == "Calice", "denial audited", line)


def test_basic_never_over_plain_http(env, cse):
    fr = env["fr"]
    before = requests_for(fr, "bob")
    r = cse.retrieve("/cse-in", origin="Cbob", basic=("bob", BOB_PASSWORD))
    check(r.rsc == 4107, "plain HTTP: Basic is no credential, an association is required", r)
    time.sleep(0.2)
    check(requests_for(fr, "bob") == before, "RADIUS was not asked", fr.auth_detail())
    r = cse.create("/cse-in", 2, cssftest.ae("bob", acpi=env["acpi"]), origin="Cbob",
                   https=True, basic=("bob", BOB_PASSWORD))
    check(r.rsc == 2001, "the same credentials over HTTPS", r)
    check(requests_for(fr, "bob") == before + 1, "one Access-Request", fr.auth_detail())


def test_basic_user_not_listed(env, cse):
    r = cse.retrieve("/cse-in", origin="Cpskdev", https=True, basic=("dev-psk-1", PSK_PASSWORD))
    check(r.rsc == 4107 and r.json["m2m:dbg"] == "security association required",
          "a user radius.users does not name: credentials not used", r)


def test_basic_beside_certificate(env, cse):
    gw = env["certs"]["gw"]
    r = cse.create("/cse-in", 2, cssftest.ae("gw1", acpi=env["acpi"]), origin="Cgw1",
                   https=True, cert=gw, basic=(USER, "wrong-pw"))
    check(r.rsc == 2001, "the certificate association decides, Basic is not used", r)


def test_psk_from_radius(env, cse):
    r = cse.psk_request("POST", "/cse-in", "dev-psk-1", DEVICE_PSK_HEX, origin="Cpskdev", ty=2,
                        body=cssftest.ae("pskdev", acpi=env["acpi"]))
    check(r is not None and r.rsc == 2001, "TLS-PSK keyed by RADIUS", r)
    # The registration is accounted as the identity that made it.
    fr = env["fr"]
    deadline = time.time() + 5
    while time.time() < deadline and 'Calling-Station-Id = "Cpskdev"' not in fr.detail():
        time.sleep(0.1)
    ae = [x for x in fr.detail().split("\n\n") if 'Calling-Station-Id = "Cpskdev"' in x]
    check(len(ae) == 1 and "Acct-Status-Type = Start" in ae[0] and
          'User-Name = "dev-psk-1"' in ae[0] and 'Acct-Session-Id = "ae-' in ae[0],
          "AE registration Start", fr.detail()[-3000:])
    r = cse.psk_request("GET", "/cse-in/pskdev", "dev-psk-1", DEVICE_PSK_HEX, origin="Cpskdev",
                        cipher="PSK-AES128-CBC-SHA256")
    check(r is not None and r.rsc == 2000, "TLS_PSK_WITH_AES_128_CBC_SHA256", r)
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "request" and
                               l["target"] == "/cse-in/pskdev")
    check(line["method"] == "tls-psk" and line["identity"] == "dev-psk-1", "audited", line)
    r = cse.psk_request("GET", "/cse-in/pskdev", "dev-psk-1", "00" * 16, origin="Cpskdev")
    check(r is None, "wrong key: handshake fails", r)
    r = cse.psk_request("GET", "/cse-in", "dev-unknown", DEVICE_PSK_HEX, origin="Cpskdev")
    check(r is None, "identity RADIUS rejects: handshake fails", r)
    line = cssftest.wait_audit(cse, lambda l: l["event"] == "psk_lookup")
    check(line["decision"] == "deny" and "REJECT" in line["reason"], "psk refusal audited", line)


def test_tls_sessions_accounted(env, cse):
    """Each TLS connection with an association is one RADIUS accounting
    session: Start at its first request, Stop when it closes."""
    fr = env["fr"]

    def records():
        # TLS sessions only: the AE pskdev registered by dev-psk-1 is a
        # session of its own (docs/radius.md), open until it is deleted.
        return [x for x in fr.detail().split("\n\n") if 'User-Name = "dev-psk-1"' in x and
                'Acct-Session-Id = "ae-' not in x]

    # The sessions of earlier tests first reach the server (the queue may
    # retry): every Start has its Stop and nothing new comes for a while.
    deadline, last, since = time.time() + 10, None, time.time()
    while time.time() < deadline:
        recs = records()
        starts = sum("Acct-Status-Type = Start" in x for x in recs)
        if len(recs) != last:
            last, since = len(recs), time.time()
        elif starts * 2 == len(recs) and time.time() - since > 1.0:
            break
        time.sleep(0.1)
    before = len(records())
    r = cse.psk_request("GET", "/cse-in/pskdev", "dev-psk-1", DEVICE_PSK_HEX, origin="Cpskdev")
    check(r is not None and r.rsc == 2000, "one request in a TLS-PSK session", r)
    deadline = time.time() + 5
    while time.time() < deadline and len(records()) < before + 2:
        time.sleep(0.1)
    new = records()[before:]
    check(len(new) == 2 and "Acct-Status-Type = Start" in new[0] and
          "Acct-Status-Type = Stop" in new[1], "Start and Stop", fr.detail()[-3000:])
    check("Acct-Input-Packets = 1" in new[1] and "Acct-Output-Packets = 1" in new[1] and
          'NAS-Identifier = "/id-in"' in new[1] and
          'Calling-Station-Id = "127.0.0.1"' in new[1], "the request counted", new[1])


def test_servers_down(env):
    opts = dict(env["opts"], radius_auth_servers="127.0.0.1:%d" % free_udp_port())
    with Cse(plugin="cssf", plugin_opts=opts, https=env["https"]) as cse:
        t0 = time.time()
        r = cse.retrieve("/cse-in/alice", origin="Calice", https=True,
                         basic=(USER, USER_PASSWORD))
        check(r.rsc == 4106 and r.json["m2m:dbg"].startswith(
            "credentials of 'alice' refused: RADIUS TIMEOUT"), "fail closed, with the reason", r)
        check(time.time() - t0 < 5, "within the RADIUS timeouts")


def test_radius_basic_off(env):
    opts = {k: v for k, v in env["opts"].items() if k != "radius_basic"}
    with Cse(plugin="cssf", plugin_opts=opts, https=env["https"]) as cse:
        r = cse.retrieve("/cse-in", origin="Calice", https=True, basic=(USER, USER_PASSWORD))
        check(r.rsc == 4106 and "not configured (radius_basic)" in r.json["m2m:dbg"],
              "policy names RADIUS users, the plugin has no RADIUS checks: deny", r)


def main():
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="https-radius-")
    fr = FreeRadius(SECRET).start()
    try:
        env = make_env(tmp, fr)
        with Cse(plugin="cssf", plugin_opts=env["opts"], https=env["https"]) as cse:
            rc = run_tests({k: v for k, v in globals().items()
                            if k.startswith("test_") and v.__code__.co_argcount == 2},
                           env, cse)
            out = cse.read_output()
        check(SECRET not in out and USER_PASSWORD not in out, "no secret in the CSE output")
        rc |= run_tests({k: v for k, v in globals().items()
                         if k.startswith("test_") and v.__code__.co_argcount == 1}, env)
    finally:
        fr.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("https radius: %s (%.1f s)" % ("ok" if rc == 0 else "FAILED", time.time() - started))
    return rc


if __name__ == "__main__":
    sys.exit(main())
