"""Helpers shared by the drills: the three ingresses with their idempotency references,
file systems that fill up or turn read-only, and peers that go down and come back.

Everything talks to real processes over real sockets; nothing is mocked.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from missive_testkit import MissiveServer, WebhookReceiver, multipart_body

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
POSTAL_ORDER = ("name", "addressLine2", "street", "houseNumber", "postcode", "town", "country")


def drill_seed() -> int:
    """The random seed of a drill run: $MISSIVE_DRILL_SEED to repeat one, else fresh (printed)."""
    raw = os.environ.get("MISSIVE_DRILL_SEED")
    seed = int(raw) if raw else random.SystemRandom().randrange(1 << 31)
    print(f"\ndrill seed: MISSIVE_DRILL_SEED={seed}")
    return seed


def write_config(path: Path, **settings: Any) -> Path:
    """A `--config` JSON file (keys as in docs/configuration.md)."""
    path.write_text(json.dumps(settings, indent=1))
    return path


# --------------------------------------------------------------------------------------
# Ingresses, each with its idempotency reference
# --------------------------------------------------------------------------------------

def rest_submit(server: MissiveServer, envelope: dict, pdf: bytes, key: str, api_key: str | None = None,
                timeout: float = 30) -> requests.Response:
    """POST /v1/envelopes with an Idempotency-Key; the body is byte-identical for the same key."""
    body, ctype = multipart_body(envelope, pdf, boundary=f"drill-{key}")
    return requests.post(server.url + "/v1/envelopes", data=body, timeout=timeout,
                         headers={"Authorization": f"Bearer {api_key or server.api_key}", "Content-Type": ctype, "Idempotency-Key": key})


def recipient_xml(recipient: dict) -> str:
    parts = []
    for field in ("ePostAddress", "uid", "eBillId"):
        if field in recipient:
            parts.append(f"<m:{field}>{recipient[field]}</m:{field}>")
    if "postal" in recipient:
        postal = recipient["postal"]
        parts.append("<m:postal>" + "".join(f"<m:{k}>{postal[k]}</m:{k}>" for k in POSTAL_ORDER if k in postal) + "</m:postal>")
    return "<m:recipient>" + "".join(parts) + "</m:recipient>"


class SoapAnswer:
    def __init__(self, response: requests.Response):
        self.status = response.status_code
        self.text = response.text
        found = re.search(r"<m:envelopeId>(env_[0-9A-Z]+)</m:envelopeId>", self.text)
        self.envelope_id = found.group(1) if found else None
        self.replayed = "<m:replayed>true</m:replayed>" in self.text

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.envelope_id is not None

    def fault(self) -> tuple[str, str]:
        """(faultcode, faultstring) of a SOAP 1.1 fault."""
        code = re.search(r"<faultcode>([^<]*)</faultcode>", self.text)
        text = re.search(r"<faultstring[^>]*>([^<]*)</faultstring>", self.text)
        return (code.group(1) if code else "", text.group(1) if text else "")


def soap_submit(server: MissiveServer, recipient: dict, pdf: bytes, client_reference: str,
                organisation: str | None = None, api_key: str | None = None, timeout: float = 30) -> SoapAnswer:
    """SubmitLetter (SOAP 1.1, inline base64) with a clientReference."""
    body = (f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP11}" xmlns:m="urn:missive:soap:v1"><s:Body><m:SubmitLetter>'
            f"<m:clientReference>{client_reference}</m:clientReference>"
            f"<m:envelope>{recipient_xml(recipient)}</m:envelope>"
            f"<m:document><m:content>{base64.b64encode(pdf).decode()}</m:content></m:document>"
            "</m:SubmitLetter></s:Body></s:Envelope>")
    response = requests.post(f"{server.url}/soap", data=body.encode(), timeout=timeout,
                             headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:missive:soap:v1#SubmitLetter"'},
                             auth=(organisation or server.organisation_id, api_key or server.api_key))
    return SoapAnswer(response)


def smtp_client(server: MissiveServer, timeout: float = 30, username: str | None = None,
                password: str | None = None, source: str | None = None) -> smtplib.SMTP:
    """A logged-in SMTP session (STARTTLS with the sandbox certificate, AUTH)."""
    sandbox = server.sandbox
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    client = smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=timeout,
                          source_address=(source, 0) if source else None)
    client.starttls(context=context)
    client.login(username or sandbox["smtpUsername"], password or sandbox["smtpPassword"])
    return client


def smtp_message(server: MissiveServer, recipient_id: str, message_id: str, pdf: bytes, sender: str | None = None) -> EmailMessage:
    """A letter to `<recipient_id>@<smtpDomain>` with `Message-ID: <message_id>`."""
    sandbox = server.sandbox
    message = EmailMessage()
    message["From"] = sender or sandbox["smtpFrom"]
    message["To"] = f"{recipient_id}@{sandbox['smtpDomain']}"
    message["Subject"] = f"drill {message_id}"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Letter attached.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="letter.pdf")
    return message


def smtp_send(client: smtplib.SMTP, message: EmailMessage, **options: Any) -> tuple[int, str]:
    """Sends one message on an open session: (250, "") or the refusal's (code, text)."""
    try:
        refused = client.send_message(message, **options)
    except smtplib.SMTPDataError as error:
        return error.smtp_code, error.smtp_error.decode(errors="replace")
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return code, text.decode(errors="replace")
    except smtplib.SMTPSenderRefused as error:
        return error.smtp_code, error.smtp_error.decode(errors="replace")
    assert not refused, refused
    return 250, ""


