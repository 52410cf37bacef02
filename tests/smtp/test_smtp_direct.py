"""Missive's SMTP listener spoken to directly with smtplib (no Postfix in between).

The contract: EHLO advertises PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES,
STARTTLS, CHUNKING, DSN, and AUTH PLAIN LOGIN only after STARTTLS; MAIL FROM needs AUTH and
a verified sender domain of the organisation; RCPT only for the hub domain; a message needs
a PDF; success is `250 2.0.0 Ok: queued as env_…` (every recipient's envelope id in the one
reply).
"""

from __future__ import annotations

import base64
import email.policy
import smtplib
import ssl
import time
from typing import Iterator

import pytest

from smtp_harness import (
    SOCKET_TIMEOUT,
    RawSMTP,
    ServerClosed,
    SmtpInfo,
    build_letter,
    crlf_bytes,
    envelope_ids,
    envelopes_with_sha,
    main_sha,
    new_message_id,
    sha256_hex,
    smtp_envelopes,
    reference_message_id,
    strip_angles,
    wait_for_envelopes,
)

REQUIRED = {"PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS", "CHUNKING", "DSN"}


def connect(smtp: SmtpInfo) -> smtplib.SMTP:
    return smtplib.SMTP(smtp.host, smtp.port, local_hostname="client.tests.missive.test", timeout=SOCKET_TIMEOUT)


def tls_session(smtp: SmtpInfo) -> smtplib.SMTP:
    s = connect(smtp)
    s.ehlo()
    s.starttls(context=smtp.client_tls())
    s.ehlo()
    return s


@pytest.fixture
def authed(smtp: SmtpInfo) -> Iterator[smtplib.SMTP]:
    s = tls_session(smtp)
    s.login(smtp.username, smtp.password)
    yield s
    try:
        s.quit()
    except (smtplib.SMTPException, OSError):
        s.close()


def enhanced(text: bytes | str) -> str:
    t = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return t.split(" ", 1)[0]


def submit(s: smtplib.SMTP, sender: str, to: list[str], data: bytes, mail_options: list[str] = ()) -> tuple[int, str]:
    code, text = s.mail(sender, list(mail_options))
    assert code == 250, f"MAIL FROM:<{sender}> -> {code} {text!r}"
    for rcpt in to:
        code, text = s.rcpt(rcpt)
        assert code == 250, f"RCPT TO:<{rcpt}> -> {code} {text!r}"
    code, text = s.data(data)
    return code, text.decode("utf-8", "replace")


# --------------------------------------------------------------------------------------
# EHLO
# --------------------------------------------------------------------------------------

