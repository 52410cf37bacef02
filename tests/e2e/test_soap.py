"""SOAP adapter end to end with a real third-party client generated from our WSDL (zeep),
plus hand-written bad requests. Every fault is checked in the protocol's own terms and the
server must stay up and store nothing for them.
"""

from __future__ import annotations

import base64

import pytest
import requests
# zeep is a required peer (scripts/test installs it): a missing one fails here, loudly.
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from missive_testkit import event_types, wait_for_events

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
TIMEOUT = 30.0


def client(server, *, basic: bool = True, token: UsernameToken | None = None) -> Client:
    session = requests.Session()
    if basic:
        session.auth = (server.sandbox["organisationId"], server.api_key)
    return Client(f"{server.url}/soap?wsdl", transport=Transport(session=session), wsse=token)


def count_envelopes(server) -> int:
    return len(server.list_all("/v1/envelopes"))


@pytest.mark.parametrize("port", ["MissiveSoap11", "MissiveSoap12"])
def test_zeep_submits_and_follows_the_same_lifecycle_as_rest(shared_server, pdf: bytes, port: str) -> None:
    service = client(shared_server).bind("MissiveService", port)
    dora = shared_server.recipient("physical")["recipient"]
    answer = service.SubmitLetter(envelope={"recipient": dora, "title": f"zeep {port}"},
                                  document={"filename": "letter.pdf", "content": pdf})
    assert answer["status"] == "accepted" and answer["replayed"] is False
    envelope_id = answer["envelopeId"]

    # The REST view of the same envelope: same lifecycle, ingress soap.
    events = wait_for_events(shared_server, envelope_id, ["accepted", "routed", "printed", "posted"], timeout=TIMEOUT)
    assert shared_server.envelope(envelope_id)["ingress"] == "soap"
    status = service.GetStatus(envelopeId=envelope_id)
    assert status["status"] == "posted" and status["channel"] == "physical"
    soap_events = service.GetEvents(envelopeId=envelope_id)
    assert [e["type"] for e in soap_events["event"]] == event_types(events)
    assert service.CheckReachability(recipient=dora)["channel"] == "physical"


def test_username_token_password_text(shared_server, pdf: bytes) -> None:
    token = UsernameToken(shared_server.sandbox["organisationId"], shared_server.api_key)
    service = client(shared_server, basic=False, token=token).bind("MissiveService", "MissiveSoap12")
    anna = shared_server.recipient("digital")["recipient"]
    answer = service.SubmitLetter(envelope={"recipient": anna}, document={"content": pdf})
    wait_for_events(shared_server, answer["envelopeId"], ["accepted", "routed", "delivered"], timeout=TIMEOUT)


def test_wrong_password_is_a_client_fault(shared_server, pdf: bytes) -> None:
    token = UsernameToken(shared_server.sandbox["organisationId"], "mk_test_wrong")
    service = client(shared_server, basic=False, token=token).bind("MissiveService", "MissiveSoap11")
    before = count_envelopes(shared_server)
    with pytest.raises(Fault) as fault:
        service.SubmitLetter(envelope={"recipient": {"uid": "CHE-123.456.789"}}, document={"content": pdf})
    assert fault.value.code.endswith("Client")
    assert count_envelopes(shared_server) == before


def test_client_reference_makes_submissions_idempotent(shared_server, pdf: bytes) -> None:
    service = client(shared_server).bind("MissiveService", "MissiveSoap11")
    dora = shared_server.recipient("physical")["recipient"]
    first = service.SubmitLetter(clientReference="erp-4711", envelope={"recipient": dora}, document={"content": pdf})
    again = service.SubmitLetter(clientReference="erp-4711", envelope={"recipient": dora}, document={"content": pdf})
    assert again["envelopeId"] == first["envelopeId"] and again["replayed"] is True
    with pytest.raises(Fault) as fault:
        service.SubmitLetter(clientReference="erp-4711", envelope={"recipient": dora, "title": "other"}, document={"content": pdf})
    assert fault.value.detail is not None
    assert b"idempotency_key_reused" in etree.tostring(fault.value.detail)


