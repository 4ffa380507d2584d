"""The newcomer's documentation stays true: docs/configuration.md names
every INI key of cse/core/config.c (in its section), every option the CSSF
plugin accepts and every field of the policy schemas; every relative link
and image in README.md and docs/*.md resolves; every diagram source
docs/images/*.dot has its rendered PNG."""
import json
import os
import re
import sys
import unittest

SOURCE = os.path.abspath(os.environ.get("CSE_SOURCE_DIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(SOURCE, "docs")


def read(*parts):
    with open(os.path.join(SOURCE, *parts)) as f:
        return f.read()


def sections(md):
    """{'## heading': text until the next ## heading}."""
    out, cur = {}, None
    for line in md.splitlines():
        if line.startswith("## "):
            cur = line[3:].strip()
            out[cur] = ""
        elif cur:
            out[cur] += line + "\n"
    return out


def schema_names(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out.update(v.keys())
            schema_names(v, out)
    elif isinstance(node, list):
        for v in node:
            schema_names(v, out)
    return out


class Configuration(unittest.TestCase):
    def setUp(self):
        self.doc = read("docs", "configuration.md")
        self.sec = sections(self.doc)

    def test_every_ini_key_in_its_section(self):
        table = re.findall(r'\{"(\w+)", "(\w+)", T_\w+', read("cse", "core", "config.c"))
        self.assertGreater(len(table), 20)
        missing = [s + "." + k for s, k in table
                   if "| `%s` |" % k not in self.sec.get("[%s]" % s, "")]
        self.assertEqual(missing, [], "document these keys in docs/configuration.md")

    def test_every_plugin_option(self):
        opts = read("plugin", "cssf_options.c")
        known = re.search(r'#define KNOWN_KEYS((?:\s|\\|"[^"]*")+)', opts).group(1)
        names = re.findall(r"(\w+)", "".join(re.findall(r'"([^"]*)"', known)))
        aaa_path = os.path.join(SOURCE, "plugin", "aaa", "aaa_config.c")
        if os.path.exists(aaa_path):
            names += ["radius_" + k for k in
                      re.findall(r'!strcmp\(k, "(\w+)"\)', read("plugin", "aaa", "aaa_config.c"))]
        plugin = self.sec.get("[plugin]", "")
        missing = [n for n in names if "| `%s` |" % n not in plugin]
        self.assertEqual(missing, [], "document these [plugin] options in docs/configuration.md")

    def test_every_policy_field(self):
        names = set()
        for f in ("cssf.schema.json", "acp.schema.json"):
            with open(os.path.join(SOURCE, "policies", "schema", f)) as fh:
                schema_names(json.load(fh), names)
        policy = self.sec.get("The policy directory", "")
        missing = sorted(n for n in names if "`%s" % n not in policy and ".%s`" % n not in policy)
        self.assertEqual(missing, [], "document these policy fields in docs/configuration.md")


class Links(unittest.TestCase):
    def test_links_and_images_resolve(self):
        files = [os.path.join(SOURCE, "README.md")] + [
            os.path.join(DOCS, f) for f in os.listdir(DOCS) if f.endswith(".md")]
        broken = []
        for path in files:
            with open(path) as f:
                text = f.read()
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue
                rel = target.split("#")[0]
                if not os.path.exists(os.path.join(os.path.dirname(path), rel)):
                    broken.append("%s: %s" % (os.path.relpath(path, SOURCE), target))
        self.assertEqual(broken, [])

    def test_diagrams_rendered(self):
        images = os.path.join(DOCS, "images")
        for f in os.listdir(images):
            if f.endswith(".dot"):
                png = os.path.join(images, f[:-4] + ".png")
                self.assertTrue(os.path.exists(png), "render %s: dot -Tpng %s -o %s" % (f, f, png))
                with open(png, "rb") as fh:
                    self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n", png)

    def test_index_lists_every_page(self):
        index = read("docs", "README.md")
        pages = [f for f in os.listdir(DOCS) if f.endswith(".md") and f != "README.md"]
        self.assertEqual([p for p in pages if "(%s)" % p not in index], [],
                         "add these pages to docs/README.md")


if __name__ == "__main__":
    unittest.main(verbosity=2)