def test_ehlo_advertises_the_extensions(smtp: SmtpInfo) -> None:
    s = connect(smtp)
    try:
        code, _ = s.ehlo()
        assert code == 250
        before = {k.upper(): v for k, v in s.esmtp_features.items()}
        missing = REQUIRED - set(before)
        assert not missing, f"EHLO lacks {sorted(missing)}: {before}"
        assert "AUTH" not in before, f"AUTH must be offered only after STARTTLS, got AUTH {before['AUTH']!r}"
        size = before["SIZE"].strip()
        assert size.isdigit() and 0 < int(size) <= 1 << 30, f"SIZE must carry the fixed limit (RFC 1870): {size!r}"

        s.starttls(context=smtp.client_tls())
        code, _ = s.ehlo()
        assert code == 250
        after = {k.upper(): v for k, v in s.esmtp_features.items()}
        assert "STARTTLS" not in after, "STARTTLS must not be offered again inside TLS (RFC 3207)"
        missing = (REQUIRED - {"STARTTLS"}) - set(after)
        assert not missing, f"EHLO after STARTTLS lacks {sorted(missing)}: {after}"
        mechanisms = set(after.get("AUTH", "").upper().split())
        assert {"PLAIN", "LOGIN"} <= mechanisms, f"AUTH after STARTTLS: {after.get('AUTH')!r}"
        assert after["SIZE"].strip() == size
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# Submissions that work
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "LOGIN-no-initial-response", "PLAIN-no-initial-response"])
def test_submit_a_letter(mechanism: str, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """smtplib sends `AUTH PLAIN <token>` and `AUTH LOGIN <user>` with an initial response by
    default; the `-no-initial-response` variants wait for the 334 challenges instead."""
    pdf = pdf_factory(f"direct {mechanism} {unique}")
    to = smtp.address("physical")
    subject = f"Direct {mechanism} {unique}"
    mid = new_message_id("direct")
    s = tls_session(smtp)
    try:
        s.user, s.password = smtp.username, smtp.password
        name = mechanism.split("-")[0]
        code, text = s.auth(name, s.auth_plain if name == "PLAIN" else s.auth_login,
                            initial_response_ok="no-initial" not in mechanism)
        assert code == 235, (code, text)
        code, text = submit(s, smtp.sender, [to], crlf_bytes(build_letter(smtp.sender, to, subject, pdf, message_id=mid)))
    finally:
        s.quit()
    assert code == 250 and text.startswith("2.0.0 Ok: queued as env_"), (code, text)
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert envelope_ids(text) == [env["id"]], (text, env["id"])
    assert env["ingress"] == "smtp"
    assert env["recipient"] == smtp.recipient("physical")["recipient"]
    assert env["title"] == subject
    assert reference_message_id(env.get("ingressReference")) == strip_angles(mid)
    main = [d for d in env["documents"] if d["role"] == "main"]
    assert len(main) == 1 and main[0]["byteSize"] == len(pdf), env["documents"]


def test_two_recipients_one_reply(authed: smtplib.SMTP, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"direct two {unique}")
    to = [smtp.address("physical"), smtp.address("digital")]
    code, text = submit(authed, smtp.sender, to, crlf_bytes(build_letter(smtp.sender, to, f"Two {unique}", pdf)))
    assert code == 250 and text.startswith("2.0.0 Ok: queued as env_"), (code, text)
    ids = envelope_ids(text)
    assert len(ids) == 2 and len(set(ids)) == 2, f"one envelope id per recipient in the one reply: {text}"
    envs = wait_for_envelopes(missive, sha256_hex(pdf), count=2, timeout=15)
    assert {e["id"] for e in envs} == set(ids)
    recipients = [e["recipient"] for e in envs]
    for outcome in ("physical", "digital"):
        assert smtp.recipient(outcome)["recipient"] in recipients, (outcome, recipients)


def test_first_pdf_is_the_letter(authed: smtplib.SMTP, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    first, second = pdf_factory(f"first {unique}"), pdf_factory(f"second {unique}")
    to = smtp.address("physical")
    code, text = submit(authed, smtp.sender, [to],
                        crlf_bytes(build_letter(smtp.sender, to, f"Two PDFs {unique}", first, extra_pdfs=[second])))
    assert code == 250, (code, text)
    (env,) = wait_for_envelopes(missive, sha256_hex(first), timeout=15)
    assert main_sha(env) == sha256_hex(first)
    assert sha256_hex(second) in [d["sha256"] for d in env["documents"] if d["role"] == "attachment"], env["documents"]


def test_smtputf8(authed: smtplib.SMTP, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """A UTF-8 local part in MAIL FROM (RFC 6531) and a raw UTF-8 Subject (RFC 6532)."""
    pdf = pdf_factory(f"utf8 {unique}")
    sender = f"jürg.müller.{unique}@{smtp.sender_domain}"
    to = smtp.address("physical")
    subject = f"Kündigung – Grüße aus Zürich ✉ {unique}"
    msg = build_letter(sender, to, subject, pdf, body="Grüezi\n", policy=email.policy.SMTPUTF8)
    data = msg.as_bytes()
    assert subject.encode() in data, "the Subject must travel as raw UTF-8"
    code, text = submit(authed, sender, [to], data, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert code == 250 and "env_" in text, (code, text)
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["title"] == subject, env


def test_utf8_sender_without_smtputf8_is_refused(smtp: SmtpInfo, unique: str) -> None:
    """RFC 6531 3.4: non-ASCII in MAIL FROM without the SMTPUTF8 parameter is an error (the
    RFC's reply is 553 5.6.7); no transaction starts."""
    with RawSMTP.authenticated(smtp) as c:
        r = c.cmd(f"MAIL FROM:<jürg.{unique}@{smtp.sender_domain}>")
        assert 500 <= r.code < 600, f"non-ASCII MAIL FROM without SMTPUTF8 accepted: {r}"
        r = c.cmd(f"RCPT TO:<{smtp.address('physical')}>")
        assert r.code == 503, f"RCPT after a refused MAIL: {r}"


# --------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["AUTH PLAIN {plain}", "AUTH LOGIN"])
def test_auth_before_starttls_is_refused(command: str, smtp: SmtpInfo) -> None:
    s = connect(smtp)
    try:
        s.ehlo()
        verb, _, arg = command.format(plain=smtp.auth_plain()).partition(" ")
        code, text = s.docmd(verb, arg)
        assert code in (530, 538), f"{command.split()[0:2]} before STARTTLS -> {code} {text!r}"
        assert enhanced(text).startswith("5.7."), text
        # And the session is not authenticated by it.
        code, text = s.docmd("MAIL", f"FROM:<{smtp.sender}>")
        assert code == 530 and enhanced(text) == "5.7.0", (code, text)
    finally:
        s.close()


@pytest.mark.parametrize("which", ["password", "username"])
def test_wrong_credentials_535(which: str, smtp: SmtpInfo) -> None:
    s = tls_session(smtp)
    try:
        user = smtp.username if which == "password" else "org_doesnotexist0000000000"
        password = smtp.password + "x" if which == "password" else smtp.password
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        code, text = s.docmd("AUTH", f"PLAIN {token}")
        assert code == 535 and enhanced(text) == "5.7.8", (code, text)
        code, text = s.docmd("MAIL", f"FROM:<{smtp.sender}>")
        assert code == 530, f"MAIL after a failed AUTH: {code} {text!r}"
        # A later correct AUTH on the same connection still works.
        code, text = s.docmd("AUTH", f"PLAIN {smtp.auth_plain()}")
        assert code == 235, (code, text)
    finally:
        s.close()


def test_unauthenticated_mail_from_530(smtp: SmtpInfo) -> None:
    """No client allowlist: 127.0.0.1 is not trusted, with or without TLS."""
    s = connect(smtp)
    try:
        s.ehlo()
        code, text = s.docmd("MAIL", f"FROM:<{smtp.sender}>")
        assert code == 530 and enhanced(text) == "5.7.0", (code, text)
    finally:
        s.close()
    s = tls_session(smtp)
    try:
        code, text = s.docmd("MAIL", f"FROM:<{smtp.sender}>")
        assert code == 530 and enhanced(text) == "5.7.0", (code, text)
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# Who may send what to whom
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("sender", ["someone@example.org", "letters@{domain}.example.org", "letters@x{domain}",
                                    "letters@{hub}"])
def test_foreign_sender_domain_refused(sender: str, authed: smtplib.SMTP, smtp: SmtpInfo) -> None:
    address = sender.format(domain=smtp.sender_domain, hub=smtp.domain)
    code, text = authed.docmd("MAIL", f"FROM:<{address}>")
    assert code in (550, 553) and enhanced(text).startswith("5.7."), f"MAIL FROM:<{address}> -> {code} {text!r}"
    code, text = authed.docmd("MAIL", f"FROM:<{smtp.sender}>")
    assert code == 250, f"the session must go on after a refused sender: {code} {text!r}"


@pytest.mark.parametrize("recipient", ["someone@example.org", "physical@{hub}.example.org"])
def test_relay_attempt_refused(recipient: str, authed: smtplib.SMTP, smtp: SmtpInfo) -> None:
    address = recipient.format(hub=smtp.domain)
    code, text = authed.mail(smtp.sender)
    assert code == 250
    code, text = authed.rcpt(address)
    assert code in (550, 554), f"RCPT TO:<{address}> (relaying) -> {code} {text!r}"
    if code == 550:
        assert enhanced(text) == "5.7.1", (code, text)


def test_unknown_hub_address_refused(authed: smtplib.SMTP, smtp: SmtpInfo, unique: str) -> None:
    """Not in the contract's list, but the only sane answer: an address of the hub domain that
    is no recipient cannot become an envelope, so it is refused at RCPT (550 5.1.1 is usual)."""
    authed.mail(smtp.sender)
    code, text = authed.rcpt(f"nobody-{unique}@{smtp.domain}")
    assert 500 <= code < 600, (code, text)


# --------------------------------------------------------------------------------------
# SIZE
# --------------------------------------------------------------------------------------

def advertised_size(smtp: SmtpInfo) -> int:
    s = tls_session(smtp)
    try:
        return int(s.esmtp_features["size"])
    finally:
        s.close()


def test_declared_size_over_the_limit_552(authed: smtplib.SMTP, smtp: SmtpInfo) -> None:
    limit = int(authed.esmtp_features["size"])
    code, text = authed.docmd("MAIL", f"FROM:<{smtp.sender}> SIZE={limit + 1}")
    assert code == 552, f"MAIL with SIZE={limit + 1} over SIZE {limit}: {code} {text!r}"
    assert enhanced(text).startswith("5.3."), text  # 5.3.4 message too big for system
    code, text = authed.docmd("MAIL", f"FROM:<{smtp.sender}> SIZE={min(limit, 1000)}")
    assert code == 250, (code, text)


def test_message_over_the_limit_552(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """No SIZE declared; the message itself is over the limit. RFC 1870 6.2: the server reads
    to the end of the data and answers 552 (it may also answer early and close)."""
    limit = advertised_size(smtp)
    pdf = pdf_factory(f"oversized {unique}")
    to = smtp.address("physical")
    head = crlf_bytes(build_letter(smtp.sender, to, f"Too big {unique}", pdf))
    before = len(smtp_envelopes(missive))
    line = b"X" * 76 + b"\r\n"
    chunk = line * (1024 * 1024 // len(line))
    reply = None
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{to}>").code == 250
        assert c.cmd("DATA").code == 354
        sent = 0
        try:
            c.send(head)
            sent = len(head)
            c.sock.settimeout(60)
            while sent <= limit + len(chunk):
                c.sock.sendall(chunk)
                sent += len(chunk)
            c.sock.sendall(b"\r\n.\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server answered early and closed; its reply is in the socket buffer
        c.transcript.append(f"C: … {sent} bytes of DATA, then <CRLF>.<CRLF>")
        try:
            reply = c.reply(timeout=60)
        except (ServerClosed, ConnectionResetError, ssl.SSLError) as e:
            pytest.fail(f"no reply to a {sent}-byte message over SIZE {limit}: {e}")
    assert reply.code == 552, f"message of {sent} bytes over SIZE {limit}: {reply}"
    assert reply.enhanced.startswith("5.3."), reply
    time.sleep(0.5)
    assert envelopes_with_sha(missive, sha256_hex(pdf)) == [] and len(smtp_envelopes(missive)) == before
