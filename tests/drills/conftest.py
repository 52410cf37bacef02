"""Fixtures for Missive's crash and fault drills (issue 7; docs/drills.md).

The drills reuse the end-to-end kit: `tests/e2e` is put on the import path, and its
conftest is loaded under the name `e2e_conftest` and its fixtures (server_factory, pdf, …),
the binary check and the log-tail-on-failure hook are imported here, unchanged.

The drills need root (tmpfs and read-only mounts) and the third-party peers that
`scripts/test` installs (clamd, aiosmtpd, zeep's lxml, standardwebhooks). A missing peer is
a failure, never a skip.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E))

_spec = importlib.util.spec_from_file_location("e2e_conftest", E2E / "conftest.py")
_module = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = _module
_spec.loader.exec_module(_module)

# The e2e fixtures and the log-tail hook, as if defined here.
from e2e_conftest import (  # noqa: E402,F401
    _binary_exists,
    big_pdf,
    pdf,
    pytest_runtest_makereport,
    receiver_factory,
    server_factory,
    session_server_factory,
    unique,
)


@pytest.fixture(scope="session", autouse=True)
def _root_and_file_limit() -> None:
    """Drills mount file systems (root) and hold thousands of sockets (the servers they
    start inherit this process's file limit)."""
    if os.geteuid() != 0:
        pytest.fail("the drills need root (tmpfs and read-only mounts)", pytrace=False)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 8192:
        pytest.fail(f"need at least 8192 open files for the slow-client drill (hard limit {hard})", pytrace=False)
