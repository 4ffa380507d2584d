"""Checks of the docker testbed that need no docker engine: the compose file
validates (docker-compose config -q), the Dockerfile passes dockerfilelint
(pinned in docker/lint) and the project's rules (multi-stage, non-root,
health check, no secrets in images), every mounted file lives in docker/,
the FreeRADIUS configuration renders and checks, and the runtime image's
package list (tools/install-deps.sh --runtime) covers every shared library
the built programs load."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.path.abspath(os.environ.get("CSE_SOURCE_DIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("CSE_BUILD_DIR") or os.path.join(SOURCE, "build"))
DOCKER = os.path.join(SOURCE, "docker")
COMPOSE = os.path.join(DOCKER, "docker-compose.yml")
DOCKERFILE = os.path.join(DOCKER, "Dockerfile")


def read(path):
    with open(path) as f:
        return f.read()


def stages(text):
    """{stage name: [instruction lines]} with continuation lines joined."""
    out, name = {}, None
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            name = m.group(2) or m.group(1)
            out[name] = [line]
        elif name:
            out[name].append(line)
    return out


class ComposeFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        """One `docker-compose config` (slow to start): it validates the
        file like `config -q` and prints it resolved."""
        exe = shutil.which("docker-compose")
        if exe is None:
            raise AssertionError("docker-compose is missing: run tools/install-deps.sh")
        cls.config = subprocess.run([exe, "-f", COMPOSE, "config"], capture_output=True,
                                    text=True)

    def test_config_validates(self):
        self.assertEqual(self.config.returncode, 0, self.config.stdout + self.config.stderr)

    def test_mounts_and_secrets_live_in_docker_dir(self):
        text = self.config.stdout
        for m in re.finditer(r"source: (/\S+)\n\s+target: ", text):
            self.assertTrue(m.group(1).startswith(DOCKER + os.sep), m.group(1))
        for m in re.finditer(r"^\s+- (/[^:\s]+):/", text, re.M):
            self.assertTrue(m.group(1).startswith(DOCKER + os.sep), m.group(1))
        for m in re.finditer(r"^\s+file: (\S+)", text, re.M):
            self.assertTrue(m.group(1).startswith(os.path.join(DOCKER, "secrets") + os.sep),
                            m.group(1))
        # No literal secret in the environment of any service.
        for m in re.finditer(r"^\s+([A-Z_]*(?:SECRET|PASSWORD|TOKEN|KEY)[A-Z_]*): (.*)$", text,
                             re.M):
            self.assertTrue(m.group(2).startswith("/run/secrets/"), m.group(0))

    def test_every_secret_is_generated(self):
        """Each secret the compose file mounts is a file generate.sh makes."""
        tmp = tempfile.mkdtemp(prefix="cssf-secrets-")
        try:
            subprocess.run(["sh", os.path.join(DOCKER, "secrets", "generate.sh"), tmp],
                           check=True, capture_output=True)
            names = re.findall(r"file: \./secrets/(\S+)", read(COMPOSE))
            self.assertTrue(names)
            self.assertEqual([n for n in names if not os.path.exists(os.path.join(tmp, n))], [])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Dockerfile(unittest.TestCase):
    def test_dockerfilelint(self):
        lint = os.path.join(DOCKER, "lint")
        exe = os.path.join(lint, "node_modules", ".bin", "dockerfilelint")
        if not os.path.exists(exe):
            npm = shutil.which("npm")
            self.assertIsNotNone(npm, "npm is missing: run tools/install-deps.sh")
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=lint, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([exe, DOCKERFILE], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_project_rules(self):
        st = stages(read(DOCKERFILE))
        self.assertIn("build", st)
        self.assertIn("runtime", st)
        self.assertTrue(st["build"][0].split()[1].startswith("debian:bookworm"), st["build"][0])
        self.assertTrue(st["runtime"][0].split()[1] == "debian:bookworm-slim", st["runtime"][0])
        build = "\n".join(st["build"])
        self.assertIn("install-deps.sh --build-only", build)
        runtime = "\n".join(st["runtime"])
        self.assertIn("install-deps.sh --runtime", runtime)
        self.assertNotIn("build-essential", runtime)
        users = [l.split()[1] for l in st["runtime"] if l.startswith("USER ")]
        self.assertTrue(users and users[-1] not in ("root", "0"), users)
        self.assertTrue(any(l.startswith("HEALTHCHECK ") and " CMD " in l for l in st["runtime"]))
        for name, lines in st.items():
            for l in lines:
                self.assertFalse(l.startswith("ADD "), l)
                self.assertNotRegex(l, r"(?i)^(ENV|ARG)\s+\S*(SECRET|PASSWORD|TOKEN)", l)
                self.assertNotIn("secrets", l.split("#")[0] if l.startswith("COPY") else "", l)
        for l in st["runtime"]:
            if l.startswith("COPY") and "--from=" not in l:
                self.assertIn("install-deps.sh", l)
        # Every repository file the Dockerfile names exists.
        for path in set(re.findall(r"\b((?:docker|tools|tests|policies)/[\w./-]*\w)",
                                   read(DOCKERFILE))):
            self.assertTrue(os.path.exists(os.path.join(SOURCE, path)), path)
        ignore = read(os.path.join(SOURCE, ".dockerignore")).split()
        self.assertIn("docker/secrets", ignore)
        self.assertIn(".git", ignore)


class ImageConfig(unittest.TestCase):
    def test_default_config_starts(self):
        """The image's /etc/cssf/cse.ini (docker/cse/default.ini) with the
        shipped policies starts and serves; only paths and ports moved."""
        tmp = tempfile.mkdtemp(prefix="cssf-default-ini-")
        try:
            env = dict(os.environ, CSE_HTTP_LISTEN="127.0.0.1", CSE_HTTP_PORT="0",
                       CSE_COAP_LISTEN="127.0.0.1", CSE_COAP_DTLS_PORT="0",
                       CSE_STORE_PATH=os.path.join(tmp, "cse.db"),
                       CSE_PLUGIN_PATH=os.path.join(BUILD, "plugin", "cssf.so"),
                       CSE_PLUGIN_POLICY_DIR=os.path.join(SOURCE, "policies"),
                       CSE_PLUGIN_AUDIT_FILE=os.path.join(tmp, "audit.log"))
            log = open(os.path.join(tmp, "out"), "w+")
            proc = subprocess.Popen([os.path.join(BUILD, "cse", "onem2m-cse"), "--config",
                                     os.path.join(DOCKER, "cse", "default.ini")], env=env,
                                    stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
            try:
                deadline = time.time() + 15
                out = ""
                while time.time() < deadline and "listening on coaps://" not in out:
                    self.assertIsNone(proc.poll(), out)
                    time.sleep(0.05)
                    log.seek(0)
                    out = log.read()
                self.assertIn("listening on http://", out)
                self.assertIn("authentication http=required https=required coap=required "
                              "coaps=required", out)
            finally:
                proc.terminate()
                self.assertEqual(proc.wait(10), 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Radius(unittest.TestCase):
    def test_config_renders_and_checks(self):
        tmp = tempfile.mkdtemp(prefix="cssf-radius-check-")
        try:
            secrets = os.path.join(tmp, "secrets")
            subprocess.run(["sh", os.path.join(DOCKER, "secrets", "generate.sh"), secrets],
                           check=True, capture_output=True)
            self.assertEqual(os.stat(secrets).st_mode & 0o777, 0o700)
            env = dict(os.environ, RADIUS_DIR=os.path.join(tmp, "radius"), SECRETS_DIR=secrets)
            p = subprocess.run(["sh", os.path.join(DOCKER, "radius", "start.sh"), "--check"],
                               env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            # A secret that could break the configuration is refused.
            with open(os.path.join(secrets, "radius_secret"), "w") as f:
                f.write('x" }\n')
            p = subprocess.run(["sh", os.path.join(DOCKER, "radius", "start.sh"), "--check"],
                               env=env, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def installed_depends(pkgs):
    """The installed packages pkgs need, recursively (dpkg's Depends and
    Pre-Depends; of alternatives, the installed ones)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    deps = {}
    for line in out.splitlines():
        name, _, rest = line.partition("\t")
        deps[name] = [alt.strip().split(" ")[0].split(":")[0]
                      for dep in re.split(r",\s*", rest) for alt in dep.split("|")]
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(d for d in deps.get(p, []) if d in deps)
    return seen