def test_another_tenants_envelope_is_not_found(shared_server, pdf: bytes) -> None:
    other = shared_server.create_org("Other SOAP AG")
    mine = shared_server.submit_ok({"recipient": shared_server.recipient("physical")["recipient"]}, pdf)
    session = requests.Session()
    session.auth = (other["organisationId"], other["apiKey"])
    service = Client(f"{shared_server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap11")
    with pytest.raises(Fault) as fault:
        service.GetStatus(envelopeId=mine["id"])
    assert "No such envelope" in fault.value.message


def post(server, body: bytes | str, *, content_type: str = "text/xml; charset=utf-8", action: str | None = '""',
         auth: bool = True) -> requests.Response:
    headers = {"Content-Type": content_type}
    if action is not None:
        headers["SOAPAction"] = action
    return requests.post(f"{server.url}/soap", data=body if isinstance(body, bytes) else body.encode(), headers=headers,
                         auth=(server.sandbox["organisationId"], server.api_key) if auth else None, timeout=30)


def envelope(ns: str, body: str) -> str:
    return f'<?xml version="1.0"?><s:Envelope xmlns:s="{ns}" xmlns:m="urn:missive:soap:v1"><s:Body>{body}</s:Body></s:Envelope>'


def submit_body(content: str) -> str:
    return ("<m:SubmitLetter><m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:envelope>"
            f"<m:document><m:content>{content}</m:content></m:document></m:SubmitLetter>")


BAD = {
    "not XML": ("this is not xml", "text/xml", '""', 500, "Client"),
    "truncated": (envelope(SOAP11, "<m:GetStatus><m:envelopeId>env_x")[:-20], "text/xml", '""', 500, "Client"),
    "wrong version for the content type": (envelope(SOAP11, "<m:GetStatus/>"), "application/soap+xml", None, 500, "VersionMismatch"),
    "missing SOAPAction (1.1)": (envelope(SOAP11, "<m:GetStatus><m:envelopeId>env_x</m:envelopeId></m:GetStatus>"), "text/xml", None, 500, "Client"),
    "unknown SOAPAction": (envelope(SOAP11, "<m:GetStatus/>"), "text/xml", '"urn:missive:soap:v1#Nope"', 500, "Client"),
    "XXE": ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + envelope(SOAP11, "<m:GetStatus>&x;</m:GetStatus>").split("?>", 1)[1],
            "text/xml", '""', 500, "Client"),
    "billion laughs": ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                       + envelope(SOAP11, "<m:GetStatus>&b;</m:GetStatus>").split("?>", 1)[1], "text/xml", '""', 500, "Client"),
    "deeply nested": (envelope(SOAP11, "<m:GetStatus>" + "<m:x>" * 100 + "</m:x>" * 100 + "</m:GetStatus>"), "text/xml", '""', 500, "Client"),
    "huge element name": (envelope(SOAP11, "<m:" + "n" * 100_000 + "/>"), "text/xml", '""', 500, "Client"),
    "invalid base64": (envelope(SOAP11, submit_body("!!!! not base64")), "text/xml", '""', 500, "Client"),
    "not a PDF": (envelope(SOAP11, submit_body(base64.b64encode(b"hello world").decode())), "text/xml", '""', 500, "Client"),
    "1.2 sender fault is 400": (envelope(SOAP12, "<m:Nope/>"), "application/soap+xml", None, 400, "Sender"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_requests_get_the_right_fault_and_store_nothing(shared_server, case: str) -> None:
    body, content_type, action, status, code = BAD[case]
    before = count_envelopes(shared_server)
    response = post(shared_server, body, content_type=content_type, action=action)
    assert response.status_code == status, (case, response.status_code, response.text[:500])
    assert "Fault" in response.text and code in response.text, (case, response.text[:500])
    assert "root:" not in response.text
    assert count_envelopes(shared_server) == before
    assert requests.get(f"{shared_server.url}/healthz", timeout=10).status_code == 200


def test_no_credentials_is_a_401_challenge_with_a_fault(shared_server) -> None:
    # .NET and Java toolkits send HTTP Basic credentials only after a challenge.
    for ns, content_type in ((SOAP11, "text/xml"), (SOAP12, "application/soap+xml")):
        response = post(shared_server, envelope(ns, "<m:GetStatus><m:envelopeId>env_x</m:envelopeId></m:GetStatus>"),
                        content_type=content_type, auth=False)
        assert response.status_code == 401, response.text[:300]
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert "unauthenticated" in response.text and ns in response.text
    wrong = requests.post(f"{shared_server.url}/soap", data=envelope(SOAP11, "<m:GetStatus><m:envelopeId>env_x</m:envelopeId></m:GetStatus>"),
                          headers={"Content-Type": "text/xml", "SOAPAction": '""'}, auth=(shared_server.sandbox["organisationId"], "mk_test_wrong"), timeout=10)
    assert wrong.status_code == 401 and "unauthenticated" in wrong.text


def test_version_mismatch_carries_an_upgrade_header(shared_server) -> None:
    response = post(shared_server, envelope(SOAP11, "<m:GetStatus/>"), content_type="application/soap+xml", action=None)
    assert response.status_code == 500
    root = etree.fromstring(response.content)
    supported = root.findall(f"{{{SOAP11}}}Header/{{{SOAP12}}}Upgrade/{{{SOAP12}}}SupportedEnvelope")
    assert [e.get("qname").split(":")[1] for e in supported] == ["Envelope", "Envelope"]
    assert {e.nsmap[e.get("qname").split(":")[0]] for e in supported} == {SOAP11, SOAP12}


# ------------------------------------------------------------------------------------------
# WS-Security PasswordDigest
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["MissiveSoap11", "MissiveSoap12"])
def test_username_token_password_digest_with_zeep(shared_server, pdf: bytes, port: str) -> None:
    token = UsernameToken(shared_server.sandbox["organisationId"], shared_server.api_key, use_digest=True)
    service = client(shared_server, basic=False, token=token).bind("MissiveService", port)
    dora = shared_server.recipient("physical")["recipient"]
    answer = service.SubmitLetter(envelope={"recipient": dora}, document={"content": pdf})
    assert answer["status"] == "accepted"
    # zeep mints a fresh nonce per message, so follow-up calls pass too.
    assert service.GetStatus(envelopeId=answer["envelopeId"])["id"] == answer["envelopeId"]
    wait_for_events(shared_server, answer["envelopeId"], ["accepted", "routed", "printed", "posted"], timeout=TIMEOUT)


