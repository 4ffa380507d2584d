"""The plugin ABI surface, as the dynamic linker sees it.

onem2m-cse must export exactly the functions declared in include/cse/host.h
(the list in cse/core/host.exports): one missing and a plugin calling it
fails to load; one extra and plugins start depending on internals. The CSSF
plugin must export only its three entry points.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from cselib import BUILD_DIR, CSE_BIN, CSSF_PLUGIN, SOURCE_DIR, check  # noqa: E402

ENTRY_POINTS = {"cse_plugin_version", "cse_plugin_init", "cse_plugin_cleanup"}
# Symbols the toolchain itself puts into every dynamic symbol table.
TOOLCHAIN = {"_init", "_fini", "_edata", "_end", "__bss_start", "_IO_stdin_used"}


def declared_in_host_h():
    with open(os.path.join(SOURCE_DIR, "include", "cse", "host.h")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    return set(re.findall(r"^[A-Za-z_][\w \t*]*?\b(cse_\w+)\s*\(", text, flags=re.M))


def listed_in_exports():
    with open(os.path.join(SOURCE_DIR, "cse", "core", "host.exports")) as f:
        return set(re.findall(r"\b(cse_\w+)\s*;", f.read()))


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    names = set()
    for line in out.splitlines():
        name = line.split()[-1]
        if "@" not in name:  # versioned names are libc copy relocations
            names.add(name)
    return names


def project(names):
    return {n for n in names if n.startswith(("cse_", "cssf_"))}


def sanitized(names):
    return any(n.startswith(("__asan", "__ubsan", "__sanitizer")) for n in names)


def main():
    api = declared_in_host_h()
    check(len(api) >= 5, "could not read the declarations of host.h", api)
    check(api == listed_in_exports(), "host.exports differs from host.h",
          sorted(api ^ listed_in_exports()))

    host = exported(CSE_BIN)
    check(project(host) == api, "onem2m-cse exports differ from host.h",
          "missing: %s" % sorted(api - project(host)),
          "extra: %s" % sorted(project(host) - api))
    if not sanitized(host):  # the sanitizer runtimes export their own API
        check(host - TOOLCHAIN == api, "onem2m-cse exports more than host.h",
              sorted(host - TOOLCHAIN - api))

    plugin = exported(CSSF_PLUGIN)
    check(project(plugin) == ENTRY_POINTS, "cssf.so must export only its entry points",
          sorted(project(plugin)))
    if not sanitized(plugin):
        check(plugin - TOOLCHAIN == ENTRY_POINTS, "cssf.so exports more than its entry points",
              sorted(plugin - TOOLCHAIN - ENTRY_POINTS))
    print("ok: %d host symbols, %s" % (len(api), os.path.relpath(CSE_BIN, BUILD_DIR)))


if __name__ == "__main__":
    main()
