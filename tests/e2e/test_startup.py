#!/usr/bin/env python3
"""onem2m-cse start-up, command line, signals and shutdown, run for real."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cselib import CSE_BIN, LISTEN_RE, Cse, check, run_tests  # noqa: E402


def run_cli(*args, timeout=10):
    p = subprocess.run([CSE_BIN] + list(args), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def failed_start(**kw):
    """Starts a CSE that is expected to exit; returns (rc, output)."""
    cse = Cse(expect_start=False, **kw)
    try:
        cse.start()
        return cse.wait_exit()
    finally:
        cse.cleanup()


def wait_for(pred, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_version_and_help():
    rc, out, _ = run_cli("--version")
    check(rc == 0 and re.match(r"onem2m-cse \d+\.\d+\.\d+\n$", out), "--version", rc, out)
    rc, out, _ = run_cli("--help")
    check(rc == 0 and "--check-policies" in out and "--insecure" in out, "--help", rc, out)


def test_bad_command_line():
    for args in (["--no-such-option"], ["--config"], ["extra-argument"]):
        rc, out, err = run_cli(*args)
        check(rc == 2 and "usage:" in err, "usage error exits 2", args, rc, err)


def test_listening_line_and_sigterm():
    """Exactly one stdout line with the real port; SIGTERM exits 0."""
    work = tempfile.mkdtemp(prefix="cse-e2e-")
    cfg = os.path.join(work, "cse.ini")
    with open(cfg, "w") as f:
        f.write("[http]\nlisten = 127.0.0.1\nport = 0\n[store]\npath = %s\n"
                % os.path.join(work, "cse.db"))
    with open(os.path.join(work, "err.log"), "w+") as errf:
        p = subprocess.Popen([CSE_BIN, "--config", cfg, "--insecure"], stdout=subprocess.PIPE,
                             stderr=errf, text=True, cwd=work)
        try:
            line = p.stdout.readline()
            m = LISTEN_RE.search(line)
            check(m and line == "onem2m-cse: listening on http://127.0.0.1:%s\n" % m.group(2),
                  "listening line", line)
            port = int(m.group(2))
            check(port != 0, "a real port is printed", line)
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            p.send_signal(signal.SIGTERM)
            rest = p.stdout.read()
            rc = p.wait(10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        errf.seek(0)
        log = errf.read()
    shutil.rmtree(work, ignore_errors=True)
    check(rc == 0, "SIGTERM exits 0", rc, log)
    check(rest == "", "nothing else on stdout", rest)
    check("stopped" in log, "shutdown is logged", log)


def test_ipv6_single_thread():
    with Cse(insecure=True, sections={"http": {"listen": "::1", "threads": 1}}) as cse:
        check(re.search(r"listening on http://\[::1\]:\d+", cse.output), "IPv6 URL", cse.output)
        r = cse.retrieve("/cse-in")
        check(r.status == 200 and r.rsc == 2000, "served over IPv6", r)


def test_sigterm_under_write_load():
    """SIGTERM while CREATEs are in flight: clean exit, and every CREATE that
    was acknowledged is there after a restart."""
    import threading
    work = tempfile.mkdtemp(prefix="cse-e2e-")
    cse = Cse(insecure=True, workdir=work).start()
    acked = []
    try:
        r = cse.create("/cse-in", 2, {"m2m:ae": {"rn": "loadAE", "api": "Nload", "rr": False,
                                                  "srv": ["3"]}}, origin="Cload")
        check(r.status == 201, "AE", r)
        r = cse.create("/cse-in/loadAE", 3, {"m2m:cnt": {"rn": "cnt"}})
        check(r.status == 201, "container", r)

        def writer():
            while True:
                try:
                    r = cse.create("/cse-in/loadAE/cnt", 4, {"m2m:cin": {"con": "x"}}, timeout=5)
                except OSError:
                    return
                if r.status != 201:
                    return
                acked.append(1)

        threads = [threading.Thread(target=writer) for _ in range(8)]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) > 50)
        cse.signal(signal.SIGTERM)
        rc, out = cse.wait_exit()
        for t in threads:
            t.join(10)
        check(rc == 0, "SIGTERM under load exits 0", rc, out[-3000:])
    finally:
        cse.stop()
    with Cse(insecure=True, workdir=work) as again:
        r = again.retrieve("/cse-in/loadAE/cnt")
        check(r.status == 200 and r.json["m2m:cnt"]["cni"] >= len(acked),
              "every acknowledged CREATE survived (%d)" % len(acked), r)
    shutil.rmtree(work, ignore_errors=True)


def test_sigint_clean_exit():
    cse = Cse(insecure=True).start()
    try:
        cse.signal(signal.SIGINT)
        rc, out = cse.wait_exit()
        check(rc == 0, "SIGINT exits 0", rc, out)
    finally:
        cse.cleanup()


def test_refuses_without_plugin():
    rc, out = failed_start()
    check(rc == 1, "no plugin and no --insecure: refuses", rc, out)
    check("--insecure" in out and not LISTEN_RE.search(out), "says why, never listens", out)


def test_insecure_warns_at_start():
    with Cse(insecure=True) as cse:
        out = cse.read_output()
        check(re.search(r" warn insecure: running without a security plugin", out),
              "start-up warning", out)


def test_bad_config_names_key():
    rc, out = failed_start(insecure=True, sections={"http": {"port": "not-a-port"}})
    check(rc == 2, "a bad value exits 2", rc, out)
    check("port" in out, "the message names the key", out)


def test_missing_config_file():
    rc, out, err = run_cli("--config", "/nonexistent/cse.ini", "--insecure")
    check(rc == 2 and "/nonexistent/cse.ini" in err, "missing file exits 2", rc, err)


def test_plugin_load_failure():
    rc, out = failed_start(plugin="/nonexistent/plugin.so")
    check(rc == 1 and "/nonexistent/plugin.so" in out, "missing plugin exits 1", rc, out)
    rc, out = failed_start(plugin="plugin_init_fails")
    check(rc == 1 and "plugin" in out and not LISTEN_RE.search(out),
          "failing plugin init exits 1", rc, out)


def test_port_in_use():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        rc, out = failed_start(insecure=True, sections={"http": {"port": busy.getsockname()[1]}})
        check(rc == 1 and "listen" in out, "port in use exits 1 with a message", rc, out)
    finally:
        busy.close()


def records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_sighup_reloads_plugin():
    for answer, expect in (("ok", "reload: done"), ("deny", "reload: refused")):
        work = tempfile.mkdtemp(prefix="cse-e2e-")
        rec = os.path.join(work, "record.jsonl")
        opts = {"record_file": rec, "answer_reload": answer}
        with Cse(plugin="plugin_record", plugin_opts=opts, workdir=work) as cse:
            cse.signal(signal.SIGHUP)
            check(wait_for(lambda: expect in cse.read_output()), "SIGHUP → " + expect,
                  cse.output[-2000:])
            check(any(r.get("event") == "reload" for r in records(rec)),
                  "the plugin saw RELOAD", records(rec))
            check(cse.proc.poll() is None, "still running after SIGHUP")
            r = cse.retrieve("/cse-in")
            check(r.rsc is not None, "still serving after SIGHUP", r)
            rc = cse.stop()
            check(rc == 0, "clean exit", rc)
        events = [r.get("event") for r in records(rec)]
        shutil.rmtree(work, ignore_errors=True)
        check(events and events[-1] == "cleanup", "plugin cleaned up at shutdown", events)


def test_check_policies():
    work = tempfile.mkdtemp(prefix="cse-e2e-")
    rec = os.path.join(work, "record.jsonl")
    cse = Cse(plugin="plugin_record", plugin_opts={"record_file": rec}, workdir=work,
              args=["--check-policies", "/some/policy/dir"], expect_start=False)
    try:
        cse.start()
        rc, out = cse.wait_exit()
    finally:
        cse.cleanup()
    check(rc == 0 and not LISTEN_RE.search(out), "valid policies: exit 0, no server", rc, out)
    init = [r for r in records(rec) if r.get("event") == "init"]
    check(init and init[0].get("options", {}).get("check_policies") == "/some/policy/dir",
          "the plugin got check_policies=DIR", records(rec))
    leftover = os.path.exists(os.path.join(work, "cse.db"))
    shutil.rmtree(work, ignore_errors=True)
    check(not leftover, "a check leaves no database")

    rc, out = failed_start(plugin="plugin_init_fails", args=["--check-policies", "/x"])
    check(rc == 1, "invalid policies: exit 1", rc, out)


def main():
    return run_tests(globals())


if __name__ == "__main__":
    sys.exit(main())
