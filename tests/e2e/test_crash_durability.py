"""Crash durability: a CREATE answered 201 survives SIGKILL of the CSE.

Eight writer threads create contentInstances in one container for about two
seconds and record every acknowledged (201) resource; the CSE is killed with
SIGKILL while they are still writing, then restarted on the same working
directory. Every acknowledged contentInstance must be retrievable with its
content, and the container's cni must equal the number of its children.
Requests in flight at the kill may or may not have been stored: only
acknowledged ones are asserted.
"""
import http.client
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cselib import Cse, check  # noqa: E402

WRITERS = 8
LOAD_SECONDS = 2.0
ORIGIN = "Ccrash"
CNT = "/cse-in/crash/data"


def setup(cse):
    r = cse.create("/cse-in", 2, {"m2m:ae": {"rn": "crash", "api": "Ncrash", "rr": False,
                                             "srv": ["3"]}}, origin=ORIGIN)
    check(r.status == 201, "AE create", r)
    # A large mni and mbs: nothing may be evicted, so cni counts every CREATE.
    r = cse.create("/cse-in/crash", 3, {"m2m:cnt": {"rn": "data", "mni": 10000000,
                                                    "mbs": 10000000000}}, origin=ORIGIN)
    check(r.status == 201, "container create", r)


def load_and_kill(cse):
    """Writes until SIGKILL; returns {ri: con} of every 201."""
    acked = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            con = "w%d-%d" % (n, i)
            i += 1
            try:
                r = cse.create(CNT, 4, {"m2m:cin": {"con": con}}, origin=ORIGIN, timeout=5)
            except (OSError, http.client.HTTPException):
                continue  # the CSE is gone (or going): not acknowledged
            if r.status == 201 and r.rsc == 2001:
                with lock:
                    acked[r.json["m2m:cin"]["ri"]] = con
            elif not stop.is_set() and cse.proc.poll() is None:
                raise AssertionError("unexpected answer while the CSE runs: %r" % r)

    errors = []

    def run(n):
        try:
            writer(n)
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    with lock:
        before_kill = len(acked)
    cse.kill()  # SIGKILL while the writers are still sending
    stop.set()
    for t in threads:
        t.join(10)
    check(not errors, "writer failed", errors)
    check(before_kill > 0 and len(acked) >= before_kill, "no CREATE acknowledged under load",
          before_kill, len(acked))
    return acked


def verify(cse, acked):
    r = cse.retrieve(CNT, origin=ORIGIN)
    check(r.status == 200, "container lost", r)
    cni = r.json["m2m:cnt"]["cni"]
    r = cse.retrieve(CNT + "?fu=1&ty=4", origin=ORIGIN)
    check(r.status == 200, "discovery failed", r)
    children = {u.rsplit("/", 1)[-1] for u in r.json.get("m2m:uril", [])}
    check(cni == len(children), "cni differs from the number of children", cni, len(children))
    missing = sorted(set(acked) - children)
    check(not missing, "%d acknowledged contentInstances lost" % len(missing), missing[:10])
    # Each acknowledged resource, by its ri, with its content (one
    # keep-alive connection: thousands of requests stay fast).
    conn = http.client.HTTPConnection(cse.host, cse.port, timeout=10)
    try:
        for n, (ri, con) in enumerate(sorted(acked.items())):
            conn.request("GET", "/" + ri, headers={"X-M2M-Origin": ORIGIN, "X-M2M-RI": "v%d" % n,
                                                   "X-M2M-RVI": "3",
                                                   "Accept": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            check(resp.status == 200, "acknowledged %s not retrievable" % ri, resp.status, body)
            check(b'"con":"%s"' % con.encode() in body, "content of %s changed" % ri, con, body)
    finally:
        conn.close()
    return cni


def main():
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="cse-crash-")
    try:
        first = Cse(insecure=True, workdir=workdir)
        with first as cse:
            setup(cse)
            acked = load_and_kill(cse)
        with Cse(insecure=True, workdir=workdir) as cse:
            cni = verify(cse, acked)
        elapsed = time.time() - started
        print("crash durability: %d acknowledged, %d stored after SIGKILL, all present (%.1f s)"
              % (len(acked), cni, elapsed))
        check(elapsed < 20, "test took too long", elapsed)
    finally:
        if os.environ.get("CSE_KEEP_WORKDIR") is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
