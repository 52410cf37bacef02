"""Self-test of the Postfix harness (scripts/postfix-relay) against the stand-in listener.

These tests need no Missive: they prove that the private Postfix instance really relays the
hub domain over STARTTLS with SASL PLAIN, honours the TLS policies the script offers
(encrypt, fingerprint, secure), defers (never bounces) on wrong credentials or a missing
STARTTLS, and turns a 5xx at end of DATA into an RFC 3464 bounce delivered to the sender's
domain. If these fail, fix the harness before reading anything into test_postfix_relay.py.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from smtp_harness import (
    PostfixRelay,
    build_letter,
    crlf_bytes,
    new_message_id,
    parse_dsn,
    send_via,
    sha256_hex,
)
from standin_server import Recorder, StandIn, make_self_signed_cert

USER, PASSWORD = "org_standin", "mk_test_standin_secret"
SENDER = "letters@demo.sandbox.missive.ch"
DOMAIN = "letters.sandbox.missive.ch"
RCPT = f"physical@{DOMAIN}"


@pytest.fixture(scope="module")
def certs() -> Iterator[dict[str, tuple[Path, Path]]]:
    with tempfile.TemporaryDirectory(prefix="missive-standin-") as d:
        yield {"good": make_self_signed_cert(Path(d) / "good"), "other": make_self_signed_cert(Path(d) / "other")}


@pytest.fixture(scope="module")
def standin(certs: dict) -> Iterator[StandIn]:
    cert, key = certs["good"]
    server = StandIn(cert, key, USER, PASSWORD, sender_domains={"demo.sandbox.missive.ch"}, recipient_domains={DOMAIN}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[Recorder]:
    r = Recorder().start()
    yield r
    r.stop()


def relay_args(server: StandIn, cert: Path, *extra: str) -> list[str]:
    return ["--relay-port", str(server.port), "--ca", str(cert), "--username", USER, "--domain", DOMAIN, *extra]


@pytest.fixture(scope="module")
def standin_relay(postfix_ready: None, standin: StandIn, sink: Recorder, certs: dict) -> Iterator[PostfixRelay]:
    from conftest import _start_relay, _stop_relay

    r = _start_relay("standin", *relay_args(standin, certs["good"][0], "--route", f"demo.sandbox.missive.ch=127.0.0.1:{sink.port}"),
                     password=PASSWORD)
    yield r
    _stop_relay(r)


def _send_letter(relay: PostfixRelay, pdf: bytes | None, tag: str) -> tuple[str, str]:
    mid = new_message_id(tag)
    msg = build_letter(SENDER, RCPT, f"harness {tag}", pdf, message_id=mid)
    offset = len(relay.log())
    send_via(relay.port, SENDER, [RCPT], crlf_bytes(msg))
    return mid, relay.queue_id_of(mid, after=offset)


def test_relay_uses_starttls_and_sasl(standin_relay: PostfixRelay, standin: StandIn, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"harness {unique}")
    before = len(standin.accepted)
    mid, qid = _send_letter(standin_relay, pdf, unique)
    delivery = standin_relay.wait_for_final(qid, timeout=30)
    assert delivery.status == "sent" and delivery.dsn == "2.0.0", delivery.line
    assert re.match(r"250 2\.0\.0 Ok: queued as env_\w+$", delivery.detail), delivery.line
    assert delivery.relay == f"127.0.0.1[127.0.0.1]:{standin.port}", delivery.line
    tls = standin_relay.tls_line_for(delivery, standin.port)
    assert tls is not None, f"no TLS line from smtp[{delivery.pid}]\n{standin_relay.log_tail()}"
    # The CA file holds the stand-in's certificate, so even level `encrypt` reports the chain
    # as trusted (it is not required to be).
    assert "TLS connection established" in tls and "TLSv1." in tls, tls

    got = [m for m in standin.wait_for(before + 1) if m.message["Message-ID"] == mid]
    assert len(got) == 1, [m.message["Message-ID"] for m in standin.accepted]
    item = got[0]
    assert item.tls, "the stand-in saw the message outside TLS"
    assert item.login == USER, f"SASL login {item.login!r}"
    assert item.mail_from == SENDER and item.rcpt_tos == [RCPT]
    assert ("PLAIN", USER, True) in standin.auth_attempts, standin.auth_attempts
    pdfs = [p.get_content() for p in item.message.walk() if p.get_content_type() == "application/pdf"]
    assert [sha256_hex(p) for p in pdfs] == [sha256_hex(pdf)]


def test_refused_message_bounces_as_dsn(standin_relay: PostfixRelay, standin: StandIn, sink: Recorder, unique: str) -> None:
    refused_before, bounces_before = len(standin.refused), len(sink.accepted)
    mid, qid = _send_letter(standin_relay, None, f"nopdf-{unique}")
    delivery = standin_relay.wait_for_final(qid, timeout=30)
    assert delivery.status == "bounced" and delivery.dsn == "5.6.0", delivery.line
    assert "said: 554 5.6.0" in delivery.detail and "(in reply to end of DATA command)" in delivery.detail, delivery.line
    assert len(standin.wait_for(refused_before + 1, refused=True)) == refused_before + 1

    bounces = [b for b in sink.wait_for(bounces_before + 1, timeout=30)[bounces_before:]]
    bounce = bounces[0]
    assert bounce.mail_from in ("", "<>") and bounce.rcpt_tos == [SENDER], (bounce.mail_from, bounce.rcpt_tos)
    dsn = parse_dsn(bounce.data)
    (rcpt,) = dsn["per_recipient"]
    assert rcpt["Final-Recipient"].lower() == f"rfc822; {RCPT}", rcpt["Final-Recipient"]
    assert rcpt["Action"] == "failed" and rcpt["Status"] == "5.6.0", dict(rcpt)
    assert rcpt["Diagnostic-Code"].startswith("smtp; 554 5.6.0"), rcpt["Diagnostic-Code"]
    assert rcpt["Remote-MTA"].lower().startswith("dns; 127.0.0.1"), rcpt["Remote-MTA"]
    assert dsn["original"] is not None and dsn["original"]["Message-ID"].strip() == mid


def test_wrong_password_is_deferred_not_bounced(relay_factory, standin: StandIn, certs: dict, unique: str) -> None:
    relay = relay_factory("badpass", *relay_args(standin, certs["good"][0]), password="mk_wrong")
    accepted = len(standin.accepted)
    _, qid = _send_letter(relay, b"%PDF-1.4\n%%EOF\n", unique)
    line = relay.wait_for_log(qid + r": to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=deferred "
                              r"\(SASL authentication failed; server 127\.0\.0\.1\[127\.0\.0\.1\] said: 535 5\.7\.8 ", timeout=30)
    # smtp_sasl_auth_soft_bounce (default yes) turns the 5.7.8 into a deferral: dsn=4.7.8.
    assert "dsn=4.7.8" in line.group(0), line.group(0)
    assert len(standin.accepted) == accepted
    assert qid in relay.queue(), "a deferred message stays in the queue"


def test_fingerprint_pinning(relay_factory, standin: StandIn, certs: dict, pdf_factory, unique: str) -> None:
    good = relay_factory("pin-good", *relay_args(standin, certs["good"][0], "--tls-level", "fingerprint"), password=PASSWORD)
    _, qid = _send_letter(good, pdf_factory(f"pin {unique}"), unique)
    delivery = good.wait_for_final(qid, timeout=30)
    assert delivery.status == "sent", delivery.line
    assert good.tls_line_for(delivery, standin.port).split("]: ")[1].startswith("Verified TLS connection established")

    bad = relay_factory("pin-bad", *relay_args(standin, certs["other"][0], "--tls-level", "fingerprint"), password=PASSWORD)
    accepted = len(standin.accepted)
    _, qid = _send_letter(bad, pdf_factory(f"pin-bad {unique}"), f"bad-{unique}")
    bad.wait_for_log(qid + r": to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=deferred "
                     r"\(Server certificate not verified\)", timeout=30)
    assert len(standin.accepted) == accepted


def test_secure_level_checks_chain_and_name(relay_factory, standin: StandIn, certs: dict, pdf_factory, unique: str) -> None:
    # The stand-in's certificate names DNS:127.0.0.1, DNS:localhost and IP:127.0.0.1.
    relay = relay_factory("secure", *relay_args(standin, certs["good"][0], "--tls-level", "secure", "--tls-match", "localhost"),
                          password=PASSWORD)
    _, qid = _send_letter(relay, pdf_factory(f"secure {unique}"), unique)
    delivery = relay.wait_for_final(qid, timeout=30)
    assert delivery.status == "sent", delivery.line
    assert relay.tls_line_for(delivery, standin.port).split("]: ")[1].startswith("Verified TLS connection established")

    wrong = relay_factory("secure-wrong", *relay_args(standin, certs["good"][0], "--tls-level", "secure",
                                                      "--tls-match", "hub.example.invalid"), password=PASSWORD)
    _, qid = _send_letter(wrong, pdf_factory(f"secure-wrong {unique}"), f"w-{unique}")
    wrong.wait_for_log(qid + r": .*status=deferred \(Server certificate not verified\)", timeout=30)


@pytest.mark.parametrize("level", ["fingerprint", "secure"])
@pytest.mark.parametrize("chroot", [False, True], ids=["no-chroot", "chroot"])
def test_tls_policy_map_variant(level: str, chroot: bool, relay_factory, standin: StandIn, certs: dict, pdf_factory,
                                unique: str) -> None:
    """docs/smtp.md's recommended set-up: smtp_tls_security_level = may for the world, the level
    for Missive's nexthop only in smtp_tls_policy_maps (`fingerprint match=<sha256>`, or
    `secure match=nexthop tafile=<certificate>`), and no global smtp_tls_CAfile; also with the
    smtp client chrooted as in Debian's master.cf (tafile= is opened inside the jail)."""
    extra = ["--tls-level", level, "--tls-policy-map", *(["--chroot"] if chroot else [])]
    good = relay_factory(f"policy-{level}", *relay_args(standin, certs["good"][0], *extra), password=PASSWORD)
    policy = (good.dir / "etc" / "tls_policy").read_text()
    if level == "fingerprint":
        assert policy.startswith(f"[127.0.0.1]:{standin.port}\tfingerprint match=") and policy.count(":") > 20, policy
    else:
        assert policy.startswith(f"[127.0.0.1]:{standin.port}\tsecure match=nexthop tafile=/"), policy
    config = good.run("config")
    assert "smtp_tls_security_level = may" in config and "smtp_tls_policy_maps = hash:" in config, config
    assert "smtp_tls_CAfile" not in config, config
    master = (good.dir / "etc" / "master.cf").read_text()
    assert any(line.split()[:5] == ["smtp", "unix", "-", "-", "y" if chroot else "n"] for line in master.splitlines()), master
    _, qid = _send_letter(good, pdf_factory(f"policy {level} {unique}"), unique)
    delivery = good.wait_for_final(qid, timeout=30)
    assert delivery.status == "sent", delivery.line
    assert good.tls_line_for(delivery, standin.port).split("]: ")[1].startswith("Verified TLS connection established")

    # Pinned to (or anchored in) another certificate: deferred, never sent.
    bad = relay_factory(f"policy-{level}-bad", *relay_args(standin, certs["other"][0], *extra), password=PASSWORD)
    accepted = len(standin.accepted)
    _, qid = _send_letter(bad, pdf_factory(f"policy-bad {level} {unique}"), f"bad-{unique}")
    bad.wait_for_log(qid + r": .*status=deferred \(Server certificate not verified\)", timeout=30)
    assert len(standin.accepted) == accepted


