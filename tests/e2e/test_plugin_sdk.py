"""A third party builds a plugin from the installed SDK and the real CSE runs it.

Installs the build into a temporary prefix (cmake --install), compiles
docs/examples/minimal_plugin.c with nothing but `pkg-config --cflags
cse-plugin` from that prefix, checks it exports only the three entry points,
and loads it into the installed onem2m-cse.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import cselib  # noqa: E402
from cselib import Cse, check  # noqa: E402


def run(argv, env=None):
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    check(p.returncode == 0, "command failed: %s" % " ".join(argv), p.stdout)
    return p.stdout


def build_example(prefix):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    cflags = run(["pkg-config", "--cflags", "cse-plugin"], env=env).split()
    check(any(f.startswith("-I" + prefix) for f in cflags), "cflags do not use the prefix", cflags)
    plugindir = run(["pkg-config", "--variable=plugindir", "cse-plugin"], env=env).strip()
    check(os.path.realpath(plugindir) == os.path.realpath(os.path.join(prefix, "lib/cse/plugins")),
          "plugindir", plugindir)
    so = os.path.join(prefix, "minimal_plugin.so")
    src = os.path.join(cselib.SOURCE_DIR, "docs", "examples", "minimal_plugin.c")
    # The installed headers alone must be enough: no -I into the source tree.
    run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra", "-Werror"] + cflags +
        ["-shared", "-o", so, src], env=env)
    exported = run(["nm", "-D", "--defined-only", so]).split("\n")
    names = sorted(line.split()[-1] for line in exported if line.strip())
    names = [n for n in names if n.startswith("cse_")]
    check(names == ["cse_plugin_cleanup", "cse_plugin_init", "cse_plugin_version"],
          "the example must export exactly the three entry points", names)
    return so


def main():
    prefix = tempfile.mkdtemp(prefix="cse-sdk-")
    try:
        run(["cmake", "--install", cselib.BUILD_DIR, "--prefix", prefix])
        for f in ("include/cse/plugin.h", "include/cse/host.h", "lib/pkgconfig/cse-plugin.pc",
                  "bin/onem2m-cse"):
            check(os.path.exists(os.path.join(prefix, f)), "not installed: " + f)
        so = build_example(prefix)

        cselib.CSE_BIN = os.path.join(prefix, "bin", "onem2m-cse")
        cse = Cse(plugin=so, plugin_opts={"blocked": "Cblocked"})
        try:
            cse.start()
            check("minimal_plugin: blocking originator Cblocked" in cse.read_output(),
                  "init did not run with its option", cse.output)
            r = cse.retrieve("/cse-in", origin="Cblocked")
            check(r.status == 403 and r.rsc == 4103, "blocked originator not denied", r)
            check(b"blocked by minimal_plugin" in r.raw, "the plugin's reason is missing", r)
            # Everything else is deferred, and with no other plugin the CSE denies.
            r = cse.retrieve("/cse-in", origin="Cother")
            check(r.status == 403, "an all-DEFER chain must deny", r)
            check(b"minimal_plugin" not in r.raw, "the plugin did not defer", r)
            rc = cse.stop()
            out = cse.read_output()
            check(rc == 0, "onem2m-cse did not exit cleanly", out)
            check("minimal_plugin: denied 1 request(s)" in out, "cleanup did not run at shutdown",
                  out)
        except Exception:
            sys.stderr.write(cse.read_output()[-4000:])
            raise
        finally:
            cse.cleanup()

        # Without its required option the plugin's init fails and start-up stops.
        cse = Cse(plugin=so, expect_start=False)
        try:
            cse.start()
            rc, out = cse.wait_exit()
            check(rc != 0, "start-up must fail", out)
            check("plugin %s: init failed (rc 2)" % so in out, "init failure not reported", out)
        finally:
            cse.cleanup()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
