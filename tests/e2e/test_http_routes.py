#!/usr/bin/env python3
"""Plugin-owned REST endpoints (CSE_EVT_HTTP_ROUTE) through the HTTP binding:
a plugin that answers gets the request (body, method, path) and its answer
goes back with an X-M2M-RSC; a plugin that defers leaves it to oneM2M."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cselib import Cse, check, run_tests  # noqa: E402


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def start(answer):
    work = tempfile.mkdtemp(prefix="cse-e2e-")
    rec = os.path.join(work, "record.jsonl")
    cse = Cse(plugin="plugin_record", workdir=work,
              plugin_opts={"record_file": rec, "answer_http_route": answer})
    return cse.start(), rec


def test_route_answered_by_plugin():
    cse, rec = start("ok")
    try:
        r = cse.request("POST", "/cssf/v1/devices?limit=5", raw_body=b'{"id":"d1"}',
                        headers={"X-M2M-RI": None, "X-M2M-RVI": None})
        check(r.status == 200 and r.rsc == 2000, "plugin's answer with an rsc", r)
        check(r.headers.get("content-type") == "application/json", "plugin's content type", r)
        check(r.json and r.json.get("path") == "/cssf/v1/devices", "plugin's body", r)
        seen = [x for x in records(rec) if x.get("event") == "http_route"]
        check(seen and seen[-1].get("method") == "POST"
              and seen[-1].get("path") == "/cssf/v1/devices", "the plugin saw the route", seen)
    finally:
        cse.cleanup()
        shutil.rmtree(cse.workdir, ignore_errors=True)


def test_route_denied_by_plugin():
    cse, rec = start("deny")
    try:
        r = cse.request("GET", "/cssf/v1/audit", headers={"X-M2M-RI": None})
        check(r.status == 403 and r.rsc == 4103, "a denied route is 403 / 4103", r)
    finally:
        cse.cleanup()
        shutil.rmtree(cse.workdir, ignore_errors=True)


def test_deferred_route_is_onem2m():
    cse, rec = start("defer")
    try:
        r = cse.request("GET", "/cse-in", origin="CAdmin", rqi="d1")
        check(r.rsc is not None and r.headers.get("x-m2m-ri") == "d1",
              "a deferred request is a oneM2M request", r)
        check(not (r.json and "path" in r.json), "not the plugin's answer", r)
        r = cse.request("PATCH", "/cse-in", origin="CAdmin")
        check(r.status == 405 and r.rsc == 4005, "oneM2M errors apply after deferral", r)
    finally:
        cse.cleanup()
        shutil.rmtree(cse.workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
