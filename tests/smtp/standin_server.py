#!/usr/bin/env python3
"""A stand-in for Missive's SMTP listener, and a plain SMTP recorder - dev aids only.

`StandIn`   ESMTP on 127.0.0.1 with STARTTLS (a self-signed certificate), AUTH PLAIN/LOGIN
            only after STARTTLS, MAIL refused before AUTH (530 5.7.0), messages without a
            PDF part refused with 554 5.6.0 and accepted ones answered
            `250 2.0.0 Ok: queued as env_...` - roughly the contract of Missive's listener.
            It proves that scripts/postfix-relay really does STARTTLS + SASL + transport
            (tests/smtp/test_harness.py) without the real listener.
`Recorder`  a plain SMTP server that records every message (no TLS, no AUTH): where the
            Postfix relay delivers bounces for the sender's domain.

Both are aiosmtpd servers running in a background thread. Every message is kept as a
`Received` with the envelope, the raw bytes and how the session looked (TLS? which AUTH
login?).

Run by hand:  python3 tests/smtp/standin_server.py --port 2526 --dir /tmp/standin
"""

from __future__ import annotations

import argparse
import email
import email.policy
import secrets
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd 1.4 logs every session at INFO on the "mail.log" logger, and a WARNING about
# its own use of the deprecated Session.login_data after every AUTH; keep test output quiet.
import logging
import warnings

logging.getLogger("mail.log").setLevel(logging.ERROR)
# StandIn(offer_tls=False) requires AUTH without TLS on purpose.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_self_signed_cert(directory: Path, common_name: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed RSA certificate for `common_name` (also in subjectAltName, with
    IP:127.0.0.1 and DNS:localhost), made with the openssl CLI. Returns (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "standin-cert.pem", directory / "standin-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", f"/CN={common_name}", "-addext", f"subjectAltName=DNS:{common_name},DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None
    peer: str
    queue_id: str = ""

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Handler:
    def __init__(self, owner: "_Server") -> None:
        self.owner = owner

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.owner.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.owner.sender_domains and address.rpartition("@")[2].lower() not in self.owner.sender_domains:
            return "553 5.7.1 Sender address not allowed for this organisation"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.owner.recipient_domains and address.rpartition("@")[2].lower() not in self.owner.recipient_domains:
            return "550 5.7.1 Relay access denied"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        item = Received(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=data,
                        tls=session.ssl is not None, login=_login(session.auth_data), peer=str(session.peer))
        if self.owner.require_pdf and not _has_pdf(data):
            self.owner._record(item, accepted=False)
            return "554 5.6.0 The message has no PDF attachment (stand-in)"
        item.queue_id = self.owner.id_prefix + secrets.token_hex(13).upper()
        self.owner._record(item, accepted=True)
        return f"250 2.0.0 Ok: queued as {item.queue_id}"


def _login(auth_data) -> str | None:
    if isinstance(auth_data, LoginPassword):
        return auth_data.login.decode("utf-8", "replace")
    return None


def _has_pdf(data: bytes) -> bool:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "application/pdf":
            return True
    return False


class _Server:
    require_auth = False
    require_pdf = False
    id_prefix = "env_"  # what `250 2.0.0 Ok: queued as …` names

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted: list[Received] = []
        self.refused: list[Received] = []
        self.sender_domains: set[str] = set()
        self.recipient_domains: set[str] = set()
        self._cond = threading.Condition()
        self.controller: Controller | None = None

    def _record(self, item: Received, accepted: bool) -> None:
        with self._cond:
            (self.accepted if accepted else self.refused).append(item)
            self._cond.notify_all()

    def wait_for(self, count: int = 1, timeout: float = 30.0, refused: bool = False) -> list[Received]:
        """Wait until at least `count` messages were accepted (or refused); return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                items = self.refused if refused else self.accepted
                if len(items) >= count:
                    return list(items)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{type(self).__name__} on :{self.port}: {len(items)} of {count} "
                                         f"{'refused' if refused else 'accepted'} messages after {timeout}s")
                self._cond.wait(left)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class StandIn(_Server):
    """STARTTLS + AUTH (after TLS only) + the PDF rule, like Missive's listener."""

    require_auth = True
    require_pdf = True

    def __init__(self, cert: Path, key: Path, username: str, password: str,
                 sender_domains: set[str] = frozenset(), recipient_domains: set[str] = frozenset(),
                 offer_tls: bool = True) -> None:
        super().__init__()
        # offer_tls=False: no STARTTLS at all (AUTH then works in plain text) - to see what
        # a relay that insists on TLS does with such a server.
        self.offer_tls = offer_tls
        self.cert, self.key = Path(cert), Path(key)
        self.username, self.password = username, password
        self.sender_domains = {d.lower() for d in sender_domains}
        self.recipient_domains = {d.lower() for d in recipient_domains}
        # (mechanism, login, succeeded) of every AUTH command.
        self.auth_attempts: list[tuple[str, str, bool]] = []

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        ok = secrets.compare_digest(auth_data.login, self.username.encode()) and \
            secrets.compare_digest(auth_data.password, self.password.encode())
        with self._cond:
            self.auth_attempts.append((mechanism, login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> "StandIn":
        context = None
        if self.offer_tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert), str(self.key))
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10,
            server_hostname="standin.missive.test", ident="Missive stand-in",
            tls_context=context, require_starttls=self.offer_tls,
            authenticator=self._authenticate, auth_required=True, auth_require_tls=self.offer_tls,
            decode_data=False, enable_SMTPUTF8=True, data_size_limit=50 * 1024 * 1024)
        self.controller.start()
        return self


class Recorder(_Server):
    """Plain SMTP, records everything (bounces included: MAIL FROM:<>)."""

    id_prefix = "rec_"

    def start(self) -> "Recorder":
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10,
                                     server_hostname="recorder.test", ident="recorder",
                                     decode_data=False, enable_SMTPUTF8=True, data_size_limit=50 * 1024 * 1024)
        self.controller.start()
        return self


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/missive-standin"), help="where the certificate goes")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--username", default="org_standin")
    ap.add_argument("--password", default="mk_test_standin")
    args = ap.parse_args()
    cert, key = make_self_signed_cert(args.dir)
    server = StandIn(cert, key, args.username, args.password)
    if args.port:
        server.port = args.port
    server.start()
    print(f"stand-in on 127.0.0.1:{server.port} cert {cert} user {args.username} password {args.password}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            if len(server.accepted) + len(server.refused) > seen:
                for item in (server.accepted + server.refused)[seen:]:
                    print(f"{'accepted' if item.queue_id else 'refused'} from={item.mail_from} to={item.rcpt_tos} "
                          f"tls={item.tls} login={item.login} bytes={len(item.data)}", flush=True)
                seen = len(server.accepted) + len(server.refused)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
