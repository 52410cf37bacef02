"""Virus scanning with a real clamd (Debian clamav-daemon), offline, with a local signature
that detects the EICAR test string: an infected PDF is refused on REST, SOAP and SMTP in each
protocol's terms and nothing is stored; with clamd down every ingress refuses with a
retryable error instead of accepting unscanned.
"""

from __future__ import annotations

import shutil
import re
import smtplib
import socket
import ssl
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from missive_testkit import make_pdf, wait_until

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


def eicar_pdf() -> bytes:
    """A structurally valid PDF that carries the EICAR test string in a comment line."""
    return make_pdf("infected").replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + EICAR + b"\n", 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clamd:
    """A private clamd on 127.0.0.1 with one signature database: the EICAR string anywhere."""

    def __init__(self, folder: Path):
        clamd = shutil.which("clamd") or "/usr/sbin/clamd"
        if not Path(clamd).exists():
            pytest.fail("clamd is missing (Debian clamav-daemon): scripts/test installs it", pytrace=False)
        self.folder = folder
        self.port = free_port()
        (folder / "db").mkdir(parents=True)
        (folder / "db" / "missive-test.ndb").write_text(f"Missive.Test.EICAR:0:*:{EICAR.hex()}\n")
        (folder / "clamd.conf").write_text("\n".join([
            "Foreground yes", f"DatabaseDirectory {folder / 'db'}", f"TCPSocket {self.port}", "TCPAddr 127.0.0.1",
            f"LogFile {folder / 'clamd.log'}", "StreamMaxLength 64M", "User root", "",
        ]))
        self.process: subprocess.Popen | None = None
        self.clamd = clamd

    def start(self) -> "Clamd":
        self.process = subprocess.Popen([self.clamd, "-c", str(self.folder / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"zPING\0")
                    return s.recv(16).startswith(b"PONG")
            except OSError:
                return False
        wait_until(ready, timeout=60, what="clamd answering PING")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    daemon = Clamd(tmp_path_factory.mktemp("clamd")).start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def scanning_server(session_server_factory, clamd):
    return session_server_factory("--virus-scanner", f"tcp:127.0.0.1:{clamd.port}", name="virus")


def soap_submit(server, pdf: bytes) -> requests.Response:
    import base64
    body = (f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP11}" xmlns:m="urn:missive:soap:v1"><s:Body><m:SubmitLetter>'
            "<m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:envelope>"
            f"<m:document><m:content>{base64.b64encode(pdf).decode()}</m:content></m:document></m:SubmitLetter></s:Body></s:Envelope>")
    return requests.post(f"{server.url}/soap", data=body.encode(), timeout=60,
                         headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:missive:soap:v1#SubmitLetter"'},
                         auth=(server.sandbox["organisationId"], server.api_key))


def smtp_submit(server, pdf: bytes, tag: str) -> tuple[int, bytes]:
    sandbox = server.sandbox
    message = EmailMessage()
    message["From"] = sandbox["smtpFrom"]
    message["To"] = f"physical@{sandbox['smtpDomain']}"
    message["Subject"] = f"virus test {tag}"
    message["Message-ID"] = f"<virus-{tag}@demo.sandbox.missive.ch>"
    message.set_content("attached")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="letter.pdf")
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=60) as client:
        client.starttls(context=context)
        client.login(sandbox["smtpUsername"], sandbox["smtpPassword"])
        try:
            client.send_message(message)
            return 250, b""
        except smtplib.SMTPDataError as error:
            return error.smtp_code, error.smtp_error


def count(server) -> int:
    return len(server.list_all("/v1/envelopes"))


def test_an_infected_pdf_is_rejected_on_every_ingress_with_rejection_evidence(scanning_server, pdf: bytes, tmp_path) -> None:
    """Each ingress refuses in its own terms; the refusal is kept as a `rejected` envelope
    (reason `virus`) whose SubmissionRejection evidence openssl verifies, so the sender can
    prove what happened; nothing is routed."""
    server = scanning_server
    before = count(server)
    rest = server.submit({"recipient": server.recipient("physical")["recipient"]}, eicar_pdf())
    assert rest.status_code == 422, rest.text
    assert rest.json()["code"] == "virus_detected"
    rejected = [rest.json()["envelopeId"]]
    soap = soap_submit(server, eicar_pdf())
    assert soap.status_code == 500 and "virus_detected" in soap.text and "Client" in soap.text, soap.text[:400]
    rejected.append(re.search(r"recorded as (env_[0-9A-Z]+)", soap.text).group(1))
    code, text = smtp_submit(server, eicar_pdf(), "infected")
    assert code == 554 and b"5.7.1" in text, (code, text)
    rejected.append(re.search(rb"recorded as (env_[0-9A-Z]+)", text).group(1).decode())
    assert count(server) == before + 3
    for envelope_id in rejected:
        envelope = server.envelope(envelope_id)
        assert envelope["status"] == "rejected" and envelope["statusReason"]["code"] == "virus", envelope
        assert [e["type"] for e in server.events(envelope_id)] == ["rejected"]
        (item,) = wait_until(lambda: server.get(f"/v1/envelopes/{envelope_id}/evidence").json()["items"] or None, timeout=30,
                             what="the rejection evidence")
        assert item["event"] == "SubmissionRejection" and item["reason"]["code"] == "virus"
        assert "sealUrl" not in item["documents"][0]  # malware is never sealed as an accepted document
        (tmp_path / "record.json").write_bytes(server.get(item["recordUrl"]).content)
        (tmp_path / "record.p7s").write_bytes(server.get(item["sealUrl"]).content)
        verified = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "record.p7s"),
                                   "-content", str(tmp_path / "record.json"), "-CAfile", server.sandbox["trustAnchor"], "-purpose", "any",
                                   "-cades", "-out", "/dev/null"], capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stderr
    # Clean letters pass on each ingress; a rejected message's Message-ID (its idempotency
    # reference) is free for the cleaned-up letter.
    assert server.submit({"recipient": server.recipient("physical")["recipient"]}, pdf).status_code == 202
    assert soap_submit(server, pdf).status_code == 200
    assert smtp_submit(server, pdf, "clean")[0] == 250
    assert smtp_submit(server, pdf, "infected")[0] == 250
    assert count(server) == before + 7


def test_with_clamd_down_every_ingress_refuses_with_a_retryable_error(session_server_factory, tmp_path_factory, pdf: bytes) -> None:
    daemon = Clamd(tmp_path_factory.mktemp("clamd-down")).start()
    server = session_server_factory("--virus-scanner", f"tcp:127.0.0.1:{daemon.port}", name="virus-down")
    assert server.submit({"recipient": server.recipient("physical")["recipient"]}, pdf).status_code == 202
    daemon.stop()
    before = count(server)
    rest = server.submit({"recipient": server.recipient("physical")["recipient"]}, pdf)
    assert rest.status_code == 503 and int(rest.headers["Retry-After"]) >= 1, rest.text
    soap = soap_submit(server, pdf)
    assert soap.status_code == 500 and "Server" in soap.text and "temporarily_unavailable" in soap.text, soap.text[:400]
    code, text = smtp_submit(server, pdf, "clamd-down")
    assert code == 451, (code, text)
    assert count(server) == before
    # Back up: accepted again.
    daemon.start()
    time.sleep(0.5)
    assert server.submit({"recipient": server.recipient("physical")["recipient"]}, pdf).status_code == 202
    daemon.stop()
