"""Plain CoAP (coap://) through the real CSE: the oneM2M options mapped to
the pipeline and back, duplicate message IDs answered once without a second
CREATE, unknown critical options, oversized messages, Block2 and Block1
transfers, and libcoap's client as an independent peer.
The CSE runs with the allow-all test plugin and [coap] plain = 1."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cselib import Cse, check  # noqa: E402
import coaplib  # noqa: E402
from coaplib import client, encode, decode, uint  # noqa: E402

ORIGIN = "Cplain"


def setup(base):
    r = client(base + "/cse-in", "-f", ORIGIN, "-t", "2", "-d",
               json.dumps({"m2m:ae": {"rn": "pae", "api": "Nplain", "rr": False, "srv": ["3"]}}))
    check(r.rc == 0 and r.code == "2.01" and r.rsc == 2001, "AE CREATE over CoAP", r)
    check(r.location == "/cse-in/pae", "Location-Path of the AE", r)
    check(json.loads(r.payload)["m2m:ae"]["aei"] == ORIGIN, "AE body", r)
    r = client(base + "/cse-in/pae", "-f", ORIGIN, "-t", "3", "-d",
               json.dumps({"m2m:cnt": {"rn": "box"}}), "--rqi", "my-rqi-1")
    check(r.rc == 0 and r.rsc == 2001 and r.rqi == "my-rqi-1", "container CREATE, RQI echoed", r)


def test_retrieve_and_errors(base):
    r = client(base + "/cse-in/pae/box", "-f", ORIGIN)
    check(r.rc == 0 and r.code == "2.05" and r.rsc == 2000, "RETRIEVE", r)
    check(json.loads(r.payload)["m2m:cnt"]["rn"] == "box", "container body", r)
    r = client(base + "/cse-in/pae/nothing", "-f", ORIGIN)
    check(r.rc == 1 and r.code == "4.04" and r.rsc == 4004, "missing resource: 4.04, exit 1", r)
    r = client(base + "/cse-in?fu=1&ty=3", "-f", ORIGIN)
    check(r.rc == 0 and "cse-in/pae/box" in r.payload, "discovery through Uri-Query", r)
    r = client(base + "/cse-in?rcn=99", "-f", ORIGIN)
    check(r.code == "4.00" and r.rsc == 4000, "bad query value", r)
    r = client(base + "/cse-in", "-f", ORIGIN, "-O", "355,0x01")
    check(r.code == "4.02" and r.rsc == 4000 and "355" in r.payload, "unknown critical option", r)
    r = client(base + "/cse-in", "-f", ORIGIN, "--accept", "60")
    check(r.code == "4.06", "Accept cbor", r)
    r = client(base + "/cse-in/pae/box", "-X", "PUT", "-f", ORIGIN, "--cf", "0", "-d", "x")
    check(r.code == "4.15" and r.rsc == 4015, "text/plain body", r)


def test_duplicate_mid(port):
    """The same CON twice: one contentInstance, the same response bytes."""
    def cni():
        r = client("coap://127.0.0.1:%d/cse-in/pae/box" % port, "-f", ORIGIN)
        return json.loads(r.payload)["m2m:cnt"]["cni"]

    before = cni()
    body = json.dumps({"m2m:cin": {"con": "once"}}).encode()
    opts = [(11, b"cse-in"), (11, b"pae"), (11, b"box"), (279, ORIGIN.encode()),
            (283, b"dup-1"), (267, uint(4)), (12, uint(50))]
    dgram = encode(0, 2, 0x4242, b"\x01\x02", opts, body)
    first, s = coaplib.udp_exchange(port, dgram)
    try:
        s.sendto(dgram, ("127.0.0.1", port))
        second = s.recvfrom(4096)[0]
    finally:
        s.close()
    mtype, code, mid, ropts, _ = decode(first)
    check(mtype == 2 and mid == 0x4242 and code == "2.01", "piggybacked ACK", decode(first))
    check(ropts.get(307) == [uint(2001)] and ropts.get(283) == [b"dup-1"], "RSC and RQI", ropts)
    check(second == first, "duplicate answered with the same bytes", first, second)
    check(cni() == before + 1, "one contentInstance for two copies", before)


def test_oversized_and_malformed(port):
    dgram = encode(0, 3, 7, b"", [(11, b"cse-in"), (283, b"big")], b"x" * 1300)
    reply, s = coaplib.udp_exchange(port, dgram)
    s.close()
    _, code, mid, opts, _ = decode(reply)
    check(code == "4.13" and mid == 7 and opts.get(60) == [uint(1152)], "4.13 with Size1", code)
    reply, s = coaplib.udp_exchange(port, bytes([0x40, 0x01, 0x00, 0x09, 0xF0]))
    s.close()
    check(reply == bytes([0x70, 0x00, 0x00, 0x09]), "format error: RST", reply)
    # garbage and a non-confirmable format error get no answer, and the CSE lives on
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        for junk in (b"\x00", b"\x80\x01\x00\x01", bytes([0x50, 0x01, 0, 1, 0xF0])):
            s.sendto(junk, ("127.0.0.1", port))
        try:
            got = s.recvfrom(4096)
            check(False, "no answer to garbage", got)
        except socket.timeout:
            pass
    finally:
        s.close()


def test_blockwise(base):
    con = "".join(chr(ord("a") + i % 26) for i in range(5000))
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "coap-cin-%d.json" % os.getpid())
    with open(path, "w") as f:
        json.dump({"m2m:cin": {"con": con}}, f)
    try:
        r = client(base + "/cse-in/pae/box", "-v", "-f", ORIGIN, "-t", "4", "-d", "@" + path)
    finally:
        os.unlink(path)
    check(r.rc == 0 and r.rsc == 2001, "Block1 CREATE of a large contentInstance", r)
    r = client(base + "/cse-in/pae/box/la", "-v", "-f", ORIGIN)
    check(r.rc == 0 and json.loads(r.payload)["m2m:cin"]["con"] == con, "Block2 RETRIEVE", r)
    check(" blocks=" in r.stdout and int(r.stdout.split("blocks=")[1].split()[0]) >= 5,
          "several blocks", r.stdout[:200])
    r = client(base + "/cse-in/pae/box/la", "-v", "--block", "64", "-f", ORIGIN)
    check(r.rc == 0 and int(r.stdout.split("blocks=")[1].split()[0]) > 70, "64-byte blocks", r)


def test_libcoap_peer(port):
    out = coaplib.libcoap("openssl", "coap://127.0.0.1:%d/cse-in/pae/box" % port,
                          "-O", "279,%s" % ORIGIN, "-O", "283,lc-1")
    line = coaplib.response_line(out)
    check(line and "c:2.05" in line and coaplib.rsc_hex(2000) in line,
          "libcoap GET answered 2.05 with oneM2M-RSC", out[-1500:])


def main():
    started = time.time()
    with Cse(plugin="plugin_allow_all", sections={"coap": {"plain": 1, "port": 0}}) as cse:
        port = coaplib.coap_ports(cse)["coap"]
        base = "coap://127.0.0.1:%d" % port
        setup(base)
        test_retrieve_and_errors(base)
        test_duplicate_mid(port)
        test_oversized_and_malformed(port)
        test_blockwise(base)
        test_libcoap_peer(port)
        check("coaps" not in coaplib.coap_ports(cse), "DTLS off unless asked for")
    print("coap plain: ok (%.1f s)" % (time.time() - started))


if __name__ == "__main__":
    main()
