"""Postfix -> Missive: a real MTA relaying letters to Missive's SMTP listener.

The session's relay (scripts/postfix-relay, see conftest.py) sends the hub domain to
Missive over STARTTLS (smtp_tls_security_level = encrypt) with SASL PLAIN (organisation id /
API key), and the sender's domain to `bounce_sink`. Test clients submit to Postfix with
smtplib; what arrived is read back over the REST API (GET /v1/envelopes, ingress smtp) and
from Postfix's own log.
"""

from __future__ import annotations

import email.policy
import re
import time

import pytest

from smtp_harness import (
    PostfixRelay,
    SmtpInfo,
    build_letter,
    crlf_bytes,
    envelope_ids,
    envelopes_with_sha,
    main_sha,
    new_message_id,
    parse_dsn,
    send_via,
    sha256_hex,
    smtp_envelopes,
    reference_message_id,
    strip_angles,
    wait_for_envelopes,
    wait_until,
)

QUEUED = re.compile(r"^250 2\.0\.0 Ok: queued as (env_\w+)")


def relay_letter(relay: PostfixRelay, smtp: SmtpInfo, to: list[str], subject: str, pdf: bytes | None,
                 message_id: str | None = None, **kw) -> tuple[str, str]:
    """Submit a letter to the Postfix relay; return (Message-ID, Postfix queue id)."""
    mid = message_id or new_message_id("relay")
    msg = build_letter(smtp.sender, to, subject, pdf, message_id=mid, **kw)
    offset = len(relay.log())
    send_via(relay.port, smtp.sender, to, crlf_bytes(msg))
    return mid, relay.queue_id_of(mid, after=offset)


def assert_smtp_envelope(env: dict, smtp: SmtpInfo, outcome: str, pdf: bytes, subject: str, message_id: str) -> None:
    assert env["ingress"] == "smtp", env
    assert main_sha(env) == sha256_hex(pdf), env["documents"]
    assert env["recipient"] == smtp.recipient(outcome)["recipient"], (env["recipient"], smtp.recipient(outcome))
    assert env.get("title") == subject, env
    assert reference_message_id(env.get("ingressReference")) == strip_angles(message_id), env


def test_postfix_relays_a_letter_over_starttls_and_sasl(relay: PostfixRelay, missive, smtp: SmtpInfo, pdf_factory,
                                                        unique: str) -> None:
    pdf = pdf_factory(f"relay {unique}")
    subject = f"Letter through Postfix {unique}"
    to = smtp.address("physical")
    mid, qid = relay_letter(relay, smtp, [to], subject, pdf)

    delivery = relay.wait_for_final(qid, timeout=60)
    assert delivery.status == "sent", f"Postfix did not deliver to Missive: {delivery.line}"
    assert delivery.recipient == to and delivery.dsn == "2.0.0", delivery.line
    assert delivery.relay == f"127.0.0.1[127.0.0.1]:{smtp.port}", delivery.line
    m = QUEUED.match(delivery.detail)
    assert m, f"final reply is not '250 2.0.0 Ok: queued as env_…': {delivery.line}"

    # Over TLS: the smtp process that delivered logged the TLS session to Missive's port.
    tls = relay.tls_line_for(delivery, smtp.port)
    assert tls and "TLS connection established" in tls, f"no TLS session for smtp[{delivery.pid}]\n{relay.log_tail()}"
    # With SASL: Missive refuses MAIL FROM without AUTH (530 5.7.0, test_smtp_direct.py), and a
    # wrong password never gets through (test_wrong_credentials_are_deferred below); so a
    # `status=sent` is an authenticated delivery.
    assert not [d for d in relay.deliveries(qid) if "SASL authentication failed" in d.detail], relay.log_tail()

    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=60)
    assert env["id"] == m.group(1), (env["id"], delivery.detail)
    assert_smtp_envelope(env, smtp, "physical", pdf, subject, mid)


