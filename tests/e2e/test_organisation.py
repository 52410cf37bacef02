"""A new sender organisation, from registration to its first live letter, verified by post.

Registration (no key) returns a test key that works at once and a live key that works only
once the organisation is verified. The verification letter goes through Missive's own
physical channel to the live print spool; the test reads the code from the PDF there, as the
print partner's printer would. Wrong, reused, expired and burnt codes, a profile change that
pauses sending until a new letter's code is entered, the letter rate limit, and the refusal
of live letters on REST, SOAP and SMTP while unverified are all checked.
"""

from __future__ import annotations

import base64
import json
import re
import smtplib
import ssl
import subprocess
import uuid
from email.message import EmailMessage
from pathlib import Path

import requests

from missive_testkit import assert_problem, make_pdf, wait_until

PROFILE = {"legalName": "Muster Treuhand AG", "uid": "CHE-246.802.468",
           "postalAddress": {"name": "Muster Treuhand AG", "street": "Seestrasse", "houseNumber": "12", "postcode": "8002", "town": "Zürich"}}


def fresh_uid() -> str:
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}"


def register(server, profile: dict = PROFILE, keep_uid: bool = False) -> dict:
    """Registers; each registration gets a UID of its own unless `keep_uid` (a UID names one
    company: once one organisation verified under it, others are refused)."""
    if not keep_uid and "uid" in profile:
        profile = dict(profile, uid=fresh_uid())
    response = requests.post(f"{server.url}/v1/registrations", json=profile, timeout=30)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["testKey"].startswith("mk_test_") and body["liveKey"].startswith("mk_live_")
    assert body["organisation"]["status"] == "unverified" and body["organisation"]["statusReason"] == "registered"
    return body


def organisation(server, key: str) -> dict:
    response = server.get("/v1/organisation", key=key)
    assert response.status_code == 200, response.text
    return response.json()


def code_from_spool(server, key: str) -> str:
    """The print partner's view: the letter's PDF in the live spool, and the code on it."""
    envelope_id = organisation(server, key)["verificationLetter"]["envelopeId"]
    pdf = server.data_dir / "spool" / "live" / "outbox" / f"{envelope_id}.pdf"
    wait_until(lambda: pdf.exists(), timeout=30, what="the verification letter in the print spool")
    match = re.search(rb"\(\s*([0-9A-Z]{4}-[0-9A-Z]{4})\) Tj", pdf.read_bytes())
    assert match, "no code on the letter"
    return match.group(1).decode()


def submit(server, key: str) -> requests.Response:
    return server.submit({"recipient": server.recipient("physical")["recipient"]}, make_pdf(f"org letter {uuid.uuid4()}"), key=key)


def verify(server, key: str, code: str) -> requests.Response:
    return server.post("/v1/organisation/verification", key=key, json={"code": code})


def test_registration_to_first_live_letter(shared_server) -> None:
    server = shared_server
    registered = register(server)
    test_key, live_key = registered["testKey"], registered["liveKey"]
    letter = organisation(server, live_key)["verificationLetter"]
    assert letter["attemptsLeft"] == 5 and letter["envelopeId"].startswith("env_")

    # Unverified: live letters are refused in the protocol's terms; test letters go.
    problem = assert_problem(submit(server, live_key), 403, "organisation_not_verified")
    assert "verification letter" in problem["detail"]
    assert submit(server, test_key).status_code == 202

    code = code_from_spool(server, live_key)
    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"
    problem = assert_problem(verify(server, live_key, wrong), 422, "verification_failed")
    assert "4 attempts left" in problem["detail"]
    assert organisation(server, live_key)["verificationLetter"]["attemptsLeft"] == 4
    # Case, spaces and dashes do not matter.
    typed = " " + code.lower().replace("-", " ") + " "
    verified = verify(server, live_key, typed)
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "verified" and "verificationLetter" not in verified.json()
    assert submit(server, live_key).status_code == 202
    # Single use: the same code again changes nothing.
    assert_problem(verify(server, live_key, code), 409, "conflict")
    assert_problem(server.post("/v1/organisation/verification-letters", key=live_key), 409, "conflict")

    # A new address pauses sending until the new letter's code is entered; the old code is dead.
    moved = dict(PROFILE, postalAddress=dict(PROFILE["postalAddress"], street="Bahnhofplatz", houseNumber="1", postcode="3011", town="Bern"))
    changed = server.request("PUT", "/v1/organisation/profile", key=live_key, json=moved)
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "unverified" and changed.json()["statusReason"] == "profile_changed"
    assert changed.json()["postalAddress"]["town"] == "Bern"
    assert_problem(submit(server, live_key), 403, "organisation_not_verified")
    assert_problem(verify(server, live_key, code), 422, "verification_failed")
    new_code = code_from_spool(server, live_key)
    assert new_code != code
    assert verify(server, live_key, new_code).status_code == 200
    assert submit(server, live_key).status_code == 202


