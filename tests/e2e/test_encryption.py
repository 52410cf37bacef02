"""Encryption at rest, end to end: documents submitted over REST, SOAP and SMTP and delivered
by ePost, eBill and print leave no plaintext anywhere in the data folder.

Every PDF carries one marker string of this run, uncompressed in its content stream. After
the letters reached their channels (mailbox letters downloaded byte for byte, print jobs
collected by the sandbox partner, bills accepted by the sandbox eBill network) the hub is
stopped and every file under the data folder — blobs, the SQLite database and its WAL, the
print spool, mail outbox, keys — is searched for the marker in raw bytes and in base64 (at
each of the three alignments). Nothing is excluded: the print spool holds plaintext only
between the channel writing a job and the partner collecting it, so the test waits until the
sandbox partner took every job.
"""

from __future__ import annotations

import base64
import stat
import uuid
from email.message import EmailMessage
from pathlib import Path

import requests
from zeep import Client
from zeep.transports import Transport

from missive_testkit import MissiveServer, make_pdf, wait_for_events, wait_until
from test_smtp_lifecycle import authenticated

TIMEOUT = 30.0
MAGIC = b"MSVENC\x01"


def marked_pdf(marker: str, label: str, pad_to: int = 0) -> bytes:
    data = make_pdf(f"{marker} {label}", pad_to=pad_to)
    assert marker.encode() in data
    return data


def soap_service(server: MissiveServer):
    session = requests.Session()
    session.auth = (server.sandbox["organisationId"], server.api_key)
    return Client(f"{server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap11")


def smtp_send(server: MissiveServer, alias: str, subject: str, pdf: bytes) -> None:
    message = EmailMessage()
    message["From"] = server.sandbox["smtpFrom"]
    message["To"] = f"{alias}@{server.sandbox['smtpDomain']}"
    message["Subject"] = subject
    message["Message-ID"] = f"<enc-{uuid.uuid4().hex}@demo.sandbox.missive.ch>"
    message.set_content("Attached.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="letter.pdf")
    with authenticated(server) as client:
        client.send_message(message)


def envelope_titled(server: MissiveServer, title: str) -> dict | None:
    return next((e for e in server.list_all("/v1/envelopes") if e.get("title") == title), None)


def download(server: MissiveServer, title: str) -> bytes:
    """The mailbox letter with this title, downloaded with the digital recipient's key."""
    key = server.recipient("digital")["mailboxKey"]
    letter = wait_until(lambda: next((l for l in server.list_all("/v1/mailbox/letters", key=key) if l.get("title") == title), None),
                        timeout=TIMEOUT, what=f"letter {title!r} in the mailbox")
    resp = server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=key)
    assert resp.status_code == 200, resp.text[:300]
    return resp.content