def test_same_message_id_twice_is_one_envelope(relay: PostfixRelay, missive, smtp: SmtpInfo, pdf_factory,
                                               unique: str) -> None:
    pdf = pdf_factory(f"dedupe {unique}")
    to = smtp.address("physical")
    mid = new_message_id("dedupe")
    msg = crlf_bytes(build_letter(smtp.sender, to, f"Dedupe {unique}", pdf, message_id=mid))

    replies = []
    for _ in range(2):
        # Two separate submissions to Postfix: two queue ids, two deliveries to Missive.
        offset = len(relay.log())
        send_via(relay.port, smtp.sender, [to], msg)
        qid = relay.queue_id_of(mid, after=offset)
        delivery = relay.wait_for_final(qid, timeout=60)
        # A replayed Message-ID is not an error: Missive must not make Postfix bounce it.
        assert delivery.status == "sent", f"repeat delivery not accepted: {delivery.line}"
        replies.append(delivery.detail)

    ids = [envelope_ids(r) for r in replies]
    assert ids[0] and ids[0] == ids[1], f"the repeat must name the same envelope: {replies}"
    envs = envelopes_with_sha(missive, sha256_hex(pdf))
    assert [e["id"] for e in envs] == ids[0], f"expected exactly one envelope: {[e['id'] for e in envs]}"
    assert reference_message_id(envs[0].get("ingressReference")) == strip_angles(mid)


