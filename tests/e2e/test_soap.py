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


def test_no_credentials_is_a_fault(shared_server) -> None:
    response = post(shared_server, envelope(SOAP11, "<m:GetStatus><m:envelopeId>env_x</m:envelopeId></m:GetStatus>"), auth=False)
    assert response.status_code == 500 and "unauthenticated" in response.text


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
    envelope_id = etree.fromstring(response.content).find(".//{urn:missive:soap:v1}envelopeId").text
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
    assert response.status_code == 500 and "Client" in response.text, response.text[:500]
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