def digest_request(org: str, key: str, *, nonce: bytes | None = None, created: str | None = None,
                   digest: str | None = None, body: str = "<m:GetEvents><m:limit>1</m:limit></m:GetEvents>",
                   text: bool = False, expires: str | None = None) -> str:
    """A request with a hand-made UsernameToken: PasswordDigest, or with `text` PasswordText
    plus Nonce and Created; `expires` adds a wsu:Timestamp."""
    import datetime
    import hashlib
    import os
    nonce = nonce if nonce is not None else os.urandom(16)
    created = created or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = digest or base64.b64encode(hashlib.sha1(nonce + created.encode() + key.encode()).digest()).decode()
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    profile = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    timestamp = f"<wsu:Timestamp><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>" if expires else ""
    password = f'<wsse:Password Type="{profile}#PasswordText">{key}</wsse:Password>' if text else f'<wsse:Password Type="{profile}#PasswordDigest">{digest}</wsse:Password>'
    header = (f'<s:Header><wsse:Security xmlns:wsse="{wsse}" xmlns:wsu="{wsu}" s:mustUnderstand="1">{timestamp}<wsse:UsernameToken>'
              f"<wsse:Username>{org}</wsse:Username>"
              f"{password}"
              f'<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
              f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>")
    return (f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP11}" xmlns:m="urn:missive:soap:v1">{header}'
            f"<s:Body>{body}</s:Body></s:Envelope>")


def fault_code_and_text(response: requests.Response) -> tuple[str, str]:
    root = etree.fromstring(response.content)
    return (root.findtext(".//{urn:missive:soap:v1}fault/{urn:missive:soap:v1}code"),
            root.findtext(".//{urn:missive:soap:v1}fault/{urn:missive:soap:v1}text"))


