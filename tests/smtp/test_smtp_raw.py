"""Missive's SMTP listener at the byte level (RawSMTP: plain sockets, one `sendall` per
`send`, replies parsed one by one).

Pipelining, BDAT framing (right, too long, too short), end-of-data look-alikes (SMTP
smuggling), line limits, unknown and out-of-order commands, 8-bit data without
BODY=8BITMIME, STARTTLS command injection and clients that vanish mid-message. What the
server stored is read back over the REST API.
"""

from __future__ import annotations

import email.policy
import socket
import ssl
import struct
import time

import pytest

from smtp_harness import (
    RawSMTP,
    Reply,
    ServerClosed,
    SmtpInfo,
    build_letter,
    crlf_bytes,
    dot_stuff,
    envelope_ids,
    envelopes_with_sha,
    sha256_hex,
    smtp_envelopes,
    wait_for_envelopes,
)


def letter(smtp: SmtpInfo, pdf: bytes | None, tag: str, to: str | None = None, **kw) -> bytes:
    return crlf_bytes(build_letter(smtp.sender, to or smtp.address("physical"), f"Raw {tag}", pdf, **kw))


def data_payload(message: bytes) -> bytes:
    """DATA content: dot-stuffed, then <CRLF>.<CRLF>."""
    body = dot_stuff(message)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def assert_queued(r: Reply, count: int = 1) -> list[str]:
    assert r.code == 250 and r.text.startswith("2.0.0 Ok: queued as env_"), f"not queued: {r}"
    ids = envelope_ids(r.text)
    assert len(ids) == count, f"expected {count} envelope id(s): {r}"
    return ids


def assert_nothing_stored(missive, digest: str, before: int, settle: float = 1.5) -> None:
    time.sleep(settle)  # give an (incorrect) asynchronous store the chance to show up
    found = envelopes_with_sha(missive, digest)
    assert found == [], f"stored although it must not be: {[e['id'] for e in found]}"
    assert len(smtp_envelopes(missive)) == before, "the number of smtp envelopes changed"


def assert_server_alive(smtp: SmtpInfo) -> None:
    with RawSMTP(smtp.host, smtp.port) as c:
        c.greeting()
        assert "STARTTLS" in c.ehlo()


# --------------------------------------------------------------------------------------
# PIPELINING (RFC 2920)
# --------------------------------------------------------------------------------------

def test_pipelined_mail_rcpt_rcpt_data(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"pipe {unique}")
    a, b = smtp.address("physical"), smtp.address("digital")
    with RawSMTP.authenticated(smtp) as c:
        c.send(f"MAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{a}>\r\nRCPT TO:<{b}>\r\nDATA\r\n".encode())
        replies = [c.reply() for _ in range(4)]
        assert [r.code for r in replies] == [250, 250, 250, 354], [str(r) for r in replies]
        c.send(data_payload(letter(smtp, pdf, unique, to=f"{a}, {b}")))
        ids = assert_queued(c.reply(), count=2)
    envs = wait_for_envelopes(missive, sha256_hex(pdf), count=2, timeout=15)
    assert {e["id"] for e in envs} == set(ids)


