"""The installed version of the package (one place; `--version` and `/_mock/health` read it)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("seedance-contract-kit")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0+unknown"
