"""The JSON Schemas under policies/schema accept the shipped policy and every
example, and reject what the plugin's validator rejects (a sample of the
unit-tested cases). Skips when the jsonschema module is not installed."""
import glob
import json
import os
import sys

SOURCE_DIR = os.environ.get("CSE_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
POLICIES = os.path.join(SOURCE_DIR, "policies")

try:
    import jsonschema
except ImportError:
    print("SKIP: python jsonschema module not installed")
    sys.exit(0)


def validator(name):
    with open(os.path.join(POLICIES, "schema", name)) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(v, doc):
    return sorted(e.message for e in v.iter_errors(doc))


def main():
    main_v, acp_v = validator("cssf.schema.json"), validator("acp.schema.json")
    dirs = [POLICIES] + sorted(glob.glob(os.path.join(POLICIES, "examples", "*")))
    assert len(dirs) >= 5, dirs
    for d in dirs:
        with open(os.path.join(d, "cssf.json")) as f:
            doc = json.load(f)
        assert not errors(main_v, doc), (d, errors(main_v, doc))
        for path in sorted(glob.glob(os.path.join(d, "acps", "*.json"))):
            with open(path) as f:
                doc = json.load(f)
            assert not errors(acp_v, doc), (path, errors(acp_v, doc))

    acp = {"rn": "a", "pv": {"acr": []}, "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}

    def with_rule(rule):
        return dict(acp, pv={"acr": [rule]})

    bad_main = [
        {"admns": []},
        {"authentication": "maybe"},
        {"authentication": {"mqtt": "optional"}},
        {"admins": ["a", "a"]},
        {"identities": {"x": []}},
        {"unauthenticated": [{"targets": ["x"]}]},
        {"unauthenticated": [{"operations": ["read"]}]},
        {"audit": {"keep": -1}},
        {"tokens": []},
    ]
    for doc in bad_main:
        assert errors(main_v, doc), ("schema accepts", doc)
    bad_acp = [
        {"acps": []},
        {"pv": {"acr": []}, "pvs": acp["pvs"]},
        dict(acp, rn="a b"),
        dict(acp, parent="/cse-in"),
        dict(acp, pvs={"acr": []}),
        with_rule({"acor": ["C"], "acop": 64}),
        with_rule({"acor": ["C"], "acop": 2.5}),
        with_rule({"acop": 2}),
        with_rule({"acor": ["C"], "acop": 2, "acpo": 1}),
        with_rule({"acor": ["C"], "acop": 2, "acco": [{}]}),
        with_rule({"acor": ["C"], "acop": 2, "acco": [{"actw": ["* * * * *"]}]}),
        with_rule({"acor": ["C"], "acop": 2, "acco": [{"acip": {"ipv4": ["10.0.0.0/33"]}}]}),
        with_rule({"acor": ["C"], "acop": 2,
                   "acco": [{"aclr": {"accc": ["DE"], "accr": [1, 2, 3]}}]}),
        with_rule({"acor": ["C"], "acop": 2, "acco": [{"aclr": {"accc": ["de"]}}]}),
        with_rule({"acor": ["C"], "acop": 1, "acod": [{"chty": [0]}]}),
    ]
    for doc in bad_acp:
        assert errors(acp_v, doc), ("schema accepts", doc)
    print("OK: %d policy directories, %d bad documents rejected" %
          (len(dirs), len(bad_main) + len(bad_acp)))


if __name__ == "__main__":
    main()
