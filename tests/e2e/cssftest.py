"""Helpers for the CSSF plugin's end-to-end tests: policy directories,
AE bodies and the audit log of a running CSE (tests/e2e/cselib.py)."""
import json
import os
import time


def write_policy(root, main=None, acps=None):
    """Writes root/cssf.json (main, a dict) and root/acps/<name> for each
    entry of acps ({name: dict or raw text}). Returns root."""
    os.makedirs(os.path.join(root, "acps"), exist_ok=True)
    with open(os.path.join(root, "cssf.json"), "w") as f:
        json.dump(main if main is not None else {}, f)
    for name in os.listdir(os.path.join(root, "acps")):
        os.unlink(os.path.join(root, "acps", name))
    for name, doc in (acps or {}).items():
        with open(os.path.join(root, "acps", name), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return root


def acp(rn, rules, self_rules=None):
    return {"rn": rn, "pv": {"acr": rules},
            "pvs": {"acr": self_rules or [{"acor": ["CAdmin"], "acop": 63}]}}


def ae(rn, api="Nsensor", acpi=None):
    body = {"rn": rn, "api": api, "rr": False, "srv": ["3"]}
    if acpi is not None:
        body["acpi"] = acpi
    return {"m2m:ae": body}


def audit_lines(cse, name="audit.log"):
    path = os.path.join(cse.workdir, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_audit(cse, pred, timeout=5.0, name="audit.log"):
    """Waits until an audit line satisfies pred; returns it (or raises)."""
    deadline = time.time() + timeout
    while True:
        for line in audit_lines(cse, name):
            if pred(line):
                return line
        if time.time() > deadline:
            raise AssertionError("no matching audit line in:\n" +
                                 "\n".join(json.dumps(l) for l in audit_lines(cse, name)))
        time.sleep(0.05)


def wait_output(cse, text, timeout=5.0):
    deadline = time.time() + timeout
    while text not in cse.read_output():
        if time.time() > deadline:
            raise AssertionError("%r not in output:\n%s" % (text, cse.output[-3000:]))
        time.sleep(0.05)
