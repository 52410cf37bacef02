"""Sealed evidence checked by openssl: each legal event of a real run (acceptance, delivery to
the mailbox, opening, non-consultation after the sandbox clock moves 7 days) gets a record
sealed as CAdES-B-T by the sandbox's seal and TSA, which `openssl cms -verify -cades` accepts
against sandbox.json's trustAnchor and rejects after one changed byte; the built-in TSA
answers RFC 3161 queries at POST /tsa that `openssl ts -verify` accepts.

The evidence API is not there yet, so the records are read from the store (read-only).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import requests

from missive_testkit import make_pdf, wait_for_events, wait_until

OPENSSL = "/usr/bin/openssl"


def openssl(*args: str) -> subprocess.CompletedProcess:
    assert Path(OPENSSL).exists(), "openssl is missing (scripts/test installs it)"
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=60)


def evidence_rows(server, envelope_id: str) -> list[tuple[str, bytes, bytes]]:
    with sqlite3.connect(f"file:{server.data_dir / 'missive.sqlite'}?mode=ro", uri=True) as db:
        return db.execute("SELECT event, record, seal FROM evidence WHERE envelope_id = ? ORDER BY id", (envelope_id,)).fetchall()


def verify(server, record: bytes, seal: bytes, tmp: Path) -> subprocess.CompletedProcess:
    (tmp / "record.json").write_bytes(record)
    (tmp / "record.p7s").write_bytes(seal)
    return openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp / "record.p7s"), "-content", str(tmp / "record.json"),
                   "-CAfile", server.sandbox["trustAnchor"], "-purpose", "any", "-cades", "-out", "/dev/null")


def test_every_legal_event_is_sealed_and_openssl_verifies_it(shared_server, tmp_path: Path) -> None:
    import uuid
    server = shared_server
    assert Path(server.sandbox["trustAnchor"]).exists()
    anna = server.recipient("digital")
    pdf = make_pdf(f"evidence {uuid.uuid4()}")  # unique, so its letter can be found by hash
    envelope = server.submit_ok({"recipient": anna["recipient"]}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    letters = server.get("/v1/mailbox/letters", key=anna["mailboxKey"]).json()["items"]
    letter = next(item for item in letters if item["document"]["sha256"] == envelope["documents"][0]["sha256"])
    assert server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=anna["mailboxKey"]).status_code == 200
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "consulted"], timeout=30)

    rows = wait_until(lambda: (r if len(r := evidence_rows(server, envelope["id"])) >= 3 else None), timeout=30, what="three evidence records")
    assert [event for event, _, _ in rows] == ["SubmissionAcceptance", "ContentConsignment", "ContentHandover"]
    for event, record, seal in rows:
        result = verify(server, record, seal, tmp_path)
        assert result.returncode == 0, (event, result.stderr)
        parsed = json.loads(record)
        assert parsed["envelopeId"] == envelope["id"] and parsed["event"] == event
        assert parsed["documents"][0]["sha256"] == envelope["documents"][0]["sha256"]
        # The seal carries a signature timestamp (CAdES-B-T).
        printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "record.p7s"))
        assert "id-smime-aa-timeStampToken" in printed.stdout

    # One changed byte in the record, or in the seal, and openssl refuses.
    _, record, seal = rows[0]
    tampered = bytearray(record)
    tampered[10] ^= 0x01
    assert verify(server, bytes(tampered), seal, tmp_path).returncode != 0
    # A changed byte inside the signed attributes (the record's SHA-256 in message-digest):
    # the signature no longer matches. (The last bytes of a B-T seal are the timestamp
    # token's own signature, which `cms -verify -cades` does not check; the unit tests
    # verify that token with `openssl ts -verify`.)
    import hashlib
    digest = hashlib.sha256(record).digest()
    at = seal.find(digest)
    assert at > 0
    broken = bytearray(seal)
    broken[at] ^= 0x01
    assert verify(server, record, bytes(broken), tmp_path).returncode != 0


def test_not_consulted_after_seven_days_is_sealed(server_factory, pdf: bytes, tmp_path: Path) -> None:
    server = server_factory(name="evidence-clock")  # its own clock: moving it must not disturb others
    beat = server.recipient("digital-never-opens")
    envelope = server.submit_ok({"recipient": beat["recipient"]}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    assert server.post("/v1/sandbox/clock", json={"seconds": 7 * 86_400 + 60}).status_code == 200
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "not_consulted"], timeout=30)
    rows = wait_until(lambda: [r for r in evidence_rows(server, envelope["id"]) if r[0] == "ContentHandoverFailure"], timeout=30,
                      what="the non-consultation record")
    assert verify(server, rows[0][1], rows[0][2], tmp_path).returncode == 0


def test_the_built_in_tsa_answers_rfc3161_queries(shared_server, tmp_path: Path) -> None:
    server = shared_server
    data = tmp_path / "data.bin"
    data.write_bytes(b"anything worth a timestamp\n")
    assert openssl("ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(tmp_path / "req.tsq")).returncode == 0
    reply = requests.post(f"{server.url}/tsa", data=(tmp_path / "req.tsq").read_bytes(), headers={"Content-Type": "application/timestamp-query"}, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/timestamp-reply"
    (tmp_path / "resp.tsr").write_bytes(reply.content)
    verified = openssl("ts", "-verify", "-in", str(tmp_path / "resp.tsr"), "-queryfile", str(tmp_path / "req.tsq"), "-CAfile", server.sandbox["trustAnchor"])
    assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    # Malformed DER is a proper rejection, not an HTTP error.
    bad = requests.post(f"{server.url}/tsa", data=b"\x30\x03garbage", headers={"Content-Type": "application/timestamp-query"}, timeout=30)
    assert bad.status_code == 200
    (tmp_path / "bad.tsr").write_bytes(bad.content)
    text = openssl("ts", "-reply", "-in", str(tmp_path / "bad.tsr"), "-text")
    assert "Rejected" in text.stdout, text.stdout + text.stderr
    assert requests.post(f"{server.url}/tsa", data=b"x", headers={"Content-Type": "text/plain"}, timeout=30).status_code == 415
