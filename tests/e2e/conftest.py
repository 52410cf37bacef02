"""Fixtures for the Missive end-to-end suite.

The suite runs the real binary (`.build/debug/missive`, or `$MISSIVE_BIN`) as
`missive serve --sandbox --data-dir <tmp> --http-port 0` and talks to it over HTTP on
127.0.0.1. A missing binary or peer is an error, never a skip.

Fixtures
--------
shared_server     session-wide sandbox server (fast webhook retries); most tests use it.
                  Tests that move the sandbox clock or kill the process get their own.
server_factory    start extra servers (own data dir, extra CLI flags); stopped after the test.
pdf, big_pdf      a minimal valid PDF and a ~100 KB one.
receiver_factory  local Standard-Webhooks receivers; closed (and their webhooks deleted)
                  after the test.

When a test fails, the tail of every running server's log is attached to the report.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from missive_testkit import (
    MissiveServer,
    WebhookReceiver,
    create_webhook,
    make_pdf,
    missive_bin,
)

# Servers currently running, so a failing test's report can show their logs.
LIVE_SERVERS: list[MissiveServer] = []

# Fast webhook retries for tests (first retry after ~0.2 s, doubling).
FAST_RETRIES = ["--webhook-retry-base-seconds", "0.2"]


def _start(data_dir: Path, extra_args: list[str], name: str) -> MissiveServer:
    server = MissiveServer(data_dir, extra_args=extra_args, name=name)
    LIVE_SERVERS.append(server)
    try:
        server.start()
    except Exception:
        LIVE_SERVERS.remove(server)
        raise
    return server


def _stop(server: MissiveServer) -> None:
    try:
        code = server.stop()
        # A graceful SIGTERM shutdown should exit 0 (or by the signal, -15, if the runtime
        # re-raises it). Report anything else; it is often a crash on shutdown.
        if code not in (0, None, -15, 143):
            print(f"\nwarning: {server.name} exited with {code} after SIGTERM\n{server.log_tail(40)}")
    finally:
        if server in LIVE_SERVERS:
            LIVE_SERVERS.remove(server)


@pytest.fixture(scope="session", autouse=True)
def _binary_exists() -> None:
    path = missive_bin()
    if not path.exists():
        pytest.fail(f"missive binary not found at {path}: run `swift build` first or set MISSIVE_BIN", pytrace=False)


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MissiveServer]:
    data_dir = tmp_path_factory.mktemp("shared") / "data"
    server = _start(data_dir, FAST_RETRIES, "shared")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def session_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MissiveServer]]:
    """Like server_factory, but the servers live until the end of the session (for
    module-scoped fixtures)."""
    started: list[MissiveServer] = []

    def factory(*extra_args: str, name: str = "isolated") -> MissiveServer:
        server = _start(tmp_path_factory.mktemp(name) / "data", list(extra_args), name)
        started.append(server)
        return server

    yield factory
    for server in reversed(started):
        _stop(server)


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MissiveServer]]:
    started: list[MissiveServer] = []

    def factory(*extra_args: str, name: str = "extra", data_dir: Path | None = None) -> MissiveServer:
        directory = data_dir or (tmp_path_factory.mktemp(name) / "data")
        server = _start(directory, list(extra_args), name)
        started.append(server)
        return server

    yield factory
    for server in reversed(started):
        _stop(server)


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return make_pdf("Missive e2e letter")


@pytest.fixture(scope="session")
def big_pdf() -> bytes:
    data = make_pdf("Missive e2e big letter", pad_to=100 * 1024)
    assert 100 * 1024 <= len(data) < 110 * 1024
    return data


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., tuple[WebhookReceiver, dict]]]:
    """receiver_factory(server, fail_first=0, delay=0, event_types=None, key=None)
    -> (receiver, webhook). The webhook is deleted and the receiver closed after the test."""
    made: list[tuple[MissiveServer, WebhookReceiver, dict, str | None]] = []

    def factory(server: MissiveServer, fail_first: int = 0, delay: float = 0.0,
                event_types: list[str] | None = None, key: str | None = None) -> tuple[WebhookReceiver, dict]:
        receiver = WebhookReceiver(fail_first=fail_first, delay=delay)
        try:
            hook = create_webhook(server, receiver, event_types=event_types, key=key)
        except Exception:
            receiver.close()
            raise
        made.append((server, receiver, hook, key))
        return receiver, hook

    yield factory
    for server, receiver, hook, key in made:
        try:
            if server.proc is not None and server.proc.poll() is None:
                server.request("DELETE", f"/v1/webhooks/{hook['id']}", key=key)
        except Exception:  # noqa: BLE001 - cleanup is best effort
            pass
        receiver.close()


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