@pytest.mark.parametrize("policy_map", [False, True], ids=["main.cf", "policy-map"])
def test_no_starttls_offered_is_deferred(policy_map: bool, relay_factory, certs: dict, unique: str) -> None:
    cert, key = certs["good"]
    plain = StandIn(cert, key, USER, PASSWORD, offer_tls=False).start()
    try:
        relay = relay_factory("notls", *relay_args(plain, cert, *(["--tls-policy-map"] if policy_map else [])),
                              password=PASSWORD)
        _, qid = _send_letter(relay, b"%PDF-1.4\n%%EOF\n", unique)
        relay.wait_for_log(qid + r": .*status=deferred \(TLS is required, but was not offered by host "
                           r"127\.0\.0\.1\[127\.0\.0\.1\]\)", timeout=30)
        assert plain.accepted == [] and plain.auth_attempts == [], "credentials must never go out in plain text"
    finally:
        plain.stop()


def test_start_is_idempotent(standin_relay: PostfixRelay, standin: StandIn, sink: Recorder, certs: dict,
                             pdf_factory, unique: str) -> None:
    args = relay_args(standin, certs["good"][0], "--route", f"demo.sandbox.missive.ch=127.0.0.1:{sink.port}")
    standin_relay.start(*args, port=standin_relay.port, password=PASSWORD)  # running: rewrite + reload
    standin_relay.stop(remove=False)
    again = standin_relay.run("stop")  # stopping a stopped instance is fine
    assert "stopped" in again, again
    standin_relay.start(*args, port=standin_relay.port, password=PASSWORD)  # stopped: start again
    _, qid = _send_letter(standin_relay, pdf_factory(f"again {unique}"), unique)
    assert standin_relay.wait_for_final(qid, timeout=30).status == "sent"
    config = standin_relay.run("config")
    for expected in ("smtp_tls_security_level = encrypt", "smtp_sasl_auth_enable = yes",
                     "smtp_sasl_security_options = noanonymous", "smtp_sasl_tls_security_options = noanonymous",
                     "mynetworks = 127.0.0.0/8", "inet_interfaces = 127.0.0.1", "inet_protocols = ipv4"):
        assert expected in config, f"{expected!r} not in postconf -n:\n{config}"
    transport = (standin_relay.dir / "etc" / "transport").read_text()
    assert f"{DOMAIN}\tsmtp:[127.0.0.1]:{standin.port}" in transport, transport