class RuntimePackages(unittest.TestCase):
    def test_runtime_list_covers_every_library(self):
        cache = os.path.join(BUILD, "CMakeCache.txt")
        if os.path.exists(cache) and re.search(r"^CSE_(SANITIZE|FUZZ):BOOL=ON", read(cache), re.M):
            self.skipTest("a sanitizer build links other libraries than the image's build")
        text = read(os.path.join(SOURCE, "tools", "install-deps.sh"))
        m = re.search(r'RUNTIME_PKGS="([^"]*)"', text)
        self.assertIsNotNone(m)
        runtime = m.group(1).replace("\\\n", " ").split()
        allowed = installed_depends(runtime + ["libc6", "libgcc-s1"])
        programs = [os.path.join(BUILD, "cse", "onem2m-cse"), os.path.join(BUILD, "plugin", "cssf.so")]
        tools = os.path.join(BUILD, "tools")
        programs += [os.path.join(tools, f) for f in os.listdir(tools)]
        libs = {}  # library path -> programs that load it
        for prog in programs:
            out = subprocess.run(["ldd", prog], capture_output=True, text=True).stdout
            for lib in re.findall(r"=> (/\S+)", out):
                if not re.search(r"(asan|ubsan|clang)", lib):  # sanitizer builds
                    libs.setdefault(lib, set()).add(os.path.basename(prog))
        # One dpkg -S for every path a library may be known by (merged /usr).
        names = {}
        for lib in libs:
            real = os.path.realpath(lib)
            names[lib] = {lib, real, real.replace("/usr/lib/", "/lib/", 1),
                          lib.replace("/lib/", "/usr/lib/", 1)}
        out = subprocess.run(["dpkg", "-S"] + sorted(set().union(*names.values())),
                             capture_output=True, text=True).stdout
        owner_of = {}
        for line in out.splitlines():
            pkg, _, path = line.partition(": ")
            owner_of[path.strip()] = pkg.split(":")[0]
        missing = {}
        for lib, progs in libs.items():
            owners = {owner_of[n] for n in names[lib] if n in owner_of}
            self.assertTrue(owners, "no package owns %s" % lib)
            if not owners & allowed:
                missing.setdefault(sorted(owners)[0], set()).update(progs)
        self.assertEqual(missing, {}, "add these to RUNTIME_PKGS in tools/install-deps.sh")


if __name__ == "__main__":
    unittest.main(verbosity=2)
