"""CoAP helpers for end-to-end tests: the listening ports a CSE printed, the
project's m2m-coap-client, libcoap's coap-client-openssl/-gnutls as
independent peers, raw CoAP datagrams, and test certificates made with
openssl in a temporary directory (no private key is ever committed)."""
import os
import re
import socket
import struct
import subprocess
import threading
import time

from cselib import BUILD_DIR, check

CLIENT = os.path.join(BUILD_DIR, "tools", "m2m-coap-client")
COAP_RE = re.compile(r"listening on (coaps?)://([0-9.]+):(\d+)")
RESULT_RE = re.compile(r"^code=(\d\.\d\d)(?: rsc=(\d+))? rqi=(\S*)(?: location=(\S+))?")


def coap_ports(cse):
    """{'coap': port, 'coaps': port} from the CSE's start-up lines."""
    return {m.group(1): int(m.group(3)) for m in COAP_RE.finditer(cse.read_output())}


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        first, _, rest = proc.stdout.partition("\n")
        m = RESULT_RE.match(first)
        self.code = m.group(1) if m else None
        self.rsc = int(m.group(2)) if m and m.group(2) else None
        self.rqi = m.group(3) if m else None
        self.location = m.group(4) if m else None
        self.payload = rest.rstrip("\n")

    def __repr__(self):
        return "Result(rc=%s code=%s rsc=%s out=%r err=%r)" % (
            self.rc, self.code, self.rsc, self.stdout[:300], self.stderr[:300])


def client(uri, *args, timeout=20):
    """Runs m2m-coap-client with args and uri."""
    proc = subprocess.run([CLIENT, "--timeout", "500"] + list(args) + [uri],
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc)


def libcoap(flavour, uri, *args, timeout=20):
    """coap-client-<flavour> -v 7: returns its whole output. Its exit code says
    little (0 on failure too), so callers check the printed response line."""
    proc = subprocess.run(["coap-client-" + flavour, "-v", "7", "-B", "1"] + list(args) + [uri],
                          capture_output=True, text=True, timeout=timeout)
    return proc.stdout + proc.stderr


def response_line(output):
    """The response libcoap printed ('v:1 t:ACK c:2.05 ...'), or None."""
    for line in output.splitlines():
        if re.search(r"t:(ACK|CON|NON) c:[2-5]\.\d\d", line):
            return line
    return None


def rsc_hex(rsc):
    """How libcoap prints a oneM2M-RSC option value, e.g. 307:\\x07\\xD0."""
    return "307:" + "".join("\\x%02X" % b for b in struct.pack(">H", rsc))


# --- raw CoAP ---------------------------------------------------------------

def encode(mtype, code, mid, token, options, payload=b""):
    out = bytes([0x40 | mtype << 4 | len(token), code]) + struct.pack(">H", mid) + token
    prev = 0
    for num, val in sorted(options, key=lambda o: o[0]):
        delta, length = num - prev, len(val)
        prev = num

        def nib(v):
            return v if v < 13 else (13 if v < 269 else 14)

        def ext(v):
            return b"" if v < 13 else (bytes([v - 13]) if v < 269 else struct.pack(">H", v - 269))

        out += bytes([nib(delta) << 4 | nib(length)]) + ext(delta) + ext(length) + val
    if payload:
        out += b"\xff" + payload
    return out


def uint(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def decode(data):
    """(type, code 'c.dd', mid, {num: [values]}, payload)."""
    mtype, tkl = (data[0] >> 4) & 3, data[0] & 15
    code = "%d.%02d" % (data[1] >> 5, data[1] & 31)
    mid = struct.unpack(">H", data[2:4])[0]
    pos, num, opts = 4 + tkl, 0, {}
    while pos < len(data) and data[pos] != 0xFF:
        b = data[pos]
        pos += 1
        vals = []
        for nibble in (b >> 4, b & 15):
            if nibble == 13:
                vals.append(13 + data[pos])
                pos += 1
            elif nibble == 14:
                vals.append(269 + struct.unpack(">H", data[pos:pos + 2])[0])
                pos += 2
            else:
                vals.append(nibble)
        num += vals[0]
        opts.setdefault(num, []).append(data[pos:pos + vals[1]])
        pos += vals[1]
    payload = data[pos + 1:] if pos < len(data) else b""
    return mtype, code, mid, opts, payload


def udp_exchange(port, datagram, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(datagram, ("127.0.0.1", port))
        return s.recvfrom(4096)[0], s
    except Exception:
        s.close()
        raise


# --- certificates -----------------------------------------------------------

def make_certs(d, leaves):
    """CA and EC P-256 leaves in d; leaves = {name: san}. Also 'other-ca' and
    a leaf 'stranger' signed by it, for chain failures."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*cmd):
        subprocess.run(cmd, cwd=d, check=True, capture_output=True)

    for ca in ("ca", "other-ca"):
        run("openssl", "req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem",
            "-days", "2", "-subj", "/CN=" + ca)
    all_leaves = dict(leaves)
    all_leaves.setdefault("stranger", "URI:urn:m2m:stranger")
    for name, san in all_leaves.items():
        ca = "other-ca" if name == "stranger" else "ca"
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        run("openssl", "req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + name)
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
            "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
            "-out", name + ".pem")
    return {name: (os.path.join(d, name + ".pem"), os.path.join(d, name + ".key"))
            for name in all_leaves}


def enrol_psk_device(cse, device, aeid):
    """Enrols device through the admin API (as the testbed's claimed admin)
    with PSK identity DEVICE@ex.net; returns the generated key (hex)."""
    r = cse.request("POST", "/cssf/v1/devices", origin="CAdmin", body={
        "id": device, "aeids": [aeid], "credentials": {"psk": {"identity": device + "@ex.net"}}})
    check(r.status == 201, "enrol " + device, r)
    return r.json["credentials"]["psk"]["key"]


class Session:
    """m2m-coap-client repeating one RETRIEVE of /cse-in over a single DTLS-PSK
    session (identity DEVICE@ex.net), every interval_ms; answers are collected
    with their arrival time."""

    def __init__(self, cse, device, key, aeid, repeat, interval_ms):
        port = coap_ports(cse)["coaps"]
        self.proc = subprocess.Popen(
            [CLIENT, "--timeout", "300", "--repeat", str(repeat), "--interval", str(interval_ms),
             "-u", device + "@ex.net", "-k", "0x" + key, "-f", aeid,
             "coaps://127.0.0.1:%d/cse-in" % port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("code="):
                self.lines.append((time.time(), line.strip()))

    def wait_answers(self, n, timeout=15):
        deadline = time.time() + timeout
        while len(self.lines) < n and time.time() < deadline:
            time.sleep(0.02)
        check(len(self.lines) >= n, "session answered %d requests" % n, self.lines)

    def finish(self, timeout=30):
        self.proc.wait(timeout)
        self.reader.join(5)
        return self.proc.returncode, self.proc.stderr.read()
