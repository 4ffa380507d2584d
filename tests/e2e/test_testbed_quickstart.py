"""docs/quickstart.md works as written: its shell blocks run in order
against `tests/testbed/run.sh --serve` (a copy of docker/ in a temporary
tree, so the enrolment step edits nothing in the repository), and each
prints what the page says it prints. The page's ports (8080, 8443, 5684,
4000) are swapped for free ones, in the commands and in the testbed
(TESTBED_*_PORT), so the test runs beside anything else."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.abspath(os.environ.get("CSE_SOURCE_DIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("CSE_BUILD_DIR") or os.path.join(SOURCE, "build"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "testbed"))
from testbed import as_missing  # noqa: E402

# The page's URL prefixes and the testbed variable that moves each.
PAGE_PORTS = [("http://127.0.0.1:8080", "TESTBED_HTTP_PORT", "tcp"),
              ("https://127.0.0.1:8443", "TESTBED_HTTPS_PORT", "tcp"),
              ("coaps://127.0.0.1:5684", "TESTBED_COAPS_PORT", "udp"),
              ("http://127.0.0.1:4000", "TESTBED_AS_PORT", "tcp")]


def free_port(kind, pair=False):
    """A free loopback port (and the next one too when pair is set)."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET,
                          socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if not pair:
            return port
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
        finally:
            t.close()
    raise RuntimeError("no free port")


def moved(block, env):
    for prefix, var, _ in PAGE_PORTS:
        block = block.replace(prefix, prefix.rsplit(":", 1)[0] + ":" + env[var])
    return block


def tree():
    """A repository root whose docker/ is a fresh copy (no secrets)."""
    root = tempfile.mkdtemp(prefix="cssf-quickstart-")
    os.symlink(BUILD, os.path.join(root, "build"))
    for name in ("tests", "policies", "cse.ini.example"):
        os.symlink(os.path.join(SOURCE, name), os.path.join(root, name))
    shutil.copytree(os.path.join(SOURCE, "docker"), os.path.join(root, "docker"),
                    ignore=shutil.ignore_patterns("node_modules", "psk_*", "radius_*", "as_*",
                                                  "cse_tls_*", "testbed_ca"))
    return root


class Serve:
    def __init__(self, root, ports):
        self.root = root
        self.ports = ports
        self.out = os.path.join(root, "serve.out")

    def __enter__(self):
        env = {k: v for k, v in os.environ.items() if k != "CSE_SOURCE_DIR"}
        env["CSE_BUILD_DIR"] = BUILD
        env.update(self.ports)
        self.proc = subprocess.Popen(["sh", "tests/testbed/run.sh", "--serve"], cwd=self.root,
                                     env=env, stdout=open(self.out, "w"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            text = open(self.out).read()
            if "testbed: running" in text:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("the testbed did not start:\n" + open(self.out).read()[-3000:])

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)
        text = open(self.out).read()
        m = re.search(r"testbed: stopped; (\S+) kept", text)
        if m and m.group(1).startswith(tempfile.gettempdir()):
            shutil.rmtree(m.group(1), ignore_errors=True)


def run(root, script):
    p = subprocess.run(["bash", "-c", "set -u\n" + script], cwd=root, capture_output=True,
                       text=True, timeout=60)
    return p.stdout + p.stderr


def expect(text, *patterns):
    for pat in patterns:
        if not re.search(pat, text):
            raise AssertionError("%r not in the output:\n%s" % (pat, text[-3000:]))


def main():
    why = as_missing()
    if why:
        print("quickstart: skipped: %s" % why)
        return 0
    ports = {var: str(free_port(kind)) for _, var, kind in PAGE_PORTS}
    ports["TESTBED_RADIUS_PORT"] = str(free_port("udp", pair=True))
    with open(os.path.join(SOURCE, "docs", "quickstart.md")) as f:
        page = f.read()
    for prefix, _, _ in PAGE_PORTS:
        assert prefix in page, prefix
    blocks = [moved(b, ports) for b in re.findall(r"```sh\n(.*?)```", page, re.S)]
    # 0 the two commands, 1 serve, 2 CoAP requests, 3 token, 4 refusals,
    # 5 cssfctl device add, 6 the new sensor and its suspension, 7 docker.
    assert len(blocks) == 8 and "--serve" in blocks[1] and "docker-compose" in blocks[7], blocks
    root = tree()
    try:
        with Serve(root, ports):
            out = run(root, blocks[2] + "\n" + blocks[3] + "\necho ----\n" + blocks[4])
            expect(out, r"code=2\.01 rsc=2001 .*location=/cse-in/my-sensor\n",
                   r"location=/cse-in/my-sensor/temperature/cin", r"code=2\.05 rsc=2000",
                   r'"con":"21\.5"', r'"aei":"Csensor-http-1"', r"code=4\.03 rsc=4106",
                   r"dtls handshake failed", r"X-M2M-RSC: 4107", r"X-M2M-RSC: 4103",
                   r'error="invalid_token"')
            out = run(root, blocks[5])
            expect(out, r"device sensor-2 enrolled", r"psk key: +[0-9a-f]{64}")
            key = re.search(r"psk key: +([0-9a-f]{64})", out).group(1)
            prefix = blocks[2].split("\n# register")[0]  # the variables the page set before
            env = blocks[5].split("\n./build")[0]        # the cssfctl settings
            new = re.sub(r"KEY2=0x[0-9a-f]{64}", "KEY2=0x" + key, blocks[6])
            assert "KEY2=0x" + key in new, blocks[6]
            out = run(root, prefix + "\n" + env + "\n" + new)
            expect(out, r"code=2\.01 rsc=2001 .*location=/cse-in/sensor-2",
                   r"dtls handshake failed", r"sensor-2 +suspended")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("quickstart: every command of docs/quickstart.md worked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