def test_password_digest_replay_expiry_and_wrong_digest_are_refused(shared_server) -> None:
    import datetime
    org, key = shared_server.sandbox["organisationId"], shared_server.api_key
    first = digest_request(org, key)
    assert post(shared_server, first, auth=False).status_code == 200
    replay = post(shared_server, first, auth=False)
    assert replay.status_code == 500
    assert fault_code_and_text(replay)[0] == "unauthenticated" and "replay" in fault_code_and_text(replay)[1]

    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expired = post(shared_server, digest_request(org, key, created=old), auth=False)
    assert expired.status_code == 500
    assert fault_code_and_text(expired)[0] == "unauthenticated" and "expired" in fault_code_and_text(expired)[1]
    future = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "expired" in fault_code_and_text(post(shared_server, digest_request(org, key, created=future), auth=False))[1]

    for response in (post(shared_server, digest_request(org, "mk_test_not_the_key"), auth=False),
                     post(shared_server, digest_request(org, key, nonce=b"1234"), auth=False),
                     post(shared_server, digest_request(org, key, created="yesterday"), auth=False)):
        assert response.status_code == 500 and fault_code_and_text(response)[0] == "unauthenticated", response.text[:300]
    # Another organisation's key does not authenticate as this organisation.
    other = shared_server.create_org("Digest Other AG")
    assert fault_code_and_text(post(shared_server, digest_request(org, other["apiKey"]), auth=False))[0] == "unauthenticated"
    assert post(shared_server, digest_request(other["organisationId"], other["apiKey"]), auth=False).status_code == 200


