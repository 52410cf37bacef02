"""Feedback when delivery is impossible reaches the sender on every ingress, with the reason
code and, for a letter the post returns, the post's own reason (issue 6, part 7):

- REST senders: the event feed and a signed webhook;
- SOAP senders (zeep): GetStatus and GetEvents;
- SMTP senders: an RFC 3464 report to the return path, received by a real SMTP server
  (aiosmtpd as the smarthost).

Two failures are walked on each ingress: a printed letter returned by the post
(`addressee_unknown`, "Addressee unknown at this address" from the sandbox print partner)
and a `digitalOnly` letter to a recipient without a digital mailbox.
"""

from __future__ import annotations

import json
import ssl
import smtplib
from email.message import EmailMessage

import pytest
import requests
from zeep import Client
from zeep.transports import Transport

# The smarthost (aiosmtpd recording what it receives) and a hub relaying reports to it, from
# the SMTP report tests (module-scoped there, so this module gets its own pair).
from test_smtp_dsn import delivery_status, dsn_server, reports_for, smarthost  # noqa: F401 - fixtures

from missive_testkit import make_pdf, wait_for_events, wait_until

POST_REASON = ("addressee_unknown", "Addressee unknown at this address")


@pytest.fixture(scope="module")
def server(dsn_server):
    return dsn_server


def soap(server) -> object:
    session = requests.Session()
    session.auth = (server.sandbox["organisationId"], server.api_key)
    return Client(f"{server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap11")


def smtp_send(server, recipient_id: str, message_id: str, manifest: dict | None = None) -> str:
    sandbox = server.sandbox
    message = EmailMessage()
    message["From"] = sandbox["smtpFrom"]
    message["To"] = f"{recipient_id}@{sandbox['smtpDomain']}"
    message["Subject"] = f"Feedback {message_id}"
    message["Message-ID"] = f"<{message_id}@demo.sandbox.missive.ch>"
    message.set_content("Letter attached.")
    message.add_attachment(make_pdf(f"Feedback {message_id}"), maintype="application", subtype="pdf", filename="letter.pdf")
    if manifest is not None:
        message.add_attachment(json.dumps(manifest).encode(), maintype="application", subtype="json", filename="missive.json")
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        client.login(sandbox["smtpUsername"], sandbox["smtpPassword"])
        client.send_message(message, rcpt_options=["NOTIFY=FAILURE"])
    envelopes = [e for e in server.list_all("/v1/envelopes") if e.get("ingressReference", "").startswith(f"{message_id}@")]
    assert len(envelopes) == 1, envelopes
    return envelopes[0]["id"]


def last_event(server, envelope_id: str, kind: str) -> dict:
    events = wait_for_events(server, envelope_id, ["accepted", kind], timeout=60)
    return [e for e in events if e["type"] == kind][-1]


def test_rest_sender_learns_the_post_s_return_reason_by_feed_and_webhook(server, receiver_factory, pdf: bytes) -> None:
    receiver, _ = receiver_factory(server, event_types=["returned", "failed"])
    returned = server.submit_ok({"recipient": server.recipient("physical-returned")["recipient"]}, pdf)["id"]
    failed = server.submit_ok({"recipient": server.recipient("physical")["recipient"], "policy": {"mode": "digitalOnly"}}, pdf)["id"]

    event = last_event(server, returned, "returned")
    assert (event["reason"]["code"], event["reason"]["text"]) == POST_REASON, event
    assert server.envelope(returned)["statusReason"]["code"] == POST_REASON[0]
    failure = last_event(server, failed, "failed")
    assert failure["reason"]["code"] == "unreachable" and "not_found" in failure["reason"]["text"], failure

    hooks = receiver.wait_for(lambda r: (lambda a, b: (a, b) if a and b else None)(
        [p for p in r.envelope_events(returned) if p["type"] == "envelope.returned"],
        [p for p in r.envelope_events(failed) if p["type"] == "envelope.failed"]), timeout=60, what="returned and failed webhooks")
    assert (hooks[0][0]["data"]["reason"]["code"], hooks[0][0]["data"]["reason"]["text"]) == POST_REASON
    assert hooks[1][0]["data"]["reason"]["code"] == "unreachable"
    assert not receiver.failures, receiver.describe()


def test_soap_sender_learns_the_same_through_status_calls(server, pdf: bytes) -> None:
    service = soap(server)
    returned = service.SubmitLetter(envelope={"recipient": server.recipient("physical-returned")["recipient"]},
                                    document={"content": pdf})["envelopeId"]
    failed = service.SubmitLetter(envelope={"recipient": server.recipient("physical")["recipient"], "policy": {"mode": "digitalOnly"}},
                                  document={"content": pdf})["envelopeId"]
    wait_for_events(server, returned, ["accepted", "returned"], timeout=60)
    wait_for_events(server, failed, ["accepted", "failed"], timeout=60)

    status = service.GetStatus(envelopeId=returned)
    assert status.status == "returned" and (status.statusReason.code, status.statusReason.text) == POST_REASON
    events = service.GetEvents(envelopeId=returned).event
    assert events[-1].type == "returned" and events[-1].reason.code == POST_REASON[0] and events[-1].channel == "physical"

    status = service.GetStatus(envelopeId=failed)
    assert status.status == "failed" and status.statusReason.code == "unreachable"


def test_smtp_sender_gets_a_delivery_status_notification_with_the_reason(server, smarthost) -> None:
    _, recorder = smarthost
    returned = smtp_send(server, "physical-returned", "feedback-returned-1")
    failed = smtp_send(server, "physical", "feedback-digital-only-1", manifest={"policy": {"mode": "digitalOnly"}})
    wait_for_events(server, returned, ["accepted", "returned"], timeout=60)
    wait_for_events(server, failed, ["accepted", "failed"], timeout=60)

    reports = wait_until(lambda: (lambda a, b: (a, b) if a and b else None)(reports_for(recorder, returned), reports_for(recorder, failed)),
                         timeout=60, what="two delivery status notifications")
    for (sender, recipients, report), (status, code) in zip((reports[0][0], reports[1][0]), (("5.1.6", POST_REASON[0]), ("5.1.1", "unreachable"))):
        assert sender in ("", "<>") and recipients == [server.sandbox["smtpFrom"]], (sender, recipients)
        _, [recipient] = delivery_status(report)
        assert recipient["Action"] == "failed" and recipient["Status"] == status, recipient
        assert code in recipient["Diagnostic-Code"], recipient
    _, [recipient] = delivery_status(reports[0][0][2])
    assert POST_REASON[1] in recipient["Diagnostic-Code"], recipient