def test_one_message_to_two_recipients(relay: PostfixRelay, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """Postfix sends both recipients in one transaction; Missive answers once for the message,
    naming every envelope."""
    pdf = pdf_factory(f"two {unique}")
    to = [smtp.address("physical"), smtp.address("digital")]
    subject = f"Two recipients {unique}"
    mid, qid = relay_letter(relay, smtp, to, subject, pdf)

    def both_sent():
        done = [d for d in relay.deliveries(qid) if d.status == "sent"]
        return done if len(done) == 2 else None

    lines = wait_until(both_sent, timeout=60, what=f"two sent lines for {qid}", describe=relay.log_tail)
    assert {d.recipient for d in lines} == set(to)
    reply_ids = set(envelope_ids(lines[0].detail))
    envs = wait_for_envelopes(missive, sha256_hex(pdf), count=2, timeout=60)
    assert len(envs) == 2 and {e["id"] for e in envs} == reply_ids, (envs, lines[0].detail)
    by_recipient = {e["id"]: e for e in envs}
    for outcome in ("physical", "digital"):
        matching = [e for e in by_recipient.values() if e["recipient"] == smtp.recipient(outcome)["recipient"]]
        assert len(matching) == 1, f"no single envelope for {outcome}: {envs}"
        assert_smtp_envelope(matching[0], smtp, outcome, pdf, subject, mid)


def test_utf8_subject_through_postfix(relay: PostfixRelay, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    pdf = pdf_factory(f"utf8 relay {unique}")
    subject = f"Brief für Jürg – Grüße ✉ {unique}"
    to = smtp.address("physical")
    mid = new_message_id("utf8")
    msg = build_letter(smtp.sender, to, subject, pdf, message_id=mid, body="Grüezi mitenand\n",
                       policy=email.policy.SMTPUTF8)
    offset = len(relay.log())
    send_via(relay.port, smtp.sender, [to], msg.as_bytes(), mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    delivery = relay.wait_for_final(relay.queue_id_of(mid, after=offset), timeout=60)
    assert delivery.status == "sent", delivery.line
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=60)
    assert env.get("title") == subject, env


def test_message_without_pdf_bounces_to_the_sender(relay: PostfixRelay, missive, smtp: SmtpInfo, bounce_sink,
                                                   unique: str) -> None:
    to = smtp.address("physical")
    before = len(smtp_envelopes(missive))
    mid, qid = relay_letter(relay, smtp, [to], f"No PDF {unique}", None, body="There is no letter attached.\n")

    delivery = relay.wait_for_final(qid, timeout=60)
    assert delivery.status == "bounced", f"Postfix should bounce a message Missive refuses: {delivery.line}"
    assert delivery.dsn.startswith("5."), delivery.line
    m = re.match(r"host 127\.0\.0\.1\[127\.0\.0\.1\] said: (5\d\d) (5\.\d+\.\d+) .*\(in reply to end of DATA command\)$",
                 delivery.detail)
    assert m, f"expected a 5xx from Missive at end of DATA: {delivery.line}"
    assert m.group(2) == delivery.dsn

    # The bounce goes to the sender's domain, which the relay routes to bounce_sink.
    def find_bounce():
        for item in list(bounce_sink.accepted):
            try:
                dsn = parse_dsn(item.data)
            except AssertionError:
                continue
            if dsn["original"] is not None and strip_angles(dsn["original"]["Message-ID"]) == strip_angles(mid):
                return item, dsn
        return None

    item, dsn = wait_until(find_bounce, timeout=60, what=f"the bounce for {mid} at the sink",
                           describe=lambda: relay.log_tail() + "\n" + relay.queue())
    assert item.mail_from in ("", "<>"), f"a bounce has the null sender: {item.mail_from!r}"
    assert item.rcpt_tos == [smtp.sender], item.rcpt_tos
    report = dsn["report"]
    assert report["From"] and "MAILER-DAEMON" in report["From"], report["From"]
    (rcpt,) = dsn["per_recipient"]
    assert rcpt["Final-Recipient"].lower() == f"rfc822; {to.lower()}", rcpt["Final-Recipient"]
    assert rcpt["Action"] == "failed", rcpt["Action"]
    assert rcpt["Status"] == delivery.dsn, (rcpt["Status"], delivery.dsn)
    assert rcpt["Remote-MTA"].lower().startswith("dns; 127.0.0.1"), rcpt["Remote-MTA"]
    assert rcpt["Diagnostic-Code"].startswith(f"smtp; {m.group(1)} {m.group(2)}"), rcpt["Diagnostic-Code"]
    assert dsn["per_message"]["Reporting-MTA"], dict(dsn["per_message"])

    time.sleep(1)
    assert len(smtp_envelopes(missive)) == before, "a refused message must not leave an envelope"


def test_wrong_credentials_are_deferred(relay_factory, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """The negative control for SASL: the same relay with a wrong API key gets 535 5.7.8 and
    keeps the message queued (smtp_sasl_auth_soft_bounce); nothing reaches Missive."""
    bad = relay_factory("wrong-key", "--relay-port", str(smtp.port), "--ca", str(smtp.certificate),
                        "--username", smtp.username, "--domain", smtp.domain, password="mk_test_wrong_" + unique)
    pdf = pdf_factory(f"wrong key {unique}")
    _, qid = relay_letter(bad, smtp, [smtp.address("physical")], f"Wrong key {unique}", pdf)
    match = bad.wait_for_log(re.escape(qid) + r": to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*"
                             r"status=deferred \(SASL authentication failed; server 127\.0\.0\.1\[127\.0\.0\.1\] said: "
                             r"535 5\.7\.8 .*\)$", timeout=60)
    assert "dsn=4.7.8" in match.group(0), match.group(0)
    assert envelopes_with_sha(missive, sha256_hex(pdf)) == []


@pytest.mark.parametrize("level, where", [("fingerprint", "main.cf"), ("fingerprint", "policy-map"), ("secure", "main.cf"),
                                          ("secure", "policy-map")])
def test_pinned_relay(level: str, where: str, relay_factory, missive, smtp: SmtpInfo, pdf_factory, unique: str) -> None:
    """docs/smtp.md's TLS recipes against Missive's real certificate: `fingerprint` (its
    SHA-256 pinned) and `secure` (verified against it as trust anchor, name matched against
    the nexthop 127.0.0.1), the level in main.cf, or per destination in smtp_tls_policy_maps
    with the smtp client chrooted as in Debian's master.cf. Postfix then logs `Verified`."""
    pinned = relay_factory(f"{level}-{where}", "--sandbox", str(missive.data_dir), "--tls-level", level,
                           *(["--tls-policy-map", "--chroot"] if where == "policy-map" else []))
    pdf = pdf_factory(f"pinned {level} {where} {unique}")
    subject = f"Pinned {level} {where} {unique}"
    mid, qid = relay_letter(pinned, smtp, [smtp.address("physical")], subject, pdf)
    delivery = pinned.wait_for_final(qid, timeout=60)
    assert delivery.status == "sent", delivery.line
    tls = pinned.tls_line_for(delivery, smtp.port)
    assert tls and "Verified TLS connection established" in tls, f"{tls}\n{pinned.log_tail()}"
    (env,) = wait_for_envelopes(missive, sha256_hex(pdf), timeout=60)
    assert_smtp_envelope(env, smtp, "physical", pdf, subject, mid)
