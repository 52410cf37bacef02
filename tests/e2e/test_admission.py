"""Admission control: while the work behind acceptance is above `admissionBacklog`, every
ingress refuses new letters in its own retryable terms, and nothing of the refused letter
is kept; once the backlog is worked off, letters are accepted again.

The backlog is made to stay up deterministically: the hub stamps its seals with an external
RFC 3161 TSA (OpenSSL's, as in test_external_tsa.py) that holds every request unanswered
until the test lets it go, so each accepted letter's evidence stays due. REST is `requests`,
SOAP is a raw SOAP 1.1 post (zeep's fault handling is tested elsewhere), SMTP is smtplib.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import threading
import time
import uuid
from pathlib import Path

import pytest

from missive_testkit import assert_problem, make_pdf, wait_until
from test_external_tsa import OpenSSLTSA, make_tsa
from test_virus import count, smtp_submit, soap_submit

LIMIT = 3


class HeldTSA(OpenSSLTSA):
    """The OpenSSL TSA, but every request waits for `release` before it is answered."""

    def __init__(self, folder: Path):
        self.release = threading.Event()
        super().__init__(folder)
        handler = self.server.RequestHandlerClass
        original = handler.do_POST
        tsa = self

        def held(this) -> None:
            tsa.release.wait(timeout=120)
            original(this)

        handler.do_POST = held

    def close(self) -> None:
        self.release.set()
        super().close()


@pytest.fixture
def held_tsa(tmp_path: Path):
    tsa = HeldTSA(make_tsa(tmp_path / "tsa", "Held TSA"))
    yield tsa
    tsa.close()


def smtp_mail_from(server) -> tuple[int, bytes]:
    sandbox = server.sandbox
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        client.login(sandbox["smtpUsername"], sandbox["smtpPassword"])
        code, text = client.mail(sandbox["smtpFrom"])
        if code == 250:
            client.rset()
        return code, text


def test_every_ingress_refuses_while_the_backlog_is_above_the_bound_and_accepts_after(server_factory, held_tsa: HeldTSA, tmp_path: Path) -> None:
    config = tmp_path / "missive.json"
    config.write_text(json.dumps({"admissionBacklog": LIMIT}))
    server = server_factory("--config", str(config), "--time-stamp-url", held_tsa.url,
                            "--time-stamp-trust-anchor", str(held_tsa.folder / "root.pem"), name="admission")
    assert server.metric("missive_admission_limit") == LIMIT
    physical = {"recipient": server.recipient("physical")["recipient"]}
    # Below the bound, letters are accepted; their evidence waits for the held TSA.
    accepted = [server.submit_ok(physical, make_pdf(f"admission {i}"))["id"] for i in range(LIMIT)]
    wait_until(lambda: server.metric("missive_admission_backlog") >= LIMIT, timeout=20, what="the sampled backlog to reach the bound")
    before = count(server)

    rest = server.submit(physical, make_pdf("refused over REST"))
    problem = assert_problem(rest, 503, "busy")
    assert rest.headers["Retry-After"] == "1", rest.headers
    assert "backlog" in problem["detail"], problem

    soap = soap_submit(server, make_pdf("refused over SOAP"))
    assert soap.status_code == 500 and "Server" in soap.text and "<m:code>busy</m:code>" in soap.text, soap.text[:400]
    assert soap.headers.get("Retry-After") == "1", soap.headers

    # SMTP refuses at MAIL, before the content is sent; a relay queues and retries.
    code, text = smtp_mail_from(server)
    assert code == 451 and text.startswith(b"4.3.2"), (code, text)

    assert count(server) == before, "a refused letter must leave nothing behind"
    assert server.metric("missive_admission_refused_total") >= 3

    # The TSA answers again: the evidence is issued, the backlog falls, letters are taken.
    held_tsa.release.set()
    wait_until(lambda: server.metric("missive_admission_backlog") < LIMIT, timeout=60, what="the backlog to be worked off")
    wait_until(lambda: server.submit(physical, make_pdf("accepted again")).status_code == 202, timeout=10, what="REST to accept again")
    assert smtp_submit(server, make_pdf("accepted again over smtp"), f"admission-{uuid.uuid4().hex}")[0] == 250
    for envelope_id in accepted:
        wait_until(lambda: server.get(f"/v1/envelopes/{envelope_id}/evidence").json()["items"], timeout=60,
                   what="the held letters' evidence")


def test_without_a_bound_nothing_is_refused(server_factory, held_tsa: HeldTSA, tmp_path: Path) -> None:
    server = server_factory("--admission-backlog", "0", "--time-stamp-url", held_tsa.url,
                            "--time-stamp-trust-anchor", str(held_tsa.folder / "root.pem"), name="admission-off")
    physical = {"recipient": server.recipient("physical")["recipient"]}
    for i in range(LIMIT + 3):
        server.submit_ok(physical, make_pdf(f"unbounded {i}"))
    time.sleep(0.5)  # more than two samples of the backlog
    assert server.submit(physical, make_pdf("still accepted")).status_code == 202
    assert server.metric("missive_admission_limit") == 0
    assert server.metric("missive_admission_refused_total") == 0