def envelopes_by_reference(server: MissiveServer, api_key: str | None = None) -> dict[str, list[dict]]:
    """Every envelope of the key's organisation, grouped by its ingress reference
    (Idempotency-Key, clientReference or Message-ID)."""
    grouped: dict[str, list[dict]] = {}
    for envelope in server.list_all("/v1/envelopes", params={"limit": 200}, key=api_key):
        # SMTP's reference is "<Message-ID> <recipient address>" (one envelope per recipient).
        reference = (envelope.get("ingressReference") or "").split(" ")[0]
        grouped.setdefault(reference, []).append(envelope)
    return grouped


# --------------------------------------------------------------------------------------
# File systems
# --------------------------------------------------------------------------------------

class Tmpfs:
    """A tmpfs of `size` mounted at `path` (root only); can be made read-only and back."""

    def __init__(self, path: Path, size: str):
        self.path = Path(path)
        self.size = size
        self.mounted = False

    def mount(self) -> "Tmpfs":
        self.path.mkdir(parents=True, exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", f"size={self.size},mode=0755", "tmpfs", str(self.path)])
        self.mounted = True
        return self

    def read_only(self, on: bool) -> None:
        run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.path)])

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)
            self.mounted = False


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}"


def fill(path: Path, leave: int = 0, chunk: int = 1 << 20) -> int:
    """Writes `path` until the file system has at most `leave` bytes left (or is full).
    Returns the bytes written."""
    written = 0
    with open(path, "wb") as out:
        while True:
            stat = os.statvfs(path.parent)
            free = stat.f_bavail * stat.f_frsize
            if free <= leave:
                break
            size = min(chunk, max(4096, free - leave))
            try:
                out.write(b"\0" * size)
                out.flush()
            except OSError:
                break
            written += size
    return written


# --------------------------------------------------------------------------------------
# Peers that go down and come back
# --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeEBillNetwork:
    """An eBill network endpoint (`POST /v1/bills`, docs/configuration.md) that can be
    `up`, answer `503`, `refuse` connections (nothing listens), or `hang` (accepts and never
    answers, like a black-holed peer). It files each bill once per Idempotency-Key and
    records the time of every attempt per key."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mode = "up"
        self.attempts: dict[str, list[float]] = {}
        self.filed: dict[str, dict] = {}
        self.duplicates: list[str] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _listen(self) -> None:
        network = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key", "")
                with network.lock:
                    network.attempts.setdefault(key, []).append(time.monotonic())
                    mode = network.mode
                if mode == "hang":
                    network.release.wait(60)
                    self.close_connection = True
                    return
                if mode != "up":
                    self.answer(503, {"error": "maintenance"})
                    return
                bill = json.loads(body)
                with network.lock:
                    if key in network.filed:
                        network.duplicates.append(key)
                    network.filed.setdefault(key, bill)
                self.answer(201, {"status": "accepted", "networkReference": f"net-{key[-10:]}"})

            def answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, name="fake-ebill", daemon=True).start()

    def set_mode(self, mode: str) -> None:
        assert mode in ("up", "503", "refuse", "hang"), mode
        with self.lock:
            self.mode = mode
        if mode == "refuse" and self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        elif mode != "refuse" and self.server is None:
            self._listen()
        if mode != "hang":
            self.release.set()
        else:
            self.release.clear()

    def close(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class SwitchableReceiver(WebhookReceiver):
    """A webhook receiver that answers 503 while `down` (and counts those answers)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _handle(self, headers: dict, body: bytes) -> int:
        status = super()._handle(headers, body)
        if self.down:
            with self._cond:
                self.requests[-1].status_sent = 503
            return 503
        return status


class ClosableReceiver(WebhookReceiver):
    """A webhook receiver that can stop listening (connection refused) and come back on the
    same port."""

    def stop_listening(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def start_listening(self) -> None:
        host, port = self.server.server_address[:2]
        handler = self.server.RequestHandlerClass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, port), handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()


def partner_reports(spool: Path, status: str, at_least: int = 0) -> int:
    """Acts as the print partner of a live spool: collects every complete job (manifest
    present) from `outbox/` and reports it `status` (`printed`, then `posted`) in `status/`.
    Returns the number of jobs reported."""
    outbox, reports = spool / "outbox", spool / "status"
    done = 0
    for manifest in sorted(outbox.glob("env_*.json")):
        envelope_id = manifest.stem
        report = {"envelopeId": envelope_id, "status": status, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        temp = reports / f".{envelope_id}.{status}.tmp"
        temp.write_text(json.dumps(report))
        temp.rename(reports / f"{int(time.time() * 1000)}-{envelope_id}-{status}.json")
        done += 1
    return done
