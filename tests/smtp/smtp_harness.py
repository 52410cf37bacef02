"""Helpers for Missive's SMTP suite (tests/smtp).

* `SmtpInfo`        - the SMTP half of sandbox.json (port, credentials, sender, domain, CA).
* `PostfixRelay`    - a private Postfix instance made by scripts/postfix-relay: start, stop,
                      its log (`wait_for_log`, per-queue-id delivery lines), its queue.
* `build_letter()`  - an RFC 5322 message with a PDF attachment (Python's email package).
* `RawSMTP`         - a byte-exact SMTP client on a plain socket (optionally STARTTLS'd):
                      write exactly the bytes a test wants, read replies one by one.
* `smtp_envelopes()`, `wait_for_envelope()`, `envelopes_with_sha()` - the REST side.

Everything talks to real processes over 127.0.0.1; nothing is mocked.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from missive_testkit import wait_until  # noqa: E402,F401 - one polling helper for both suites

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
RELAY_SCRIPT = REPO_ROOT / "scripts" / "postfix-relay"

# Every socket operation has a deadline: a silent server fails a test, it never hangs CI.
SOCKET_TIMEOUT = 20.0


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strip_angles(value: str | None) -> str:
    return (value or "").strip().removeprefix("<").removesuffix(">")


def reference_message_id(ingress_reference: str | None) -> str:
    """The Message-ID in an envelope's `ingressReference`. The contract says the Message-ID is
    the idempotency reference; one message makes one envelope per recipient, so the listener
    may qualify it per recipient (`<id@host> rcpt@domain`): the first word is the Message-ID."""
    words = (ingress_reference or "").split()
    return strip_angles(words[0]) if words else ""


# --------------------------------------------------------------------------------------
# sandbox.json
# --------------------------------------------------------------------------------------

@dataclass
class SmtpInfo:
    host: str
    port: int
    username: str
    password: str
    sender: str          # smtpFrom: a verified sender address of the demo organisation
    domain: str          # smtpDomain: the hub's recipient domain
    certificate: Path    # smtpCertificate: the listener's self-signed certificate (PEM)
    recipients: list[dict]

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    @classmethod
    def from_sandbox(cls, sandbox: dict, data_dir: Path) -> "SmtpInfo":
        missing = [k for k in ("smtpPort", "smtpHost", "smtpUsername", "smtpPassword", "smtpFrom", "smtpDomain",
                               "smtpCertificate") if sandbox.get(k) in (None, "")]
        assert not missing, f"sandbox.json lacks {missing} (is the SMTP listener there, started with --smtp-port 0?)"
        cert = Path(sandbox["smtpCertificate"])
        if not cert.is_absolute():
            cert = (data_dir / cert).resolve()
        assert cert.exists(), f"smtpCertificate {cert} does not exist"
        for r in sandbox["recipients"]:
            assert r.get("smtpAddress"), f"recipient {r.get('id')} has no smtpAddress in sandbox.json"
        return cls(host=sandbox["smtpHost"], port=int(sandbox["smtpPort"]), username=sandbox["smtpUsername"],
                   password=sandbox["smtpPassword"], sender=sandbox["smtpFrom"], domain=sandbox["smtpDomain"],
                   certificate=cert, recipients=sandbox["recipients"])

    def recipient(self, outcome: str) -> dict:
        for r in self.recipients:
            if r.get("outcome") == outcome or r.get("id") == outcome:
                return r
        raise AssertionError(f"no sandbox recipient {outcome!r}: {[r.get('id') for r in self.recipients]}")

    def address(self, outcome: str) -> str:
        return self.recipient(outcome)["smtpAddress"]

    def client_tls(self) -> ssl.SSLContext:
        """Trusts exactly the sandbox certificate. The chain is verified; the host name is
        not (the contract names the file, not the names in it)."""
        ctx = ssl.create_default_context(cafile=str(self.certificate))
        ctx.check_hostname = False
        return ctx

    def auth_plain(self) -> str:
        return base64.b64encode(f"\0{self.username}\0{self.password}".encode()).decode()


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

def new_message_id(tag: str = "smtp") -> str:
    return f"<{tag}-{uuid.uuid4().hex}@tests.missive.test>"


def build_letter(sender: str, to: str | list[str], subject: str, pdf: bytes | None, *, message_id: str | None = None,
                 body: str = "Please find the letter attached.\n", extra_pdfs: list[bytes] = (),
                 filename: str = "letter.pdf", policy: email.policy.Policy = email.policy.SMTP) -> EmailMessage:
    """A multipart/mixed message: a text part and the PDF(s) as base64 attachments."""
    msg = EmailMessage(policy=policy)
    msg["From"] = sender
    msg["To"] = ", ".join(to) if isinstance(to, list) else to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or new_message_id()
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg.set_content(body)
    if pdf is not None:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    for i, extra in enumerate(extra_pdfs):
        msg.add_attachment(extra, maintype="application", subtype="pdf", filename=f"attachment-{i}.pdf")
    return msg


def crlf_bytes(msg: EmailMessage) -> bytes:
    """The message as SMTP wants it: CRLF line ends (policy SMTP / SMTPUTF8)."""
    data = msg.as_bytes()
    assert b"\r\n" in data, "build the message with an SMTP policy"
    return data


def dot_stuff(data: bytes) -> bytes:
    """DATA transparency (RFC 5321 4.5.2) for CRLF-terminated content."""
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..")


# --------------------------------------------------------------------------------------
# Byte-exact SMTP client
# --------------------------------------------------------------------------------------

@dataclass
class Reply:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def enhanced(self) -> str:
        """The RFC 3463 enhanced status code at the start of the (first line's) text, or ''."""
        m = re.match(r"([245]\.\d{1,3}\.\d{1,3})\b", self.lines[0] if self.lines else "")
        return m.group(1) if m else ""

    def __str__(self) -> str:
        return " | ".join(f"{self.code} {line}" for line in self.lines)


class ServerClosed(AssertionError):
    pass


class RawSMTP:
    """An SMTP client that sends exactly the bytes it is given and parses replies.

    `send(b"...")` is one write (one `sendall`); `reply()` reads one complete reply
    (all lines of a multi-line reply). After `starttls()` the same methods go through TLS.
    """

    def __init__(self, host: str, port: int, timeout: float = SOCKET_TIMEOUT) -> None:
        self.host, self.port = host, port
        self.sock: socket.socket = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buffer = b""
        self.transcript: list[str] = []

    # -- io ----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.transcript.append(f"C: {data[:300]!r}{' ...' if len(data) > 300 else ''} ({len(data)} bytes)")
        self.sock.sendall(data)

    def _read_line(self, timeout: float | None) -> bytes:
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ServerClosed(f"server closed the connection (pending {self.buffer!r})\n{self.describe()}")
                self.buffer += chunk
        finally:
            if timeout is not None:
                self.sock.settimeout(old)
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def reply(self, timeout: float | None = None) -> Reply:
        lines: list[str] = []
        code = None
        while True:
            raw = self._read_line(timeout)
            self.transcript.append(f"S: {raw[:300]!r}")
            m = re.match(rb"^(\d{3})([ -])(.*)$", raw)
            assert m, f"not an SMTP reply line: {raw!r}\n{self.describe()}"
            this = int(m.group(1))
            assert code is None or this == code, f"reply code changed inside a multi-line reply: {raw!r}"
            code = this
            lines.append(m.group(3).decode("utf-8", "replace"))
            if m.group(2) == b" ":
                return Reply(code, lines)

    def no_reply_within(self, seconds: float) -> bool:
        """True if nothing at all arrives for `seconds` (the server is waiting for us)."""
        if self.buffer:
            return False
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return True
        finally:
            self.sock.settimeout(SOCKET_TIMEOUT)
        if not chunk:
            raise ServerClosed(f"server closed the connection\n{self.describe()}")
        self.buffer += chunk
        return False

    def is_closed(self, timeout: float = 5.0) -> bool:
        """True if the server closed the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return True
        finally:
            try:
                self.sock.settimeout(SOCKET_TIMEOUT)
            except OSError:
                pass

    def cmd(self, line: str | bytes) -> Reply:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        self.send(data + b"\r\n")
        return self.reply()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def describe(self) -> str:
        return "transcript (last 40):\n  " + "\n  ".join(self.transcript[-40:])

    # -- session helpers ---------------------------------------------------------------

    def greeting(self) -> Reply:
        r = self.reply()
        assert r.code == 220, f"greeting: {r}\n{self.describe()}"
        return r

    def ehlo(self, name: str = "client.tests.missive.test") -> dict[str, str]:
        r = self.cmd(f"EHLO {name}")
        assert r.code == 250, f"EHLO: {r}\n{self.describe()}"
        return parse_ehlo(r.lines[1:])

    def starttls(self, context: ssl.SSLContext) -> None:
        r = self.cmd("STARTTLS")
        assert r.code == 220, f"STARTTLS: {r}\n{self.describe()}"
        assert not self.buffer, f"bytes after the STARTTLS reply, before TLS: {self.buffer!r}"
        self.sock = context.wrap_socket(self.sock, server_hostname=None)
        self.transcript.append("-- TLS established --")

    def login(self, info: SmtpInfo) -> None:
        r = self.cmd(f"AUTH PLAIN {info.auth_plain()}")
        assert r.code == 235, f"AUTH PLAIN: {r}\n{self.describe()}"

    @classmethod
    def authenticated(cls, info: SmtpInfo) -> "RawSMTP":
        """Connected, EHLO, STARTTLS, EHLO, AUTH PLAIN: ready for MAIL FROM."""
        c = cls(info.host, info.port)
        try:
            c.greeting()
            c.ehlo()
            c.starttls(info.client_tls())
            c.ehlo()
            c.login(info)
        except BaseException:
            c.close()
            raise
        return c

    def __enter__(self) -> "RawSMTP":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None:
                self.send(b"QUIT\r\n")
        except OSError:
            pass
        self.close()


def parse_ehlo(lines: list[str]) -> dict[str, str]:
    """EHLO keyword lines -> {KEYWORD: params}."""
    out: dict[str, str] = {}
    for line in lines:
        keyword, _, params = line.strip().partition(" ")
        out[keyword.upper()] = params.strip()
    return out


# --------------------------------------------------------------------------------------
# The REST side
# --------------------------------------------------------------------------------------

def smtp_envelopes(server: Any) -> list[dict]:
    """Every envelope of the demo organisation with ingress smtp (all pages)."""
    return [e for e in server.list_all("/v1/envelopes") if e.get("ingress") == "smtp"]


def main_sha(envelope: dict) -> str | None:
    for d in envelope.get("documents", []):
        if d.get("role") == "main":
            return d.get("sha256")
    return None


def envelopes_with_sha(server: Any, digest: str) -> list[dict]:
    return [e for e in smtp_envelopes(server) if main_sha(e) == digest]


def wait_for_envelopes(server: Any, digest: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
    """Wait until `count` smtp envelopes whose main document has `digest` exist; return them."""
    return wait_until(lambda: (found if len(found := envelopes_with_sha(server, digest)) >= count else None),
                      timeout=timeout, interval=0.5, what=f"{count} smtp envelope(s) with document sha256 {digest}",
                      describe=lambda: f"smtp envelopes now: {[(e['id'], main_sha(e)) for e in smtp_envelopes(server)]}")


QUEUED_AS = re.compile(r"\b(env_[0-9A-Za-z]+)")


def envelope_ids(text: str) -> list[str]:
    return QUEUED_AS.findall(text)


# --------------------------------------------------------------------------------------
# Postfix
# --------------------------------------------------------------------------------------

def postfix_installed() -> str | None:
    """None if Postfix and the SASL client modules are there, else what is missing."""
    for tool in ("postfix", "postconf", "postmap", "postqueue"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            return f"{tool} not found: run scripts/postfix-relay install (apt: postfix libsasl2-modules)"
    import glob
    if not glob.glob("/usr/lib/*/sasl2/libplain.so*") and not glob.glob("/usr/lib/sasl2/libplain.so*"):
        return "the Cyrus SASL PLAIN module is missing: apt-get install libsasl2-modules"
    return None


@dataclass
class Delivery:
    """One `QID: to=<...>, relay=..., dsn=..., status=...` line of Postfix's log."""
    queue_id: str
    pid: str
    recipient: str
    relay: str
    dsn: str
    status: str
    detail: str
    line: str


DELIVERY_LINE = re.compile(
    r"postfix-relay(?:/[\w-]+)+\[(?P<pid>\d+)\]: (?P<qid>[0-9A-F]+): to=<(?P<to>[^>]*)>,"
    r"(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]+), .*?dsn=(?P<dsn>[\d.]+), status=(?P<status>\w+) \((?P<detail>.*)\)$")


class PostfixRelay:
    """A private Postfix instance (scripts/postfix-relay) in its own directory.

    The directory is made with mkdtemp under /tmp (world-traversable: pytest's own tmp dirs
    are 0700 and Postfix's unprivileged daemons must reach their queue)."""

    def __init__(self, name: str = "relay") -> None:
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"missive-postfix-{name}-"))
        os.chmod(self.dir, 0o755)
        self.port = 0
        self.started = False
        self.output = ""

    @property
    def log_path(self) -> Path:
        return self.dir / "maillog"

    def start(self, *args: str, port: int | None = None, password: str | None = None) -> "PostfixRelay":
        self.port = port or free_port()
        env = dict(os.environ)
        if password is not None:
            env["MISSIVE_SMTP_PASSWORD"] = password
        proc = subprocess.run([str(RELAY_SCRIPT), "start", str(self.dir), "--port", str(self.port), *args],
                              capture_output=True, text=True, timeout=120, env=env)
        self.output = proc.stdout + proc.stderr
        self.started = True  # even a failed start may have left a master running
        if proc.returncode != 0:
            raise AssertionError(f"scripts/postfix-relay start failed ({proc.returncode}):\n{self.output}\n{self.log_tail()}")
        return self

    def stop(self, remove: bool = True) -> None:
        if self.started:
            subprocess.run([str(RELAY_SCRIPT), "stop", str(self.dir)], capture_output=True, text=True, timeout=60)
            self.started = False
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, command: str) -> str:
        proc = subprocess.run([str(RELAY_SCRIPT), command, str(self.dir)], capture_output=True, text=True, timeout=60)
        return proc.stdout + proc.stderr

    def flush(self) -> None:
        self.run("flush")

    def queue(self) -> str:
        return self.run("queue")

    # -- log -----------------------------------------------------------------------------

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        text = self.log().splitlines()
        return f"----- last {lines} lines of {self.log_path} -----\n" + "\n".join(text[-lines:])

    def wait_for_log(self, pattern: str, timeout: float = 60.0) -> re.Match:
        regex = re.compile(pattern, re.M)
        return wait_until(lambda: regex.search(self.log()), timeout=timeout, interval=0.2,
                          what=f"/{pattern}/ in {self.log_path}", describe=self.log_tail)

    def queue_id_of(self, message_id: str, after: int = 0, timeout: float = 30.0) -> str:
        """The queue id cleanup logged for a Message-ID (the first one at or after log
        offset `after`, so a message sent twice can be told apart)."""
        regex = re.compile(r"cleanup\[\d+\]: ([0-9A-F]+): message-id=" + re.escape(message_id) + r"\s*$", re.M)

        def find() -> str | None:
            m = regex.search(self.log(), after)
            return m.group(1) if m else None

        return wait_until(find, timeout=timeout, interval=0.2, what=f"cleanup line for {message_id}",
                          describe=self.log_tail)

    def deliveries(self, queue_id: str) -> list[Delivery]:
        out = []
        for line in self.log().splitlines():
            m = DELIVERY_LINE.search(line)
            if m and m.group("qid") == queue_id:
                out.append(Delivery(queue_id, m.group("pid"), m.group("to"), m.group("relay"), m.group("dsn"),
                                    m.group("status"), m.group("detail"), line))
        return out

    def wait_for_final(self, queue_id: str, timeout: float = 60.0) -> Delivery:
        """Wait for a final (sent / bounced) delivery line for one queue id; deferrals are
        retried by Postfix meanwhile (queue_run_delay 1s)."""
        def final() -> Delivery | None:
            for d in self.deliveries(queue_id):
                if d.status in ("sent", "bounced"):
                    return d
            return None

        return wait_until(final, timeout=timeout, interval=0.3, what=f"final delivery of {queue_id}",
                          describe=lambda: self.log_tail() + "\n----- queue -----\n" + self.queue())

    def tls_line_for(self, delivery: Delivery, port: int) -> str | None:
        """The `TLS connection established to 127.0.0.1[127.0.0.1]:PORT` line logged by the
        same smtp process (pid) before its delivery line: the delivery used that session or
        a cached one of the same process."""
        regex = re.compile(r"\[" + delivery.pid + r"\]: (\w+) TLS connection established to [^:]+:" + str(port) + r": (.*)$")
        last = None
        for line in self.log().splitlines():
            if line == delivery.line:
                break
            if regex.search(line):
                last = line
        return last


