"""The CSSF testbed without docker (tests/testbed/run.sh): the services of
docker/docker-compose.yml from the same files on loopback, the scenario end
to end within its 60-second budget."""
import os
import subprocess
import sys

SOURCE = os.environ.get("CSE_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.environ.get("CSE_BUILD_DIR") or os.path.join(SOURCE, "build")


def main():
    run = os.path.join(SOURCE, "tests", "testbed", "run.sh")
    p = subprocess.run(["sh", run, BUILD], capture_output=True, text=True, timeout=120)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    if p.returncode != 0 or " 0 failed, 0 not run" not in p.stdout:
        print("testbed: FAILED (exit %d)" % p.returncode)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