def test_password_text_nonce_and_timestamp_are_checked_too(shared_server) -> None:
    import datetime
    org, key = shared_server.sandbox["organisationId"], shared_server.api_key
    with_nonce = digest_request(org, key, text=True)
    assert post(shared_server, with_nonce, auth=False).status_code == 200
    assert "replay" in fault_code_and_text(post(shared_server, with_nonce, auth=False))[1]
    now = datetime.datetime.now(datetime.timezone.utc)
    soon = (now + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    past = (now - datetime.timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert post(shared_server, digest_request(org, key, expires=soon), auth=False).status_code == 200
    stale = post(shared_server, digest_request(org, key, expires=past), auth=False)
    assert stale.status_code == 500 and "Timestamp has expired" in fault_code_and_text(stale)[1]


def test_basic_and_token_must_name_the_same_organisation(shared_server) -> None:
    org, key = shared_server.sandbox["organisationId"], shared_server.api_key
    other = shared_server.create_org("Both Ways AG")
    body = digest_request(org, key)
    mixed = requests.post(f"{shared_server.url}/soap", data=body, headers={"Content-Type": "text/xml", "SOAPAction": '""'},
                          auth=(other["organisationId"], other["apiKey"]), timeout=10)
    assert mixed.status_code == 500 and fault_code_and_text(mixed)[0] == "unauthenticated"
    same = requests.post(f"{shared_server.url}/soap", data=digest_request(org, key), headers={"Content-Type": "text/xml", "SOAPAction": '""'},
                         auth=(org, key), timeout=10)
    assert same.status_code == 200


def test_a_mailbox_key_is_forbidden(shared_server) -> None:
    anna = shared_server.recipient("digital")
    response = requests.post(f"{shared_server.url}/soap", data=envelope(SOAP11, "<m:GetEvents/>"),
                             headers={"Content-Type": "text/xml", "SOAPAction": '""'},
                             auth=(shared_server.sandbox["organisationId"], anna["mailboxKey"]), timeout=10)
    assert response.status_code == 500 and fault_code_and_text(response)[0] == "forbidden"


def test_duplicate_client_references_in_a_batch_are_both_refused(shared_server, pdf: bytes) -> None:
    service = client(shared_server).bind("MissiveService", "MissiveSoap11")
    dora = shared_server.recipient("physical")["recipient"]
    item = lambda ref: {"clientReference": ref, "envelope": {"recipient": dora}, "document": {"content": pdf}}  # noqa: E731
    before = count_envelopes(shared_server)
    answer = service.SubmitBatch(item=[item("batch-dup"), item("batch-unique"), item("batch-dup")])
    results = {r["index"]: r for r in answer}
    assert results[0]["error"]["code"] == "invalid_request" and results[2]["error"]["code"] == "invalid_request"
    assert results[1]["envelopeId"].startswith("env_")
    assert count_envelopes(shared_server) == before + 1


def test_soap_shares_the_keys_rate_limit_with_rest(server_factory) -> None:
    server = server_factory("--rate-limit", "5", name="soap-rate-limited")
    answers = [post(server, envelope(SOAP11, "<m:GetEvents><m:limit>1</m:limit></m:GetEvents>")) for _ in range(30)]
    limited = [a for a in answers if a.status_code != 200]
    assert limited, [a.status_code for a in answers]
    assert all(a.status_code == 500 and fault_code_and_text(a)[0] == "rate_limited" and int(a.headers["Retry-After"]) >= 1 for a in limited)
    assert "Server" in limited[0].text
    # The same key is limited on REST right away: one budget.
    assert server.get("/v1/envelopes").status_code == 429


def test_wsdl_and_schema_are_served(shared_server) -> None:
    wsdl = requests.get(f"{shared_server.url}/soap?wsdl", timeout=10)
    assert wsdl.status_code == 200 and "MissiveService" in wsdl.text
    assert f'location="{shared_server.url}/soap"' in wsdl.text
    xsd = requests.get(f"{shared_server.url}/soap/missive.xsd", timeout=10)
    assert xsd.status_code == 200 and "urn:missive:soap:v1" in xsd.text


def mtom(server, envelope_xml: str, parts: dict[str, bytes], *, version: str = "1.1", boundary: str = "MIMEBoundary_missive_test") -> requests.Response:
    """Sends an MTOM/XOP package built by hand: the envelope first, then one part per Content-ID."""
    start_info = "text/xml" if version == "1.1" else "application/soap+xml"
    body = bytearray()
    body += (f"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"{start_info}\"\r\n"
             f"Content-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@missive>\r\n\r\n").encode()
    body += envelope_xml.encode() + b"\r\n"
    for content_id, data in parts.items():
        body += (f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n"
                 f"Content-ID: <{content_id}>\r\n\r\n").encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    content_type = (f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
                    f'start="<root.message@missive>"; start-info="{start_info}"')
    headers = {"Content-Type": content_type}
    if version == "1.1":
        headers["SOAPAction"] = '"urn:missive:soap:v1#SubmitLetter"'
    return requests.post(f"{server.url}/soap", data=bytes(body), headers=headers,
                         auth=(server.sandbox["organisationId"], server.api_key), timeout=60)


def xop_root(response: requests.Response) -> etree._Element:
    """The SOAP envelope of an MTOM answer, read with Python's own MIME parser: a
    multipart/related XOP package whose start part is the envelope."""
    import email
    import email.policy
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/related") and 'type="application/xop+xml"' in content_type, content_type
    message = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + response.content, policy=email.policy.HTTP)
    assert message.is_multipart()
    parts = list(message.iter_parts())
    assert len(parts) == 1 and parts[0].get_content_type() == "application/xop+xml"
    assert parts[0]["Content-ID"] == message.get_param("start")
    return etree.fromstring(parts[0].get_payload(decode=True))


def mtom_submit(content_ids: list[str], namespace: str = SOAP11) -> str:
    includes = "".join(
        f'<m:{"document" if i == 0 else "attachment"}><m:content><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{cid}"/></m:content></m:{"document" if i == 0 else "attachment"}>'
        for i, cid in enumerate(content_ids))
    return envelope(namespace, "<m:SubmitLetter><m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid>"
                               "<m:postal><m:name>Dora Papier</m:name><m:street>Postgasse</m:street><m:houseNumber>5</m:houseNumber>"
                               f"<m:postcode>4051</m:postcode><m:town>Basel</m:town></m:postal></m:recipient></m:envelope>{includes}</m:SubmitLetter>")


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_mtom_documents_are_stored_byte_for_byte(shared_server, big_pdf: bytes, pdf: bytes, version: str) -> None:
    namespace = SOAP11 if version == "1.1" else SOAP12
    response = mtom(shared_server, mtom_submit(["doc-1@missive", "att-1@missive"], namespace),
                    {"doc-1@missive": big_pdf, "att-1@missive": pdf}, version=version)
    assert response.status_code == 200, response.text[:500]
    # An MTOM request gets an MTOM answer (.NET's MTOM encoder insists on it).
    root = xop_root(response)
    assert root.tag == f"{{{namespace}}}Envelope"
    envelope_id = root.find(".//{urn:missive:soap:v1}envelopeId").text
    documents = shared_server.envelope(envelope_id)["documents"]
    import hashlib
    assert [d["sha256"] for d in documents] == [hashlib.sha256(big_pdf).hexdigest(), hashlib.sha256(pdf).hexdigest()]
    assert [d["role"] for d in documents] == ["main", "attachment"]


@pytest.mark.parametrize("case", ["missing part", "extra part"])
def test_mtom_with_a_missing_or_extra_part_is_a_fault(shared_server, pdf: bytes, case: str) -> None:
    before = count_envelopes(shared_server)
    if case == "missing part":
        response = mtom(shared_server, mtom_submit(["doc-1@missive"]), {})
    else:
        response = mtom(shared_server, mtom_submit(["doc-1@missive"]), {"doc-1@missive": pdf, "stray@missive": pdf})
    assert response.status_code == 500, response.text[:500]
    assert xop_root(response).find(f".//{{{SOAP11}}}Fault/faultcode").text.endswith("Client")
    assert count_envelopes(shared_server) == before


def test_wsdl_alias_forwarded_proto_and_other_methods(shared_server) -> None:
    alias = requests.get(f"{shared_server.url}/soap/missive.wsdl", timeout=10)
    assert alias.status_code == 200 and "MissiveService" in alias.text
    behind_proxy = requests.get(f"{shared_server.url}/soap?wsdl", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    host = shared_server.url.split("://", 1)[1]
    assert f'location="https://{host}/soap"' in behind_proxy.text
    for method in ("PUT", "DELETE", "PATCH"):
        response = requests.request(method, f"{shared_server.url}/soap", timeout=10)
        assert response.status_code == 405 and "POST" in response.headers.get("Allow", ""), method
    plain_get = requests.get(f"{shared_server.url}/soap", timeout=10)
    assert plain_get.status_code == 405


# ------------------------------------------------------------------------------------------
# Status callback: StatusNotification messages from the durable outbox
# ------------------------------------------------------------------------------------------

class CallbackReceiver:
    """The sender's SOAP endpoint: records each request; answers 500 to the first `fail_first`."""

    def __init__(self, fail_first: int = 0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[tuple[dict, bytes, int]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = 500 if len(receiver.requests) < receiver.fail_first else 200
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                reply = b"" if status != 200 else (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body>'
                                                   '<StatusNotificationResponse xmlns="urn:missive:soap:v1"/></s:Body></s:Envelope>').encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/missive/status"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def notification_schema() -> etree.XMLSchema:
    from pathlib import Path
    return etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parents[2] / "wsdl" / "missive.xsd")))


def parse_notification(body: bytes, soap_ns: str, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(body)
    assert root.tag == f"{{{soap_ns}}}Envelope", root.tag
    notification = root.find(f"{{{soap_ns}}}Body")[0]
    schema.assertValid(notification)
    return notification


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_status_callback_receives_signed_schema_valid_notifications(shared_server, pdf: bytes, version: str) -> None:
    import datetime
    from standardwebhooks import Webhook

    org = shared_server.create_org(f"Callback AG {version}")
    session = requests.Session()
    session.auth = (org["organisationId"], org["apiKey"])
    service = Client(f"{shared_server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap11")
    receiver = CallbackReceiver(fail_first=1)
    try:
        registered = service.SetStatusCallback(url=receiver.url, soapVersion=version)
        assert registered["callbackId"].startswith("whk_") and registered["signingSecret"].startswith("whsec_")
        hooks = requests.get(f"{shared_server.url}/v1/webhooks", headers={"Authorization": f"Bearer {org['apiKey']}"}, timeout=10).json()["items"]
        assert [(h["id"], h["format"]) for h in hooks] == [(registered["callbackId"], f"soap-{version}")]

        anna = shared_server.recipient("digital")["recipient"]
        envelope_id = service.SubmitLetter(envelope={"recipient": anna}, document={"content": pdf})["envelopeId"]
        soap_ns = SOAP11 if version == "1.1" else SOAP12
        schema = notification_schema()
        m = "{urn:missive:soap:v1}"

        def delivered_types() -> list[str] | None:
            with receiver.lock:
                done = [(h, b) for h, b, status in receiver.requests if status == 200]
            types = [parse_notification(b, soap_ns, schema).findtext(f"{m}event/{m}type") for _, b in done]
            return types if "delivered" in types else None

        from missive_testkit import wait_until
        types = wait_until(delivered_types, timeout=TIMEOUT, what="delivered notification")
        assert types[:3] == ["accepted", "routed", "delivered"], types  # in order, each once

        with receiver.lock:
            requests_seen = list(receiver.requests)
        # The first attempt was answered 500 and retried with the same notificationId.
        first_id = parse_notification(requests_seen[0][1], soap_ns, schema).findtext(f"{m}notificationId")
        assert parse_notification(requests_seen[1][1], soap_ns, schema).findtext(f"{m}notificationId") == first_id
        for headers, body, _ in requests_seen:
            notification = parse_notification(body, soap_ns, schema)
            assert notification.findtext(f"{m}event/{m}envelopeId") == envelope_id
            assert notification.findtext(f"{m}notificationId") == headers["webhook-id"]
            assert notification.findtext(f"{m}type") == "envelope." + notification.findtext(f"{m}event/{m}type")
            if version == "1.1":
                assert headers["content-type"].startswith("text/xml")
                assert headers["soapaction"] == '"urn:missive:soap:v1#StatusNotification"'
            else:
                assert headers["content-type"].startswith("application/soap+xml")
                assert 'action="urn:missive:soap:v1#StatusNotification"' in headers["content-type"]
            # The signature (Standard Webhooks, computed by the reference library) covers the XML body.
            sent_at = datetime.datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=datetime.timezone.utc)
            expected = Webhook(registered["signingSecret"]).sign(headers["webhook-id"], sent_at, body.decode())
            assert expected in headers["webhook-signature"].split(" ")

        # Setting again replaces the callback; removing it removes it.
        again = service.SetStatusCallback(url=receiver.url, soapVersion=version, eventType=["delivered"])
        hooks = requests.get(f"{shared_server.url}/v1/webhooks", headers={"Authorization": f"Bearer {org['apiKey']}"}, timeout=10).json()["items"]
        assert [(h["id"], h["eventTypes"]) for h in hooks] == [(again["callbackId"], ["delivered"])]
        assert service.RemoveStatusCallback() is True
        assert service.RemoveStatusCallback() is False
        hooks = requests.get(f"{shared_server.url}/v1/webhooks", headers={"Authorization": f"Bearer {org['apiKey']}"}, timeout=10).json()["items"]
        assert hooks == []
    finally:
        receiver.close()


@pytest.mark.parametrize("url,version", [("ftp://erp.example/x", "1.1"), ("not a url", "1.1"), ("https://erp.example/x", "2.0")])
def test_status_callback_with_a_bad_url_or_version_is_a_fault(shared_server, url: str, version: str) -> None:
    # zeep validates the enumeration itself, so the request is written by hand.
    body = f"<m:SetStatusCallback><m:url>{url}</m:url><m:soapVersion>{version}</m:soapVersion></m:SetStatusCallback>"
    response = post(shared_server, envelope(SOAP11, body))
    assert response.status_code == 500 and "invalid_field" in response.text, response.text[:300]
