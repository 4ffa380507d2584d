#!/usr/bin/env python3
"""Computes the RADIUS test vectors of tests/unit/test_radius_packet.c with
Python's hashlib/hmac, independently of the C code (RFC 2865 §3, §5.2;
RFC 2866 §3; RFC 2868 §3.5; RFC 3579 §3.2). Run it to regenerate them."""
import hashlib
import hmac
import struct

SECRET = b"s3cr3t-shared"
RA = bytes(range(16))


def attr(t, v):
    return bytes([t, len(v) + 2]) + v


def u32(t, v):
    return attr(t, struct.pack(">I", v))


def packet(code, ident, auth, attrs):
    return bytes([code, ident]) + struct.pack(">H", 20 + len(attrs)) + auth + attrs


def hide(pw, ra, secret):
    p = pw + b"\0" * (-len(pw) % 16 or (16 if not pw else 0))
    out, prev = b"", ra
    for i in range(0, len(p), 16):
        b = hashlib.md5(secret + prev).digest()
        c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
        out += c
        prev = c
    return out


def tunnel(pw, tag, salt, ra, secret):
    p = bytes([len(pw)]) + pw
    p += b"\0" * (-len(p) % 16)
    out, prev = b"", ra + salt
    for i in range(0, len(p), 16):
        b = hashlib.md5(secret + prev).digest()
        c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
        out += c
        prev = c
    return bytes([tag]) + salt + out


def sign_ma(pkt, key_auth, secret):
    """Fills the Message-Authenticator (the first attribute here)."""
    z = pkt[:4] + key_auth + pkt[20:]
    mac = hmac.new(secret, z, hashlib.md5).digest()
    return pkt[:22] + mac + pkt[38:]


def response(code, ident, req_auth, attrs, key_auth, secret):
    pkt = packet(code, ident, bytes(16), attr(80, bytes(16)) + attrs)
    pkt = sign_ma(pkt, key_auth, secret)
    ra = hashlib.md5(pkt[:4] + req_auth + pkt[20:] + secret).digest()
    return pkt[:4] + ra + pkt[20:]


def c_array(name, b):
    lines = [", ".join("0x%02x" % x for x in b[i:i + 12]) for i in range(0, len(b), 12)]
    return "static const uint8_t %s[] = {\n    %s};\n" % (name, ",\n    ".join(lines))


def main():
    # Access-Request as cssf_radius_msg_access_request lays it out.
    attrs = (attr(80, bytes(16)) + attr(1, b"alice") +
             attr(2, hide(b"correct horse battery", RA, SECRET)) +
             attr(32, b"cssf-test") + attr(31, b"127.0.0.1"))
    req = sign_ma(packet(1, 0x42, RA, attrs), RA, SECRET)
    print(c_array("vec_access_request", req))

    tp = tunnel(b"0123456789abcdef0123456789abcdef", 1, b"\x81\x23", RA, SECRET)
    accept = response(2, 0x42, RA, attr(18, b"hi") + attr(69, tp) + u32(27, 3600) +
                      attr(25, b"cls"), RA, SECRET)
    print(c_array("vec_access_accept", accept))

    in_oct = 5000000000
    attrs = (attr(80, bytes(16)) + u32(40, 2) + attr(44, b"sess-1") + attr(1, b"alice") +
             attr(32, b"cssf-test") + u32(46, 61) + u32(42, in_oct & 0xffffffff) +
             u32(52, in_oct >> 32) + u32(43, 1234) + u32(47, 10) + u32(48, 20) + u32(49, 1))
    acct = sign_ma(packet(4, 0x43, bytes(16), attrs), bytes(16), SECRET)
    acct = acct[:4] + hashlib.md5(acct + SECRET).digest() + acct[20:]
    print(c_array("vec_accounting_request", acct))

    aresp = response(5, 0x43, acct[4:20], b"", bytes(16), SECRET)
    print(c_array("vec_accounting_response", aresp))


if __name__ == "__main__":
    main()
