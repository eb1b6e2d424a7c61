"""The client is the base install: importing it (and running `seedance --help`) needs only the standard library,
requests and urllib3 (and what requests itself imports)."""

from __future__ import annotations

import subprocess
import sys

# requests' own dependencies; charset_normalizer is compiled with Cython, which registers two helper modules.
ALLOWED = {"client", "requests", "urllib3", "idna", "certifi", "charset_normalizer", "cython_runtime"}
BLOCKED = ("yaml", "jsonschema", "jsonschema_rs", "flask", "werkzeug", "hypothesis", "schemathesis", "av",
           "mockserver", "contracts")
_PROBE = (
    "import sys\n"
    "before = set(sys.modules)\n"
    f"for name in {BLOCKED!r}: sys.modules[name] = None\n"
    "import client, client.cli\n"
    "new = {m.split('.')[0] for m in set(sys.modules) - before if sys.modules[m] is not None}\n"
    "print(' '.join(sorted(n for n in new if n not in sys.stdlib_module_names)))\n"
    "sys.exit(client.cli.main(['--help']))\n"
)


def test_importing_the_client_pulls_in_nothing_beyond_requests() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # `seedance --help` ran with every other package blocked
    first, _, rest = done.stdout.partition("\n")
    imported = set(first.split())
    assert "client" in imported and "requests" in imported
    assert {n for n in imported if not n.startswith("_cython_")} <= ALLOWED, imported
    assert "usage: seedance" in rest
