#!/usr/bin/env python3
"""TS-0009 HTTP binding against the real onem2m-cse over real sockets:
echoed headers, X-M2M-RSC on every response, method/media-type errors and
the size limits (413, 431)."""
import http.client
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check, run_tests  # noqa: E402

MAX_BODY = 4000
MAX_HEADER = 3000
SECTIONS = {"http": {"max_body": MAX_BODY, "max_header": MAX_HEADER}}


def raw_exchange(cse, data, timeout=5):
    """Sends raw bytes, returns everything the server answered until it
    closed the connection or went quiet."""
    s = socket.create_connection((cse.host, cse.port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode("latin-1")
    finally:
        s.close()


def header_of(raw, name):
    for line in raw.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def check_status(r, status, rsc):
    check(r.status == status and r.rsc == rsc,
          "expected HTTP %d / rsc %d" % (status, rsc), r)


def test_retrieve_echoes_headers(cse):
    for rvi in ("2a", "3", "4", "5"):
        r = cse.retrieve("/cse-in", rvi=rvi, rqi="req-" + rvi)
        check_status(r, 200, 2000)
        check(r.headers.get("x-m2m-ri") == "req-" + rvi, "X-M2M-RI echoed", r)
        check(r.headers.get("x-m2m-rvi") == rvi, "X-M2M-RVI echoed", r)
        check(r.headers.get("content-type", "").startswith("application/json"),
              "JSON content type", r)
        check(r.json and "m2m:cb" in r.json, "CSEBase body", r)
        check(int(r.headers["content-length"]) == len(r.raw), "Content-Length", r)


def test_vnd_content_types_accepted(cse):
    r = cse.request("GET", "/cse-in", origin="CAdmin",
                    headers={"Accept": "application/vnd.onem2m-res+json"})
    check_status(r, 200, 2000)


def test_unsupported_release(cse):
    r = cse.retrieve("/cse-in", rvi="1", rqi="old")
    check_status(r, 400, 4000)
    check(r.headers.get("x-m2m-ri") == "old", "RI echoed on errors", r)
    check("x-m2m-rvi" not in r.headers, "an unsupported RVI is not echoed", r)
    check("X-M2M-RVI" in r.json["m2m:dbg"], "reason names the header", r)


def test_missing_request_identifier(cse):
    r = cse.request("GET", "/cse-in", origin="CAdmin", headers={"X-M2M-RI": None})
    check_status(r, 400, 4000)
    check("X-M2M-RI" in r.json["m2m:dbg"], "reason names the header", r)


def test_method_not_allowed(cse):
    for method in ("PATCH", "OPTIONS"):
        r = cse.request(method, "/cse-in", origin="CAdmin", rqi="m1")
        check_status(r, 405, 4005)
        check(r.headers.get("allow") == "GET, POST, PUT, DELETE", "Allow header", r)
        check(r.headers.get("x-m2m-ri") == "m1", "RI echoed", r)
    r = cse.request("HEAD", "/cse-in", origin="CAdmin")
    check_status(r, 405, 4005)


def test_unsupported_media_type(cse):
    for ct in ("text/plain", "application/xml", "application/vnd.onem2m-res+cbor"):
        r = cse.request("POST", "/cse-in", raw_body=b"{}", ty=2, content_type=ct,
                        origin="CAdmin")
        check_status(r, 415, 4015)
    r = cse.request("PUT", "/cse-in", raw_body=b"{}", origin="CAdmin",
                    headers={"Content-Type": None})
    check_status(r, 415, 4015)


def test_bad_ty_in_content_type(cse):
    r = cse.request("POST", "/cse-in", raw_body=b"{}", origin="CAdmin",
                    headers={"Content-Type": "application/json;ty=x"})
    check_status(r, 400, 4000)


def test_not_acceptable(cse):
    r = cse.request("GET", "/cse-in", origin="CAdmin", headers={"Accept": "application/xml"})
    check_status(r, 406, 5207)


def test_bad_query_names_parameter(cse):
    for q in ("rcn=99", "fu=7", "lim=-1", "ty=abc", "crb=yesterday", "rcn=1&rcn=2"):
        r = cse.retrieve("/cse-in?" + q)
        check_status(r, 400, 4000)
        name = q.split("=")[0]
        check(name in r.json["m2m:dbg"], "reason names " + name, r)


def test_not_found_has_rsc(cse):
    r = cse.retrieve("/cse-in/no-such-resource-here")
    check_status(r, 404, 4004)


def test_create_sets_content_location(cse):
    body = {"m2m:ae": {"rn": "httpAE", "api": "Nhttp.test", "rr": False, "srv": ["3"]}}
    r = cse.create("/cse-in", 2, body, origin="Chttp-binding-ae")
    check_status(r, 201, 2001)
    check(r.headers.get("content-location"), "Content-Location on CREATE", r)
    r = cse.create("/cse-in", 2, body, origin="Chttp-binding-ae",
                   content_type="application/vnd.onem2m-res+json")
    check(r.rsc is not None and r.status != 415, "vnd.onem2m-res+json accepted", r)


def test_body_too_large_content_length(cse):
    body = b'{"m2m:ae":{"rn":"' + b"x" * MAX_BODY + b'"}}'
    r = cse.request("POST", "/cse-in", raw_body=body, ty=2, origin="CAdmin", rqi="big1")
    check_status(r, 413, 4000)
    check(r.headers.get("x-m2m-ri") == "big1", "RI echoed on 413", r)


def test_body_at_limit_is_read(cse):
    body = b'{"m2m:dbg":"' + b"x" * (MAX_BODY - 15) + b'"}'
    check(len(body) == MAX_BODY - 1, "test body size")
    r = cse.request("PUT", "/cse-in", raw_body=body, origin="CAdmin")
    check(r.status != 413 and r.rsc is not None, "a body within the limit is processed", r)


def test_body_too_large_chunked(cse):
    chunk = b"y" * 1000
    req = (b"POST /cse-in HTTP/1.1\r\nHost: x\r\nX-M2M-RI: chunky\r\nX-M2M-Origin: CAdmin\r\n"
           b"Content-Type: application/json;ty=2\r\nTransfer-Encoding: chunked\r\n"
           b"Connection: close\r\n\r\n")
    for _ in range(MAX_BODY // 1000 + 2):
        req += b"%x\r\n%s\r\n" % (len(chunk), chunk)
    req += b"0\r\n\r\n"
    raw = raw_exchange(cse, req)
    check(raw.startswith("HTTP/1.1 413"), "chunked body over the limit → 413", raw[:300])
    check(header_of(raw, "X-M2M-RSC") == "4000", "413 carries X-M2M-RSC", raw[:300])
    check(header_of(raw, "X-M2M-RI") == "chunky", "413 echoes RI", raw[:300])


def test_headers_too_large(cse):
    r = cse.retrieve("/cse-in", rqi="h1", headers={"X-Padding": "p" * MAX_HEADER})
    check_status(r, 431, 4000)
    check(r.headers.get("x-m2m-ri") == "h1", "RI echoed on 431", r)


def test_headers_near_limit_accepted(cse):
    pad = "p" * (MAX_HEADER - 300)  # the other request headers take < 300 bytes
    r = cse.retrieve("/cse-in", headers={"X-Padding": pad})
    check_status(r, 200, 2000)
    body = b'{"m2m:dbg":"' + b"x" * (MAX_BODY - 15) + b'"}'
    r = cse.request("PUT", "/cse-in", raw_body=body, origin="CAdmin",
                    headers={"X-Padding": pad})
    check(r.status not in (413, 431) and r.rsc is not None,
          "large headers and a body at the limit fit the connection memory", r)


def test_keep_alive(cse):
    conn = http.client.HTTPConnection(cse.host, cse.port, timeout=5)
    try:
        for i in range(3):
            conn.request("GET", "/cse-in", headers={"X-M2M-RI": "ka%d" % i,
                                                    "X-M2M-Origin": "CAdmin"})
            resp = conn.getresponse()
            resp.read()
            check(resp.status == 200 and resp.getheader("X-M2M-RI") == "ka%d" % i,
                  "request %d on one connection" % i)
            check((resp.getheader("Connection") or "").lower() != "close",
                  "connection stays open", resp.getheaders())
        # An error does not cost the connection either.
        conn.request("PATCH", "/cse-in", headers={"X-M2M-RI": "ka-err"})
        resp = conn.getresponse()
        resp.read()
        check(resp.status == 405, "error on a kept-alive connection")
        conn.request("GET", "/cse-in", headers={"X-M2M-RI": "ka-after", "X-M2M-Origin": "CAdmin"})
        resp = conn.getresponse()
        resp.read()
        check(resp.status == 200, "connection usable after an error")
    finally:
        conn.close()


def test_insecure_warns_per_request(cse):
    cse.retrieve("/cse-in", rqi="warn-me")
    out = cse.read_output()
    check(any("insecure" in line and "rqi=warn-me" in line for line in out.splitlines()),
          "a warning line for the request", out[-2000:])


def main():
    with Cse(insecure=True, sections=SECTIONS) as cse:
        rc = run_tests(globals(), cse)
        code = cse.stop()
        if code != 0:
            print("FAIL onem2m-cse exited with %s:\n%s" % (code, cse.read_output()[-3000:]))
            rc = 1
        return rc


if __name__ == "__main__":
    sys.exit(main())
