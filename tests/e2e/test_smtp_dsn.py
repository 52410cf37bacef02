"""Delivery status notifications back to SMTP senders (RFC 3464), received by a real
third-party SMTP server (aiosmtpd) acting as the smarthost, and parsed with Python's own
email package. Also: the sandbox default writes them to DATA/mail-outbox/.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage

import pytest
# aiosmtpd is a required peer (scripts/test installs it): a missing one fails here, loudly.
from aiosmtpd.controller import Controller

from missive_testkit import make_pdf, wait_for_events, wait_until


class Recorder:
    """aiosmtpd handler that keeps every message with its envelope."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smarthost():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture(scope="module")
def dsn_server(session_server_factory, smarthost):
    controller, _ = smarthost
    return session_server_factory("--smtp-smarthost", f"127.0.0.1:{controller.port}", name="dsn")


def send(server, recipient_id: str, *, notify: list[str] | None = None, envid: str | None = None, message_id: str) -> str:
    sandbox = server.sandbox
    message = EmailMessage()
    message["From"] = sandbox["smtpFrom"]
    message["To"] = f"{recipient_id}@{sandbox['smtpDomain']}"
    message["Subject"] = f"DSN test {message_id}"
    message["Message-ID"] = f"<{message_id}@demo.sandbox.missive.ch>"
    message.set_content("Letter attached.")
    message.add_attachment(make_pdf(f"DSN {message_id}"), maintype="application", subtype="pdf", filename="letter.pdf")
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        client.login(sandbox["smtpUsername"], sandbox["smtpPassword"])
        rcpt_options = [f"NOTIFY={','.join(notify)}", f"ORCPT=rfc822;{recipient_id}@{sandbox['smtpDomain']}"] if notify else []
        mail_options = [f"ENVID={envid}", "RET=HDRS"] if envid else []
        client.send_message(message, mail_options=mail_options, rcpt_options=rcpt_options)
        code, text = client.noop()
        assert code == 250
    envelopes = [e for e in server.list_all("/v1/envelopes") if e.get("ingressReference", "").startswith(f"{message_id}@")]
    assert len(envelopes) == 1, envelopes
    return envelopes[0]["id"]


def reports_for(recorder: Recorder, envelope_id: str) -> list[tuple[str, list[str], email.message.EmailMessage]]:
    with recorder.lock:
        found = [(sender, rcpts, email.message_from_bytes(raw, policy=email.policy.default)) for sender, rcpts, raw in recorder.messages]
    return [item for item in found if envelope_id.encode() in item[2].as_bytes()]


def delivery_status(report: email.message.EmailMessage) -> tuple[dict, list[dict]]:
    """The per-message and per-recipient fields of the message/delivery-status part."""
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    parts = list(report.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    groups = [dict(block.items()) for block in parts[1].get_payload()]
    return groups[0], groups[1:]


def test_a_failed_envelope_sends_an_rfc3464_report_to_the_return_path(dsn_server, smarthost) -> None:
    _, recorder = smarthost
    envelope_id = send(dsn_server, "unreachable", envid="QQ314159", message_id="dsn-failed-1", notify=["FAILURE"])
    wait_for_events(dsn_server, envelope_id, ["accepted", "failed"], timeout=30)
    wait_until(lambda: reports_for(recorder, envelope_id), timeout=30, what="a DSN at the smarthost")
    sender, recipients, report = reports_for(recorder, envelope_id)[0]
    assert sender in ("", "<>")  # the null reverse-path: a report never bounces back
    assert recipients == [dsn_server.sandbox["smtpFrom"]]
    assert report["Auto-Submitted"] == "auto-replied"
    per_message, per_recipient = delivery_status(report)
    assert per_message["Original-Envelope-Id"] == "QQ314159"
    assert per_message["Reporting-MTA"].startswith("dns;")
    assert len(per_recipient) == 1
    fields = per_recipient[0]
    assert fields["Action"] == "failed"
    assert fields["Status"] == "5.1.1"
    assert fields["Final-Recipient"].replace(" ", "") == f"rfc822;unreachable@{dsn_server.sandbox['smtpDomain']}"
    assert fields["Original-Recipient"].replace(" ", "") == f"rfc822;unreachable@{dsn_server.sandbox['smtpDomain']}"
    assert fields["Diagnostic-Code"].startswith("x-missive;")
    # Headers only, never the letter.
    parts = list(report.iter_parts())
    assert parts[2].get_content_type() == "text/rfc822-headers"
    assert b"%PDF" not in report.as_bytes()


def test_notify_success_reports_delivery_and_notify_never_reports_nothing(dsn_server, smarthost) -> None:
    _, recorder = smarthost
    delivered = send(dsn_server, "digital", notify=["SUCCESS", "FAILURE"], message_id="dsn-success-1")
    wait_until(lambda: reports_for(recorder, delivered), timeout=30, what="a success DSN")
    _, per_recipient = delivery_status(reports_for(recorder, delivered)[0][2])
    assert per_recipient[0]["Action"] == "delivered" and per_recipient[0]["Status"] == "2.0.0"

    silent = send(dsn_server, "unreachable", notify=["NEVER"], message_id="dsn-never-1")
    wait_for_events(dsn_server, silent, ["accepted", "failed"], timeout=30)
    # The failure is recorded; give the outbox time to (not) send anything.
    import time
    time.sleep(2)
    assert reports_for(recorder, silent) == []


def test_without_a_smarthost_reports_are_files_in_the_mail_outbox(shared_server) -> None:
    envelope_id = send(shared_server, "unreachable", message_id="dsn-folder-1")
    folder = shared_server.data_dir / "mail-outbox"
    wait_until(lambda: [p for p in folder.glob("*.eml") if envelope_id.encode() in p.read_bytes()] if folder.exists() else None,
               timeout=30, what="a .eml report in DATA/mail-outbox")
    report_path = next(p for p in folder.glob("*.eml") if envelope_id.encode() in p.read_bytes())
    report = email.message_from_bytes(report_path.read_bytes(), policy=email.policy.default)
    _, per_recipient = delivery_status(report)
    assert per_recipient[0]["Action"] == "failed"