def send_via(port: int, sender: str, recipients: list[str], data: bytes, **kw: Any) -> dict:
    """Submit raw message bytes to an SMTP server (e.g. the Postfix relay) with smtplib."""
    import smtplib

    with smtplib.SMTP("127.0.0.1", port, timeout=SOCKET_TIMEOUT) as s:
        return s.sendmail(sender, recipients, data, **kw)


def parse_dsn(data: bytes) -> dict:
    """Parse a bounce (RFC 3464 multipart/report) -> {'report': Message, 'per_recipient':
    [fields...], 'per_message': fields, 'original': Message | None}."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/report", f"not multipart/report: {msg.get_content_type()}"
    assert msg.get_param("report-type") == "delivery-status", f"report-type {msg.get_param('report-type')!r}"
    parts = list(msg.iter_parts())
    status_parts = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    assert len(status_parts) == 1, [p.get_content_type() for p in parts]
    blocks = status_parts[0].get_payload()
    assert isinstance(blocks, list) and len(blocks) >= 2, f"delivery-status blocks: {blocks!r}"
    original = None
    for p in parts:
        if p.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = p.get_payload()[0] if p.get_content_type() == "message/rfc822" else \
                email.message_from_string(p.get_content(), policy=email.policy.default)
    return {"report": msg, "per_message": blocks[0], "per_recipient": blocks[1:], "original": original,
            "human": parts[0]}