def base64_forms(marker: bytes) -> list[bytes]:
    """The base64 text that any base64 encoding containing `marker` must contain: whatever
    the alignment, one of marker[0:], marker[1:], marker[2:] starts a 3-byte group."""
    forms = []
    for start in range(3):
        part = marker[start:]
        forms.append(base64.b64encode(part[:len(part) - len(part) % 3]))
    return forms


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_no_plaintext_document_is_left_in_the_data_folder(server_factory) -> None:
    server = server_factory(name="encryption")
    marker = f"MISSIVE-PLAINTEXT-MARKER-{uuid.uuid4().hex}"
    anna = server.recipient("digital")["recipient"]
    dora = server.recipient("physical")["recipient"]
    carla = server.recipient("ebill")["recipient"]
    invoice = {"amount": "120.50", "currency": "CHF"}
    tag = uuid.uuid4().hex[:8]

    # REST: one letter per channel; the mailbox one spans several 64 KiB segments, the
    # printed one is large enough to spill to a temporary file while it arrives.
    rest_digital = marked_pdf(marker, "rest digital", pad_to=200_000)
    rest_physical = marked_pdf(marker, "rest physical", pad_to=1_500_000)
    rest_ebill = marked_pdf(marker, "rest ebill")
    submitted = {
        "rest-digital": server.submit_ok({"recipient": anna, "title": f"enc rest digital {tag}"}, rest_digital)["id"],
        "rest-physical": server.submit_ok({"recipient": dora, "title": f"enc rest physical {tag}"}, rest_physical,
                                          attachments=[marked_pdf(marker, "rest attachment")])["id"],
        "rest-ebill": server.submit_ok({"recipient": carla, "kind": "invoice", "invoice": invoice, "title": f"enc rest ebill {tag}"},
                                       rest_ebill)["id"],
    }

    # SOAP: a mailbox letter and an eBill invoice.
    service = soap_service(server)
    soap_digital = marked_pdf(marker, "soap digital", pad_to=70_000)
    answer = service.SubmitLetter(envelope={"recipient": anna, "title": f"enc soap digital {tag}"}, document={"content": soap_digital})
    submitted["soap-digital"] = answer["envelopeId"]
    answer = service.SubmitLetter(envelope={"recipient": carla, "kind": "invoice", "invoice": invoice, "title": f"enc soap ebill {tag}"},
                                  document={"content": marked_pdf(marker, "soap ebill")})
    submitted["soap-ebill"] = answer["envelopeId"]

    # SMTP: a mailbox letter and a printed one (SMTP carries no invoice details for eBill).
    smtp_digital = marked_pdf(marker, "smtp digital")
    smtp_send(server, "digital", f"enc smtp digital {tag}", smtp_digital)
    smtp_send(server, "physical", f"enc smtp physical {tag}", marked_pdf(marker, "smtp physical", pad_to=100_000))
    for channel in ("digital", "physical"):
        title = f"enc smtp {channel} {tag}"
        submitted[f"smtp-{channel}"] = wait_until(lambda: envelope_titled(server, title), timeout=TIMEOUT, what=title)["id"]

    expected = {
        "rest-digital": ["accepted", "routed", "delivered"], "soap-digital": ["accepted", "routed", "delivered"],
        "smtp-digital": ["accepted", "routed", "delivered"],
        "rest-ebill": ["accepted", "routed", "delivered"], "soap-ebill": ["accepted", "routed", "delivered"],
        "rest-physical": ["accepted", "routed", "printed", "posted"], "smtp-physical": ["accepted", "routed", "printed", "posted"],
    }
    for name, events in expected.items():
        seen = wait_for_events(server, submitted[name], events, timeout=TIMEOUT)
        routed = next(e for e in seen if e["type"] == "routed")
        assert routed["channel"] == {"digital": "epost", "ebill": "ebill", "physical": "physical"}[name.split("-")[1]], (name, routed)

    # The recipient's download opens each document byte for byte (with the mailbox's key).
    assert download(server, f"enc rest digital {tag}") == rest_digital
    assert download(server, f"enc soap digital {tag}") == soap_digital
    assert download(server, f"enc smtp digital {tag}") == smtp_digital
    for name in ("rest-digital", "soap-digital", "smtp-digital"):
        wait_for_events(server, submitted[name], expected[name] + ["consulted"], timeout=TIMEOUT)

    # The sandbox partner takes every print job away, as a partner collecting over SFTP does.
    outbox = server.data_dir / "spool" / "sandbox" / "outbox"
    wait_until(lambda: not list(outbox.glob("*.pdf")), timeout=TIMEOUT, what="the print partner to collect every document")

    documents = sum(len(server.envelope(envelope_id)["documents"]) for envelope_id in submitted.values())
    assert documents == len(submitted) + 1  # one envelope has an attachment
    assert server.stop() in (0, -15, 143)
    data = server.data_dir

    # Every document is one sealed blob: it starts with the format's magic; nothing is left in tmp.
    blobs = [p for p in files_under(data / "blobs") if p.parent.name != "tmp"]
    assert len(blobs) == documents, [str(p) for p in blobs]
    for blob in blobs:
        assert blob.read_bytes()[:len(MAGIC)] == MAGIC, f"{blob} is not a sealed blob"
    assert not list((data / "blobs" / "tmp").iterdir())

    # The processing key exists, readable by its owner only.
    key = data / "keys" / "processing.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600

    # The marker appears nowhere in the data folder: not in raw bytes, not in base64.
    needles = [marker.encode(), *base64_forms(marker.encode())]
    searched = files_under(data)
    assert any(p.name == "missive.sqlite" for p in searched), [str(p) for p in searched]
    leaks = [f"{p.relative_to(data)}" for p in searched if any(n in p.read_bytes() for n in needles)]
    assert not leaks, f"plaintext document bytes found in: {leaks}"
    # The search itself works: the marker is found in its base64 forms inside a base64 PDF.
    encoded = base64.b64encode(rest_ebill)
    assert any(n in encoded for n in base64_forms(marker.encode()))
