"""Sealed evidence through the evidence API, checked by openssl: each legal event of a real run
(acceptance, delivery to the mailbox, opening, non-consultation after the sandbox clock moves
7 days) gets a record sealed as CAdES-B-T by the sandbox's seal and TSA. The records, their
seals and the seal over each accepted document are downloaded over REST (and SOAP
GetEvidence); `openssl cms -verify -cades` accepts them against sandbox.json's trustAnchor
and refuses every tampered variant; the verification endpoint and `missive verify` agree and
say why; another tenant sees none of it; the built-in TSA answers RFC 3161 queries at
POST /tsa that `openssl ts -verify` accepts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from zeep import Client
from zeep.transports import Transport

from missive_testkit import make_pdf, missive_bin, signature_time_stamp, ts_verify, wait_for_events, wait_until

OPENSSL = "/usr/bin/openssl"


def openssl(*args: str) -> subprocess.CompletedProcess:
    assert Path(OPENSSL).exists(), "openssl is missing (scripts/test installs it)"
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=60)


def evidence_list(server, envelope_id: str, key: str | None = None) -> list[dict]:
    response = server.get(f"/v1/envelopes/{envelope_id}/evidence", key=key)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def download(server, path: str, content_type: str) -> bytes:
    response = server.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text)
    assert response.headers["Content-Type"].startswith(content_type), response.headers
    assert "attachment; filename=" in response.headers["Content-Disposition"]
    return response.content


def cms_verify(server, content: bytes, seal: bytes, tmp: Path) -> subprocess.CompletedProcess:
    (tmp / "content.bin").write_bytes(content)
    (tmp / "seal.p7s").write_bytes(seal)
    return openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp / "seal.p7s"), "-content", str(tmp / "content.bin"),
                   "-CAfile", server.sandbox["trustAnchor"], "-purpose", "any", "-cades", "-out", "/dev/null")


def verify_api(server, **fields: bytes | str) -> dict:
    body = {name: (base64.b64encode(value).decode() if isinstance(value, bytes) else value) for name, value in fields.items()}
    response = server.post("/v1/evidence-verifications", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def cli_verify(server, document: Path, evidence: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(missive_bin()), "verify", str(document), str(evidence), "--trust-anchor", server.sandbox["trustAnchor"], *extra],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def opened_letter(shared_server) -> dict:
    """A letter delivered to a mailbox and opened, with its three sealed records."""
    server = shared_server
    anna = server.recipient("digital")
    pdf = make_pdf(f"evidence {uuid.uuid4()}")  # unique, so its letter can be found by hash
    envelope = server.submit_ok({"recipient": anna["recipient"]}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    letters = server.get("/v1/mailbox/letters", key=anna["mailboxKey"]).json()["items"]
    letter = next(item for item in letters if item["document"]["sha256"] == envelope["documents"][0]["sha256"])
    downloaded = server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=anna["mailboxKey"])
    assert downloaded.status_code == 200 and downloaded.content == pdf
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "consulted"], timeout=30)
    items = wait_until(lambda: (r if len(r := evidence_list(server, envelope["id"])) >= 3 else None), timeout=30, what="three evidence records")
    return {"envelope": envelope, "pdf": downloaded.content, "items": items}


def test_every_legal_event_is_sealed_and_openssl_verifies_it(shared_server, opened_letter: dict, tmp_path: Path) -> None:
    server, envelope, items = shared_server, opened_letter["envelope"], opened_letter["items"]
    assert Path(server.sandbox["trustAnchor"]).exists()
    assert [item["event"] for item in items] == ["SubmissionAcceptance", "ContentConsignment", "ContentHandover"]
    for item in items:
        assert server.get(f"/v1/evidence/{item['id']}").json() == item
        record = download(server, item["recordUrl"], "application/octet-stream")
        seal = download(server, item["sealUrl"], "application/pkcs7-signature")
        result = cms_verify(server, record, seal, tmp_path)
        assert result.returncode == 0, (item["event"], result.stderr)
        parsed = json.loads(record)
        assert (parsed["evidenceId"], parsed["envelopeId"], parsed["event"], parsed["eventId"]) == (item["id"], envelope["id"], item["event"], item["eventId"])
        assert parsed["documents"][0]["sha256"] == envelope["documents"][0]["sha256"] == item["documents"][0]["sha256"]
        # The seal carries a signature time-stamp (CAdES-B-T) that openssl verifies on its own.
        signature, token = signature_time_stamp(seal)
        stamped = ts_verify(token, signature, server.sandbox["trustAnchor"], tmp_path)
        assert stamped.returncode == 0 and "Verification: OK" in stamped.stdout, stamped.stdout + stamped.stderr
        assert ts_verify(token, signature[:-1] + bytes([signature[-1] ^ 1]), server.sandbox["trustAnchor"], tmp_path).returncode != 0

    # One changed byte in the record, or in the seal's signed attributes, and openssl refuses.
    record = download(server, items[0]["recordUrl"], "application/octet-stream")
    seal = download(server, items[0]["sealUrl"], "application/pkcs7-signature")
    tampered = bytearray(record)
    tampered[10] ^= 0x01
    assert cms_verify(server, bytes(tampered), seal, tmp_path).returncode != 0
    at = seal.find(hashlib.sha256(record).digest())  # the message-digest attribute
    assert at > 0
    broken = bytearray(seal)
    broken[at] ^= 0x01
    assert cms_verify(server, record, bytes(broken), tmp_path).returncode != 0


def test_each_accepted_document_has_its_own_seal(shared_server, opened_letter: dict, tmp_path: Path) -> None:
    server, items, pdf = shared_server, opened_letter["items"], opened_letter["pdf"]
    acceptance = items[0]
    url = acceptance["documents"][0]["sealUrl"]
    assert url == f"/v1/evidence/{acceptance['id']}/documents/0/seal"
    document_seal = download(server, url, "application/pkcs7-signature")
    # The seal verifies against the very PDF the recipient downloaded...
    result = cms_verify(server, pdf, document_seal, tmp_path)
    assert result.returncode == 0, result.stderr
    signature, token = signature_time_stamp(document_seal)
    assert ts_verify(token, signature, server.sandbox["trustAnchor"], tmp_path).returncode == 0
    # ...and not against a copy changed by one byte.
    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    assert cms_verify(server, bytes(altered), document_seal, tmp_path).returncode != 0
    # Only acceptance evidence seals documents; indexes past the documents are 404.
    assert "sealUrl" not in items[1]["documents"][0]
    assert server.get(f"/v1/evidence/{items[1]['id']}/documents/0/seal").status_code == 404
    assert server.get(f"/v1/evidence/{acceptance['id']}/documents/1/seal").status_code == 404


def test_the_verification_endpoint_says_what_holds_and_why_not(shared_server, opened_letter: dict) -> None:
    server, items, pdf = shared_server, opened_letter["items"], opened_letter["pdf"]
    record = download(server, items[0]["recordUrl"], "application/octet-stream")
    seal = download(server, items[0]["sealUrl"], "application/pkcs7-signature")
    good = verify_api(server, record=record, seal=seal, document=pdf)
    assert good["valid"] is True, good
    assert [c["name"] for c in good["checks"]] == ["record", "seal", "certificate", "timestamp", "document"]
    assert good["evidenceId"] == items[0]["id"] and good["event"] == "SubmissionAcceptance" and good["timeStampTime"]
    assert verify_api(server, record=record, seal=seal, documentSha256=hashlib.sha256(pdf).hexdigest())["valid"] is True

    tampered = bytearray(record)
    tampered[10] ^= 0x01
    bad = verify_api(server, record=bytes(tampered), seal=seal)
    assert bad["valid"] is False
    seal_check = next(c for c in bad["checks"] if c["name"] == "seal")
    assert seal_check["passed"] is False and "changed after sealing" in seal_check["detail"]

    other = verify_api(server, record=record, seal=seal, document=make_pdf("another letter"))
    assert other["valid"] is False
    assert [c["name"] for c in other["checks"] if not c["passed"]] == ["document"]

    document_seal = download(server, items[0]["documents"][0]["sealUrl"], "application/pkcs7-signature")
    assert verify_api(server, seal=document_seal, document=pdf)["valid"] is True
    assert verify_api(server, seal=document_seal, document=pdf + b"\n")["valid"] is False
    # Nothing to check the seal against, or two different documents: a negative verdict.
    assert verify_api(server, seal=seal)["valid"] is False
    assert verify_api(server, seal=seal, record=record, document=pdf, documentSha256="00" * 32)["valid"] is False
    assert verify_api(server, seal=b"")["valid"] is False
    # Input that breaks the schema is a problem, not a verdict.
    assert server.post("/v1/evidence-verifications", json={"record": "!!!", "seal": "%%%"}).status_code == 400
    assert server.post("/v1/evidence-verifications", json={"seal": base64.b64encode(seal).decode(), "documentSha256": "zz"}).status_code == 400
    assert server.post("/v1/evidence-verifications", json={"record": base64.b64encode(record).decode()}).status_code == 400


def test_missive_verify_checks_a_document_offline(shared_server, opened_letter: dict, tmp_path: Path) -> None:
    server, items, pdf = shared_server, opened_letter["items"], opened_letter["pdf"]
    evidence_id = items[0]["id"]
    (tmp_path / f"{evidence_id}.json").write_bytes(download(server, items[0]["recordUrl"], "application/octet-stream"))
    (tmp_path / f"{evidence_id}.p7s").write_bytes(download(server, items[0]["sealUrl"], "application/pkcs7-signature"))
    (tmp_path / "document-seal.p7s").write_bytes(download(server, items[0]["documents"][0]["sealUrl"], "application/pkcs7-signature"))
    (tmp_path / "letter.pdf").write_bytes(pdf)
    altered = bytearray(pdf)
    altered[-20] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))

    ok = cli_verify(server, tmp_path / "letter.pdf", tmp_path / f"{evidence_id}.json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("VALID") and "SubmissionAcceptance" in ok.stdout
    bad = cli_verify(server, tmp_path / "altered.pdf", tmp_path / f"{evidence_id}.json")
    assert bad.returncode == 1 and "INVALID" in bad.stdout and "not among the documents" in bad.stdout, bad.stdout
    assert cli_verify(server, tmp_path / "letter.pdf", tmp_path / "document-seal.p7s").returncode == 0
    sealed_bad = cli_verify(server, tmp_path / "altered.pdf", tmp_path / "document-seal.p7s")
    assert sealed_bad.returncode == 1 and "changed after sealing" in sealed_bad.stdout, sealed_bad.stdout
    # Another operator's root is not this seal's trust anchor.
    foreign = tmp_path / "foreign-root.pem"
    assert openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "k.pem"),
                   "-out", str(foreign), "-subj", "/CN=Someone else", "-days", "1").returncode == 0
    other = subprocess.run([str(missive_bin()), "verify", str(tmp_path / "letter.pdf"), str(tmp_path / f"{evidence_id}.json"), "--trust-anchor", str(foreign)],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and "does not chain to the trust anchor" in other.stdout, other.stdout


def test_another_tenant_sees_no_evidence(shared_server, opened_letter: dict) -> None:
    server, envelope, items = shared_server, opened_letter["envelope"], opened_letter["items"]
    other = server.create_org("Other Evidence AG")
    assert server.get(f"/v1/envelopes/{envelope['id']}/evidence", key=other["apiKey"]).status_code == 404
    for path in (f"/v1/evidence/{items[0]['id']}", items[0]["recordUrl"], items[0]["sealUrl"], items[0]["documents"][0]["sealUrl"]):
        response = server.get(path, key=other["apiKey"])
        assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json", path
    assert server.get("/v1/evidence/evd_01JDQ8Z6X5A0000000000000B1").status_code == 404
    assert server.get("/v1/evidence/not-an-id").status_code == 404
    # A mailbox key is not a sender's key.
    assert server.get(f"/v1/evidence/{items[0]['id']}", key=server.recipient("digital")["mailboxKey"]).status_code == 403


@pytest.mark.parametrize("port", ["MissiveSoap11", "MissiveSoap12"])
def test_soap_get_evidence_returns_the_same_sealed_bytes(shared_server, opened_letter: dict, port: str, tmp_path: Path) -> None:
    server, envelope, items = shared_server, opened_letter["envelope"], opened_letter["items"]
    session = requests.Session()
    session.auth = (server.sandbox["organisationId"], server.api_key)
    service = Client(f"{server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", port)
    evidence = service.GetEvidence(envelopeId=envelope["id"])
    assert [e.evidenceId for e in evidence][:3] == [item["id"] for item in items]
    first = evidence[0]
    assert first.record == download(server, items[0]["recordUrl"], "application/octet-stream")
    assert first.seal == download(server, items[0]["sealUrl"], "application/pkcs7-signature")
    assert cms_verify(server, first.record, first.seal, tmp_path).returncode == 0
    (document_seal,) = first.documentSeal
    assert document_seal.index == 0 and document_seal.sha256 == envelope["documents"][0]["sha256"]
    assert cms_verify(server, opened_letter["pdf"], document_seal.seal, tmp_path).returncode == 0
    assert evidence[1].documentSeal == []
    # Another tenant: the same fault as for its envelope.
    other = server.create_org(f"Other SOAP Evidence {port}")
    foreign = requests.Session()
    foreign.auth = (other["organisationId"], other["apiKey"])
    stranger = Client(f"{server.url}/soap?wsdl", transport=Transport(session=foreign)).bind("MissiveService", port)
    from zeep.exceptions import Fault
    with pytest.raises(Fault) as fault:
        stranger.GetEvidence(envelopeId=envelope["id"])
    assert "No such envelope" in fault.value.message


def test_not_consulted_after_seven_days_is_sealed(server_factory, pdf: bytes, tmp_path: Path) -> None:
    server = server_factory(name="evidence-clock")  # its own clock: moving it must not disturb others
    beat = server.recipient("digital-never-opens")
    envelope = server.submit_ok({"recipient": beat["recipient"]}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    assert server.post("/v1/sandbox/clock", json={"seconds": 7 * 86_400 + 60}).status_code == 200
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "not_consulted"], timeout=30)
    (item,) = wait_until(lambda: [i for i in evidence_list(server, envelope["id"]) if i["event"] == "ContentHandoverFailure"], timeout=30,
                         what="the non-consultation record")
    record = download(server, item["recordUrl"], "application/octet-stream")
    assert json.loads(record)["reason"]["code"] == "not_opened"
    assert cms_verify(server, record, download(server, item["sealUrl"], "application/pkcs7-signature"), tmp_path).returncode == 0


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
    # An unsupported hash (SHA-1) is a rejection with badAlg.
    assert openssl("ts", "-query", "-data", str(data), "-sha1", "-out", str(tmp_path / "sha1.tsq")).returncode == 0
    sha1 = requests.post(f"{server.url}/tsa", data=(tmp_path / "sha1.tsq").read_bytes(), headers={"Content-Type": "application/timestamp-query"}, timeout=30)
    assert sha1.status_code == 200
    (tmp_path / "sha1.tsr").write_bytes(sha1.content)
    text = openssl("ts", "-reply", "-in", str(tmp_path / "sha1.tsr"), "-text")
    assert "Rejected" in text.stdout and "unrecognized or unsupported algorithm" in text.stdout.lower(), text.stdout
    assert requests.post(f"{server.url}/tsa", data=b"x", headers={"Content-Type": "text/plain"}, timeout=30).status_code == 415
