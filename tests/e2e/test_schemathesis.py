"""Property-based API testing with schemathesis (v4 CLI) against a live sandbox server.

Two invocations against one fresh server of its own (schemathesis moves the sandbox clock,
changes the mailbox preference and creates webhooks to random URLs - nothing another
test should see):

* the sender API (every operation except tag `mailbox`) with the organisation API key;
* the recipient API (tag `mailbox`) with the digital recipient's mailbox key - the two
  security schemes are both HTTP bearer, so one run cannot carry both keys.

`--checks all` and nothing excluded; schemathesis.toml lets two operations answer a
well-formed but wrong code (an organisation's verification letter, a person's authenticator
at setup) with 422 (its comment says why). Values a JSON Schema cannot describe (a valid PDF,
a fresh Idempotency-Key, a server-issued cursor) are fixed by schemathesis_hooks.py, whose
docstring explains each one. Set MISSIVE_SCHEMATHESIS_SEED to reproduce a run; the seed of
every run is printed in its output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from missive_testkit import REPO_ROOT, MissiveServer, make_pdf, wait_for_events

SPEC = Path(os.environ.get("MISSIVE_OPENAPI", REPO_ROOT / "openapi" / "missive.yaml"))
HOOKS = Path(__file__).resolve().parent / "schemathesis_hooks.py"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
MAX_EXAMPLES = os.environ.get("MISSIVE_SCHEMATHESIS_MAX_EXAMPLES", "20")
TIMEOUT = float(os.environ.get("MISSIVE_SCHEMATHESIS_TIMEOUT", "180"))  # seconds per invocation


def schemathesis_cli() -> list[str]:
    exe = shutil.which("schemathesis")
    if exe is None:
        pytest.fail("schemathesis is not installed (pip install schemathesis) - it is a required peer", pytrace=False)
    return [exe]


@pytest.fixture(scope="module")
def st_server(session_server_factory) -> MissiveServer:
    # --rate-limit 0: a 429 is an "acceptable" answer to every check, so a rate-limited
    # server would pass them without being tested. (test_bad_input covers rate limiting.)
    server = session_server_factory("--webhook-retry-base-seconds", "0.2", "--rate-limit", "0", name="schemathesis")
    # Give the mailbox something to list, so response schemas are checked on real items.
    envelope = server.submit_ok({"recipient": server.recipient("digital")["recipient"], "title": "for schemathesis"},
                                make_pdf("for schemathesis"))
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    return server


def run_schemathesis(server: MissiveServer, key: str, selection: list[str], tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    cmd = [
        *schemathesis_cli(), "--config-file", str(CONFIG), "run", str(SPEC),
        "--url", server.url,
        "-H", f"Authorization: Bearer {key}",
        "--checks", "all",
        "--max-examples", MAX_EXAMPLES,
        # One worker: with several, schemathesis generates in threads, and CPython 3.11's
        # AST constructor is not thread-safe (python/cpython#106905, fixed in 3.12) - it
        # fails at random with "SystemError: AST constructor recursion depth mismatch".
        "--workers", "1" if sys.version_info < (3, 12) else "2",
        "--request-timeout", "10",
        "--generation-database", "none",
        "--no-color",
        "--report", "junit",
        "--report-dir", str(report_dir),
        *selection,
    ]
    if os.environ.get("MISSIVE_SCHEMATHESIS_SEED"):
        cmd += ["--seed", os.environ["MISSIVE_SCHEMATHESIS_SEED"]]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "NO_COLOR": "1"}
    log = tmp_path / "schemathesis.log"
    printable = " ".join(c if not c.startswith("Authorization") else "Authorization: Bearer ***" for c in cmd)
    try:
        # cwd=tmp_path: schemathesis writes nothing into the repository.
        proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"schemathesis did not finish within {TIMEOUT}s\n$ {printable}\n{out[-6000:]}\n{server.log_tail(40)}",
                    pytrace=False)
    output = proc.stdout + proc.stderr
    log.write_text(output)
    sys.stdout.write(f"\n$ {printable}\n{output[-3000:]}\n")
    if proc.returncode != 0:
        pytest.fail(f"schemathesis failed (exit {proc.returncode}); full output in {log}, JUnit report in {report_dir}\n"
                    f"$ {printable}\n{output[-15000:]}", pytrace=False)


def test_schemathesis_sender_api(st_server: MissiveServer, tmp_path: Path) -> None:
    run_schemathesis(st_server, st_server.api_key, ["--exclude-tag", "mailbox"], tmp_path)


def test_schemathesis_mailbox_api(st_server: MissiveServer, tmp_path: Path) -> None:
    key = st_server.recipient("digital")["mailboxKey"]
    run_schemathesis(st_server, key, ["--include-tag", "mailbox"], tmp_path)
