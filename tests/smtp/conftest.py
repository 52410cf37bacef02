"""Fixtures for Missive's SMTP suite: real Missive, real Postfix, real sockets.

Run (as root: the suite starts private Postfix instances):

    scripts/postfix-relay install          # apt: postfix libsasl2-modules (once)
    python3 -m pip install aiosmtpd        # the stand-in listener and the bounce sink
    MISSIVE_BIN=.build/debug/missive python3 -m pytest -q tests/smtp

test_harness.py needs no Missive (Postfix against tests/smtp/standin_server.py); the other
files need the binary with the SMTP listener.

`missive serve --sandbox --data-dir <tmp> --http-port 0 --smtp-port 0` (the binary from
$MISSIVE_BIN or .build/debug/missive) is started once per session; its sandbox.json gives
the SMTP port, the demo organisation's SMTP credentials, a verified sender, the hub domain,
the listener's certificate and each test recipient's smtpAddress (`SmtpInfo`).

A private Postfix (scripts/postfix-relay) relays the hub domain to Missive over STARTTLS +
SASL, and the sender's domain (in plain SMTP) to `bounce_sink`, a local recorder, so that
bounces Postfix generates can be read. A missing binary, Postfix or Python peer is an
error, never a skip.

Fixtures
--------
missive          the session's MissiveServer (tests/e2e/missive_testkit.py)
smtp             its SmtpInfo
relay            the session's Postfix relay to Missive (PostfixRelay)
bounce_sink      the Recorder that receives mail for the sender's domain (bounces)
relay_factory    extra relays for one test (other credentials, TLS policies); stopped after
pdf_factory      pdf_factory(tag) -> a small valid PDF whose bytes are unique to the tag
unique           a short random hex string

When a test fails, the tails of Missive's log and of every running Postfix log are
attached to the report.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from missive_testkit import MissiveServer, make_pdf, missive_bin  # noqa: E402
from smtp_harness import PostfixRelay, SmtpInfo, postfix_installed  # noqa: E402
from standin_server import Recorder  # noqa: E402

LIVE_SERVERS: list[MissiveServer] = []
LIVE_RELAYS: list[PostfixRelay] = []


@pytest.fixture(scope="session")
def postfix_ready() -> None:
    problem = postfix_installed()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def missive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MissiveServer]:
    path = missive_bin()
    if not path.exists():
        pytest.fail(f"missive binary not found at {path}: run `swift build` first or set MISSIVE_BIN", pytrace=False)
    server = MissiveServer(tmp_path_factory.mktemp("smtp") / "data", extra_args=["--smtp-port", "0"], name="smtp")
    LIVE_SERVERS.append(server)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            LIVE_SERVERS.remove(server)


@pytest.fixture(scope="session")
def smtp(missive: MissiveServer) -> SmtpInfo:
    return SmtpInfo.from_sandbox(missive.sandbox, missive.data_dir)


@pytest.fixture(scope="session")
def bounce_sink() -> Iterator[Recorder]:
    sink = Recorder().start()
    yield sink
    sink.stop()


def _start_relay(name: str, *args: str, password: str | None = None) -> PostfixRelay:
    relay = PostfixRelay(name)
    LIVE_RELAYS.append(relay)
    try:
        relay.start(*args, password=password)
    except BaseException:
        LIVE_RELAYS.remove(relay)
        relay.stop(remove=False)
        raise
    return relay


def _stop_relay(relay: PostfixRelay) -> None:
    try:
        relay.stop()
    finally:
        if relay in LIVE_RELAYS:
            LIVE_RELAYS.remove(relay)


@pytest.fixture(scope="session")
def relay(postfix_ready: None, missive: MissiveServer, smtp: SmtpInfo, bounce_sink: Recorder) -> Iterator[PostfixRelay]:
    r = _start_relay("missive", "--sandbox", str(missive.data_dir),
                     "--route", f"{smtp.sender_domain}=127.0.0.1:{bounce_sink.port}")
    yield r
    _stop_relay(r)


@pytest.fixture
def relay_factory(postfix_ready: None) -> Iterator[Callable[..., PostfixRelay]]:
    """relay_factory(name, *script_args, password=None) -> a started PostfixRelay."""
    made: list[PostfixRelay] = []

    def factory(name: str, *args: str, password: str | None = None) -> PostfixRelay:
        r = _start_relay(name, *args, password=password)
        made.append(r)
        return r

    yield factory
    for r in reversed(made):
        _stop_relay(r)


@pytest.fixture(scope="session")
def pdf_factory() -> Callable[[str], bytes]:
    return lambda tag: make_pdf(f"Missive SMTP letter {tag}")


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in list(LIVE_SERVERS):
            report.sections.append((f"missive log ({server.name}, {server.data_dir})", server.log_tail(60)))
        for relay in list(LIVE_RELAYS):
            report.sections.append((f"postfix log ({relay.name}, {relay.dir})", relay.log_tail(60)))