def test_pipelined_ehlo_mail_rcpt_data_in_one_write(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """The brief's one-write group. RFC 2920 wants EHLO last in a group, so this is a
    robustness check: a server that reads commands strictly in order handles it, and a
    second EHLO resets the transaction (RFC 5321 4.1.4), not the authentication."""
    pdf = pdf_factory(f"pipe-ehlo {unique}")
    with RawSMTP.authenticated(smtp) as c:
        c.send(f"EHLO again.tests.missive.test\r\nMAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{smtp.address('physical')}>\r\n"
               f"DATA\r\n".encode())
        ehlo = c.reply()
        assert ehlo.code == 250 and len(ehlo.lines) > 1, f"EHLO: {ehlo}"
        replies = [c.reply() for _ in range(3)]
        assert [r.code for r in replies] == [250, 250, 354], [str(r) for r in replies]
        c.send(data_payload(letter(smtp, pdf, unique)))
        (env_id,) = assert_queued(c.reply())
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["id"] == env_id


def test_pipelined_errors_keep_their_order(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """Failing and succeeding commands in one write: one reply each, in order, and the
    failures do not leak into the transaction."""
    pdf = pdf_factory(f"pipe-err {unique}")
    good = smtp.address("physical")
    with RawSMTP.authenticated(smtp) as c:
        c.send((f"MAIL FROM:<x@example.org>\r\nMAIL FROM:<{smtp.sender}>\r\nRCPT TO:<y@example.org>\r\n"
                f"RCPT TO:<{good}>\r\nDATA\r\n").encode())
        replies = [c.reply() for _ in range(5)]
        codes = [r.code for r in replies]
        assert codes[0] >= 500 and codes[1] == 250 and codes[2] >= 500 and codes[3:] == [250, 354], [str(r) for r in replies]
        c.send(data_payload(letter(smtp, pdf, unique)))
        assert_queued(c.reply(), count=1)
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["recipient"] == smtp.recipient("physical")["recipient"]


def test_pipelined_mail_rcpt_bdat_in_one_write(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"pipe-bdat {unique}")
    message = letter(smtp, pdf, unique)
    with RawSMTP.authenticated(smtp) as c:
        c.send(f"MAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{smtp.address('physical')}>\r\nBDAT {len(message)} LAST\r\n".encode()
               + message)
        r1, r2, r3 = c.reply(), c.reply(), c.reply()
        assert (r1.code, r2.code) == (250, 250), (str(r1), str(r2))
        (env_id,) = assert_queued(r3)
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["id"] == env_id


def test_starttls_command_injection_is_discarded(smtp: SmtpInfo) -> None:
    """CVE-2011-0411 style: plaintext pipelined after STARTTLS must not be executed inside
    the TLS session (RFC 3207 4.2: the server discards any such knowledge). Refusing such a
    session (an error reply, or closing) is fine too; answering the NOOP is not."""
    c = RawSMTP(smtp.host, smtp.port)
    try:
        c.greeting()
        c.ehlo()
        c.send(b"STARTTLS\r\nNOOP\r\n")
        try:
            r = c.reply()
        except ServerClosed:
            return  # refusing the session outright is the strictest answer
        if r.code != 220:
            assert r.code >= 400, f"STARTTLS with bytes behind it: {r}"
            return  # refused (and perhaps closed): nothing was executed
        assert c.no_reply_within(1.0), f"the server answered plaintext sent after STARTTLS: {c.buffer!r}"
        try:
            c.sock = smtp.client_tls().wrap_socket(c.sock)
        except (ssl.SSLError, OSError):
            return  # refusing the handshake polluted by the injected bytes is fine too
        c.send(b"EHLO client.tests.missive.test\r\n")
        first = c.reply()
        assert first.code == 250 and len(first.lines) > 1, f"the injected NOOP was executed inside TLS: {first}"
        assert c.no_reply_within(1.0), f"extra reply inside TLS: {c.buffer!r}"
    finally:
        c.close()


# --------------------------------------------------------------------------------------
# CHUNKING / BDAT (RFC 3030)
# --------------------------------------------------------------------------------------

def test_bdat_one_chunk(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"bdat {unique}")
    message = letter(smtp, pdf, unique)
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        c.send(f"BDAT {len(message)} LAST\r\n".encode() + message)
        (env_id,) = assert_queued(c.reply())
        # The session goes on: a second message on the same connection.
        pdf2 = pdf_factory(f"bdat second {unique}")
        second = letter(smtp, pdf2, unique + "-2")
        c.send(f"MAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{smtp.address('physical')}>\r\nBDAT {len(second)} LAST\r\n".encode()
               + second)
        assert c.reply().code == 250 and c.reply().code == 250
        assert_queued(c.reply())
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["id"] == env_id
    wait_for_envelopes(missive, sha256_hex(pdf2), timeout=15)


def test_bdat_chunks_are_counted_not_dot_terminated(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """BDAT data is taken by count: a `<CRLF>.<CRLF>` inside is content (no dot-stuffing), and
    chunk borders may fall anywhere, even between CR and LF."""
    pdf = pdf_factory(f"bdat chunks {unique}")
    body = "Before the dot\r\n.\r\n..two dots\r\n.leading dot\r\nafter\r\n"
    message = letter(smtp, pdf, unique, body=body)
    assert b"\r\n.\r\n" in message
    cut1 = message.index(b"\r\n.\r\n") + 1          # between CR and LF
    cut2 = len(message) // 2
    chunks = [message[:cut1], message[cut1:cut2], message[cut2:]]
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        for chunk in chunks:
            c.send(f"BDAT {len(chunk)}\r\n".encode() + chunk)
            r = c.reply()
            assert r.code == 250, f"BDAT chunk: {r}"
            assert not envelope_ids(r.text), f"a non-LAST chunk must not complete the message: {r}"
        c.send(b"BDAT 0 LAST\r\n")
        (env_id,) = assert_queued(c.reply())
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["id"] == env_id


def test_bdat_declared_longer_than_sent_waits_for_the_rest(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """The server must wait for exactly the declared octets: it answers nothing until they
    are all there, and then the message (with the extra octets) is stored."""
    pdf = pdf_factory(f"bdat long {unique}")
    message = letter(smtp, pdf, unique)
    extra = b"\r\n" * 16
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        c.send(f"BDAT {len(message) + len(extra)} LAST\r\n".encode() + message)
        assert c.no_reply_within(2.5), f"the server answered before the chunk was complete: {c.buffer!r}"
        assert envelopes_with_sha(missive, sha256_hex(pdf)) == [], "stored before the chunk was complete"
        c.send(extra)
        (env_id,) = assert_queued(c.reply())
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
    assert env["id"] == env_id


def test_bdat_declared_shorter_than_sent(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """Declared length cut inside the PDF: the server takes exactly that many octets (a
    truncated message, refused), then reads the rest as command lines (5xx each) and stays in
    sync: a NOOP after them gets its 250 and a correct message still goes through."""
    pdf = pdf_factory(f"bdat short {unique}")
    message = letter(smtp, pdf, unique)
    lines = message.split(b"\r\n")
    # Cut three lines before the end of the base64 PDF part: the trailing bytes are a partial
    # base64 line, two full ones and the closing boundary - about five "commands".
    closing = max(i for i, line in enumerate(lines) if line.startswith(b"--") and line.endswith(b"--"))
    cut_line = closing - 3
    cut = len(b"\r\n".join(lines[:cut_line])) + 2 + 10
    declared, trailing = message[:cut], message[cut:]
    assert 3 <= trailing.count(b"\r\n") <= 8, trailing
    before = len(smtp_envelopes(missive))
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        c.send(f"BDAT {len(declared)} LAST\r\n".encode() + message)
        r = c.reply()
        assert r.code >= 500, f"a truncated message (PDF cut short) must be refused: {r}"
        c.send(b"NOOP\r\n")
        stray = []
        while True:
            r = c.reply()
            if r.code == 250:
                break
            stray.append(r)
            assert r.code >= 500, f"trailing bytes read as commands must fail: {r}"
            if r.code == 421:
                pytest.fail(f"the server gave up on the session: {[str(x) for x in stray]}")
        # One reply per trailing line; an empty line may be ignored (no reply) or refused.
        lines_after = trailing.split(b"\r\n")[:-1]
        nonempty = sum(1 for line in lines_after if line)
        assert nonempty <= len(stray) <= len(lines_after), \
            (f"{len(lines_after)} trailing lines ({nonempty} non-empty)", [str(x) for x in stray])
        assert all(x.code in (500, 501, 502, 503) for x in stray), [str(x) for x in stray]
        # Still in sync: a complete message on the same connection.
        pdf2 = pdf_factory(f"bdat short ok {unique}")
        ok = letter(smtp, pdf2, unique + "-ok")
        c.send(f"MAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{smtp.address('physical')}>\r\nBDAT {len(ok)} LAST\r\n".encode() + ok)
        assert c.reply().code == 250 and c.reply().code == 250
        assert_queued(c.reply())
    wait_for_envelopes(missive, sha256_hex(pdf2), timeout=15)
    assert envelopes_with_sha(missive, sha256_hex(pdf)) == []
    assert len(smtp_envelopes(missive)) == before + 1


def test_bdat_outside_a_transaction_still_consumes_its_chunk(smtp: SmtpInfo) -> None:
    """RFC 3030: the chunk is read even when BDAT is refused; otherwise its bytes would run
    as commands (here a QUIT)."""
    with RawSMTP.authenticated(smtp) as c:
        c.send(b"BDAT 10 LAST\r\nQUIT\r\nNOOP")
        r = c.reply()
        assert r.code == 503, f"BDAT without MAIL/RCPT: {r}"
        c.send(b"NOOP\r\n")
        r = c.reply()
        assert r.code == 250, f"the chunk's bytes were run as commands: {r}"
        assert c.no_reply_within(1.0), f"extra replies: {c.buffer!r}"


# --------------------------------------------------------------------------------------
# End of data (SMTP smuggling)
# --------------------------------------------------------------------------------------

FAKE_ENDS = {
    "LF.LF": b"\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CRLF.LF": b"\r\n.\n",
    "CR.CR": b"\r.\r",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
}


@pytest.mark.parametrize("fake", list(FAKE_ENDS), ids=list(FAKE_ENDS))
def test_smtp_smuggling(fake: str, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """Only <CRLF>.<CRLF> ends DATA. A complete outer message, then a look-alike end, then a
    whole second transaction (MAIL/RCPT/DATA + a message with another PDF to another
    recipient), then the real end: at most ONE envelope (the outer one) may result, with one
    reply. Refusing bare CR/LF with a 5xx (and storing nothing) is allowed too."""
    outer_pdf, smuggled_pdf = pdf_factory(f"outer {fake} {unique}"), pdf_factory(f"smuggled {fake} {unique}")
    outer = letter(smtp, outer_pdf, f"outer {unique}")
    smuggled = letter(smtp, smuggled_pdf, f"smuggled {unique}", to=smtp.address("digital"))
    payload = (dot_stuff(outer).rstrip(b"\r\n") + FAKE_ENDS[fake]
               + f"MAIL FROM:<{smtp.sender}>\r\nRCPT TO:<{smtp.address('digital')}>\r\nDATA\r\n".encode()
               + dot_stuff(smuggled) + b".\r\n")
    assert payload.endswith(b"\r\n.\r\n") and payload.count(b"\r\n.\r\n") == 1
    before = len(smtp_envelopes(missive))
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(payload)
        r = c.reply()
        assert r.code == 250 or r.code >= 500, f"final reply: {r}"
        c.send(b"NOOP\r\n")
        noop = c.reply()
        assert noop.code == 250 and not noop.enhanced.startswith("2.1."), \
            f"a smuggled command was executed (reply {noop} after the message)\n{c.describe()}"
        assert c.no_reply_within(1.0), f"extra replies after the message: {c.buffer!r}\n{c.describe()}"
    time.sleep(1.0)
    assert envelopes_with_sha(missive, sha256_hex(smuggled_pdf)) == [], "the smuggled message was stored"
    stored = envelopes_with_sha(missive, sha256_hex(outer_pdf))
    if r.code == 250:
        assert [e["id"] for e in stored] == envelope_ids(r.text), (r, stored)
        assert stored[0]["recipient"] == smtp.recipient("physical")["recipient"]
        assert len(smtp_envelopes(missive)) == before + 1
    else:
        assert stored == [] and len(smtp_envelopes(missive)) == before


# --------------------------------------------------------------------------------------
# Command syntax and order
# --------------------------------------------------------------------------------------

def test_overlong_command_line_500_5_5_2(smtp: SmtpInfo) -> None:
    with RawSMTP(smtp.host, smtp.port) as c:
        c.greeting()
        c.ehlo()
        c.send(b"NOOP " + b"x" * 10_000 + b"\r\n")
        r = c.reply()
        assert r.code == 500 and r.enhanced == "5.5.2", f"a 10 kB command line: {r}"
        # One reply for the one line, and the session goes on.
        c.send(b"NOOP\r\n")
        r = c.reply()
        assert r.code == 250, f"after the long line (one reply per line expected): {r}"
    assert_server_alive(smtp)


def test_endless_command_line_is_bounded(smtp: SmtpInfo) -> None:
    """4 MiB without a line end: the server must not buffer it all; it answers 500 (and may
    close the connection)."""
    with RawSMTP(smtp.host, smtp.port) as c:
        c.greeting()
        try:
            for _ in range(64):
                c.sock.sendall(b"A" * 65536)
            c.sock.sendall(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            r = c.reply(timeout=20)
            assert r.code in (500, 421), f"an endless line: {r}"
        except (ServerClosed, ConnectionResetError):
            pass  # closing without a reply is acceptable for this abuse
    assert_server_alive(smtp)


def test_unknown_command_500_5_5_1(smtp: SmtpInfo) -> None:
    """In an authenticated session, so that no "STARTTLS first" / "AUTH first" rule can
    answer instead; the transaction in progress survives the unknown command."""
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        r = c.cmd("XYZZY plugh")
        assert r.code == 500 and r.enhanced == "5.5.1", f"unknown command: {r}"
        assert c.cmd("NOOP").code == 250
        r = c.cmd(f"RCPT TO:<{smtp.address('physical')}>")
        assert r.code == 250, f"the session (and its transaction) must go on: {r}"


def test_commands_out_of_order_503(smtp: SmtpInfo) -> None:
    with RawSMTP.authenticated(smtp) as c:
        r = c.cmd(f"RCPT TO:<{smtp.address('physical')}>")
        assert r.code == 503 and r.enhanced == "5.5.1", f"RCPT before MAIL: {r}"
        r = c.cmd("DATA")
        assert r.code == 503, f"DATA before MAIL: {r}"
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        r = c.cmd(f"MAIL FROM:<{smtp.sender}>")
        assert r.code == 503, f"nested MAIL: {r}"
        r = c.cmd("DATA")
        # RFC 5321 3.3: with no (accepted) RCPT the server MAY answer DATA with 503 (bad
        # sequence) or 554 (no valid recipients).
        assert r.code in (503, 554) and r.enhanced.startswith("5.5."), f"DATA before RCPT: {r}"
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        c.send(b"BDAT 5\r\nHello")
        assert c.reply().code == 250
        r = c.cmd("DATA")
        assert r.code == 503, f"DATA after BDAT in one transaction (RFC 3030): {r}"
        assert c.cmd("RSET").code == 250
        r = c.cmd(f"RCPT TO:<{smtp.address('physical')}>")
        assert r.code == 503, f"RCPT after RSET: {r}"
        r = c.cmd("AUTH PLAIN " + smtp.auth_plain())
        assert r.code == 503, f"a second AUTH (RFC 4954): {r}"


# --------------------------------------------------------------------------------------
# 8-bit data (RFC 6152)
# --------------------------------------------------------------------------------------

def eight_bit_letter(smtp: SmtpInfo, pdf: bytes, tag: str) -> bytes:
    msg = build_letter(smtp.sender, smtp.address("physical"), f"8bit {tag}", pdf,
                       body="Grüße aus Zürich – 8-bit text\n", policy=email.policy.SMTP)
    # email keeps non-ASCII text as 8bit when asked via cte; make sure of it.
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            part.set_content("Grüße aus Zürich – 8-bit text\n", cte="8bit")
    data = msg.as_bytes()
    assert any(b > 0x7F for b in data), "the message must contain 8-bit octets"
    return data


def test_8bit_without_body_8bitmime_is_handled_consistently(missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """RFC 6152 puts the duty on the client: without BODY=8BITMIME the content is 7BIT and a
    client must not send 8-bit octets. It does not say what the server does when one does:
    it may accept (as Postfix does; then the octets must be kept) or refuse (554 5.6.x). This
    test asserts only that the server does one of these, the same way over DATA and BDAT, and
    that with BODY=8BITMIME the same content is always accepted."""
    outcomes = []
    for verb in ("DATA", "BDAT", "DATA"):
        pdf = pdf_factory(f"8bit {verb} {len(outcomes)} {unique}")
        message = eight_bit_letter(smtp, pdf, unique)
        with RawSMTP.authenticated(smtp) as c:
            assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
            assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
            if verb == "DATA":
                assert c.cmd("DATA").code == 354
                c.send(data_payload(message))
            else:
                c.send(f"BDAT {len(message)} LAST\r\n".encode() + message)
            r = c.reply()
        if r.code == 250:
            (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)
            assert env["id"] in envelope_ids(r.text)
            outcomes.append("accepted")
        else:
            assert r.code == 554 or (r.code == 550 and r.enhanced.startswith("5.6.")), f"8-bit refused how? {r}"
            assert envelopes_with_sha(missive, sha256_hex(pdf)) == []
            outcomes.append("refused")
    assert len(set(outcomes)) == 1, f"inconsistent handling of 8-bit data without BODY=8BITMIME: {outcomes}"

    pdf = pdf_factory(f"8bit declared {unique}")
    with RawSMTP.authenticated(smtp) as c:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}> BODY=8BITMIME").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(data_payload(eight_bit_letter(smtp, pdf, unique)))
        assert_queued(c.reply())
    wait_for_envelopes(missive, sha256_hex(pdf), timeout=15)


# --------------------------------------------------------------------------------------
# Clients that disappear
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["DATA", "BDAT mid-chunk", "BDAT after a chunk"])
def test_disconnect_mid_message_stores_nothing(how: str, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"vanish {how} {unique}")
    message = letter(smtp, pdf, unique)
    half = len(message) * 3 // 4  # past the start of the PDF part
    before = len(smtp_envelopes(missive))
    c = RawSMTP.authenticated(smtp)
    try:
        assert c.cmd(f"MAIL FROM:<{smtp.sender}>").code == 250
        assert c.cmd(f"RCPT TO:<{smtp.address('physical')}>").code == 250
        if how == "DATA":
            assert c.cmd("DATA").code == 354
            c.send(dot_stuff(message))  # everything but the final <CRLF>.<CRLF>
        elif how == "BDAT mid-chunk":
            c.send(f"BDAT {len(message)} LAST\r\n".encode() + message[:half])
        else:
            c.send(f"BDAT {len(message)}\r\n".encode() + message)  # a complete chunk, but not LAST
            assert c.reply().code == 250
    finally:
        # An abrupt close (RST where possible) in the middle of the message.
        try:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        c.close()
    assert_nothing_stored(missive, sha256_hex(pdf), before)
    assert_server_alive(smtp)