def test_live_letters_are_refused_on_soap_and_smtp_until_verified(shared_server, tmp_path: Path) -> None:
    server = shared_server
    registered = register(server, dict(PROFILE, legalName="Beispiel SOAP GmbH"))
    org_id, live_key = registered["organisation"]["id"], registered["liveKey"]
    pdf = base64.b64encode(make_pdf("soap while unverified")).decode()
    postal = server.recipient("physical")["recipient"]["postal"]
    postal_xml = "".join(f"<m:{k}>{v}</m:{k}>" for k, v in postal.items())
    body = (f'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
            f'<m:SubmitLetter xmlns:m="urn:missive:soap:v1"><m:envelope><m:recipient><m:postal>{postal_xml}</m:postal></m:recipient></m:envelope>'
            f'<m:document><m:content>{pdf}</m:content></m:document></m:SubmitLetter></s:Body></s:Envelope>')
    soap = requests.post(f"{server.url}/soap", data=body.encode(), auth=(org_id, live_key),
                         headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:missive:soap:v1#SubmitLetter"'}, timeout=30)
    assert soap.status_code == 500 and "organisation_not_verified" in soap.text, soap.text[:500]

    domain = f"{uuid.uuid4().hex[:8]}.example.ch"
    added = subprocess.run([str(server.binary), "org", "add-domain", "--data-dir", str(server.data_dir), "--organisation", org_id, "--domain", domain],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"letters@{domain}", f"letters@{server.sandbox['smtpDomain']}", "unverified"
    message["X-Missive-Recipient"] = json.dumps(server.recipient("physical")["recipient"], ensure_ascii=True)
    message.set_content("attached")
    message.add_attachment(make_pdf("smtp while unverified"), maintype="application", subtype="pdf", filename="letter.pdf")
    context = ssl.create_default_context(cafile=server.sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(server.sandbox["smtpHost"], server.sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        client.login(org_id, live_key)
        try:
            client.send_message(message)
            raise AssertionError("an unverified organisation's letter was accepted over SMTP")
        except smtplib.SMTPDataError as error:
            assert error.smtp_code == 550 and b"5.7.1" in error.smtp_error and b"not verified" in error.smtp_error, error


def test_burnt_expired_and_rate_limited_letters(server_factory) -> None:
    server = server_factory(name="org-verification")  # its own clock
    registered = register(server, dict(PROFILE, legalName="Zeitreise AG"))
    key = registered["liveKey"]
    code = code_from_spool(server, key)
    # Five wrong codes burn the letter: even the right one no longer works.
    for left in (4, 3, 2, 1):
        assert f"{left} attempt" in assert_problem(verify(server, key, "WXYZ-WXYZ"), 422, "verification_failed")["detail"]
    assert "burnt" in assert_problem(verify(server, key, "WXYZ-WXYZ"), 422, "verification_failed")["detail"]
    assert "Too many wrong codes" in assert_problem(verify(server, key, code), 422, "verification_failed")["detail"]
    # A new letter (2 of 3 today); its code expires after 30 days.
    assert server.post("/v1/organisation/verification-letters", key=key).status_code == 202
    fresh = code_from_spool(server, key)
    assert server.post("/v1/sandbox/clock", json={"seconds": 31 * 86_400}).status_code == 200
    assert "expired" in assert_problem(verify(server, key, fresh), 422, "verification_failed")["detail"]
    # The day's letters are counted on the (moved) clock: two new ones, then the limit.
    assert server.post("/v1/organisation/verification-letters", key=key).status_code == 202
    assert server.post("/v1/organisation/verification-letters", key=key).status_code == 202
    assert server.post("/v1/organisation/verification-letters", key=key).status_code == 202
    assert_problem(server.post("/v1/organisation/verification-letters", key=key), 429, "rate_limited")
    assert verify(server, key, code_from_spool(server, key)).status_code == 200


def test_bad_registrations_are_refused_and_nothing_is_created(shared_server) -> None:
    server = shared_server
    for body, status in [({"legalName": "No Address AG"}, 400),
                         (dict(PROFILE, uid="CHE-12"), 400),
                         (dict(PROFILE, legalName=""), 400),
                         (dict(PROFILE, postalAddress=dict(PROFILE["postalAddress"], postcode="80")), 400),
                         (dict(PROFILE, extra=1), 400)]:
        response = requests.post(f"{server.url}/v1/registrations", json=body, timeout=30)
        assert response.status_code in (400, 422), (body, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
    assert requests.post(f"{server.url}/v1/registrations", data="x", headers={"Content-Type": "text/plain"}, timeout=30).status_code == 415
    # The other organisation endpoints need a key.
    assert requests.get(f"{server.url}/v1/organisation", timeout=30).status_code == 401


def test_a_uid_belongs_to_the_first_organisation_verified_under_it(shared_server) -> None:
    """Registering with someone else's UID would make their business inbox ambiguous
    (multiple_matches): once one organisation verified under a UID, nobody else registers,
    moves to or verifies under it."""
    server = shared_server
    uid = fresh_uid()
    first = register(server, dict(PROFILE, uid=uid, legalName="Erste AG"), keep_uid=True)
    second = register(server, dict(PROFILE, uid=uid, legalName="Zweite AG"), keep_uid=True)  # both unverified: allowed
    assert verify(server, first["liveKey"], code_from_spool(server, first["liveKey"])).status_code == 200
    # The second cannot verify under it any more, nor can anyone register or move to it.
    assert_problem(verify(server, second["liveKey"], code_from_spool(server, second["liveKey"])), 409, "conflict")
    response = requests.post(f"{server.url}/v1/registrations", json=dict(PROFILE, uid=uid, legalName="Dritte AG"), timeout=30)
    assert_problem(response, 409, "conflict")
    other = register(server, dict(PROFILE, legalName="Vierte AG"))
    assert_problem(server.request("PUT", "/v1/organisation/profile", key=other["liveKey"], json=dict(PROFILE, uid=uid)), 409, "conflict")
    # The holder itself may change its profile and keep its UID.
    assert server.request("PUT", "/v1/organisation/profile", key=first["liveKey"], json=dict(PROFILE, uid=uid, legalName="Erste AG neu")).status_code == 200
    # Letters to the UID reach exactly one inbox: the holder's, once it verified again.
    assert verify(server, first["liveKey"], code_from_spool(server, first["liveKey"])).status_code == 200
    [answer] = server.post("/v1/reachability-checks", json={"items": [{"recipient": {"uid": uid}}]}).json()["items"]
    assert (answer["channel"], answer["digital"]) == ("epost", True), answer
