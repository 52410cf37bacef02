"""Tenant isolation, as a matrix over the spec: every REST operation that names a resource
by id is called by organisation B with the ids of organisation A's envelope, evidence,
webhook, API key, user, mailbox letter and business inbox letter, with an API key and with a
person's login session, and must answer 404 and leave A's data as it was.
Collections (lists, the event feed) show B nothing of A's. A new operation with a path
parameter fails this test until it is added to the matrix. SOAP and SMTP: B cannot read,
cancel or take evidence of A's envelope, and cannot relay from A's sender domain."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage

import requests
import yaml
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

from missive_testkit import REPO_ROOT, make_pdf, wait_for_events, wait_until
from test_users import challenge, new_user

# operationId -> (method, path with A's ids filled in, body) for every operation with a path parameter.
def matrix(a: dict) -> dict:
    e, v, w, k, letter, u, i = a["envelope"], a["evidence"], a["webhook"], a["key"], a["letter"], a["user"], a["inboxLetter"]
    return {
        "getEnvelope": ("GET", f"/v1/envelopes/{e}", None),
        "cancelEnvelope": ("POST", f"/v1/envelopes/{e}/cancel", None),
        "listEnvelopeEvents": ("GET", f"/v1/envelopes/{e}/events", None),
        "listEnvelopeEvidence": ("GET", f"/v1/envelopes/{e}/evidence", None),
        "getEvidence": ("GET", f"/v1/evidence/{v}", None),
        "downloadEvidenceRecord": ("GET", f"/v1/evidence/{v}/record", None),
        "downloadEvidenceSeal": ("GET", f"/v1/evidence/{v}/seal", None),
        "downloadDocumentSeal": ("GET", f"/v1/evidence/{v}/documents/0/seal", None),
        "revokeAPIKey": ("DELETE", f"/v1/api-keys/{k}", None),
        "rotateAPIKey": ("POST", f"/v1/api-keys/{k}/rotate", None),
        "getWebhook": ("GET", f"/v1/webhooks/{w}", None),
        "deleteWebhook": ("DELETE", f"/v1/webhooks/{w}", None),
        "sendTestWebhook": ("POST", f"/v1/webhooks/{w}/test", None),
        "listWebhookDeliveries": ("GET", f"/v1/webhooks/{w}/deliveries", None),
        "removeUser": ("DELETE", f"/v1/users/{u}", None),
        "changeUserRoles": ("PUT", f"/v1/users/{u}/roles", {"roles": ["admin"]}),
        "unlockUser": ("POST", f"/v1/users/{u}/unlock", None),
        "resetUser": ("POST", f"/v1/users/{u}/reset", None),
        # A's business inbox: letters other organisations sent to A
        "getInboxLetter": ("GET", f"/v1/inbox/letters/{i}", None),
        "downloadInboxLetterDocument": ("GET", f"/v1/inbox/letters/{i}/document", None),
        # mailbox letters belong to recipients: another recipient's mailbox key
        "getMailboxLetter": ("GET", f"/v1/mailbox/letters/{letter}", "mailbox"),
        "downloadMailboxLetterDocument": ("GET", f"/v1/mailbox/letters/{letter}/document", "mailbox"),
    }


def spec_operations_with_ids() -> set[str]:
    spec = yaml.safe_load((REPO_ROOT / "openapi" / "missive.yaml").read_text())
    return {op["operationId"] for path, ops in spec["paths"].items() if "{" in path
            for method, op in ops.items() if method in ("get", "post", "put", "delete")}


def test_every_operation_on_another_tenants_ids_is_404(shared_server, tmp_path) -> None:
    server = shared_server
    # Organisation A: the sandbox's demo organisation, with an envelope delivered to a mailbox
    # (so it has evidence and a letter), a webhook and a second key.
    anna = server.recipient("digital")
    envelope = server.submit_ok({"recipient": anna["recipient"]}, make_pdf("tenancy A"))
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30)
    evidence = wait_until(lambda: server.get(f"/v1/envelopes/{envelope['id']}/evidence").json()["items"] or None, timeout=30, what="A's evidence")
    webhook = server.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/a"}).json()
    key = server.post("/v1/api-keys", json={"roles": ["reader"], "name": "A's reader"}).json()["key"]
    letters = server.get("/v1/mailbox/letters", key=anna["mailboxKey"]).json()["items"]
    letter = next(item for item in letters if item["document"]["sha256"] == envelope["documents"][0]["sha256"])
    user = server.post("/v1/users", json={"email": f"a-person-{uuid.uuid4().hex[:8]}@example.ch", "roles": ["reader"]}).json()["user"]
    # A letter in A's business inbox (A writes to its own UID; test letters reach test keys).
    to_a = server.submit_ok({"recipient": {"uid": server.sandbox["organisationUid"]}, "title": "tenancy inbox"}, make_pdf("tenancy inbox"))
    wait_for_events(server, to_a["id"], ["delivered"], timeout=30)
    inbox_letter = server.get("/v1/inbox/letters", params={"title": "tenancy inbox"}).json()["items"][0]
    a = {"envelope": envelope["id"], "evidence": evidence[0]["id"], "webhook": webhook["id"], "key": key["id"], "letter": letter["id"], "user": user["id"],
         "inboxLetter": inbox_letter["id"]}

    cases = matrix(a)
    assert set(cases) == spec_operations_with_ids(), "a new operation with an id in its path needs a row in the tenancy matrix"

    # Organisation B: a registered one (admin on everything) and another recipient.
    b = requests.post(f"{server.url}/v1/registrations", timeout=30, json={
        "legalName": "Fremd AG", "postalAddress": {"name": "Fremd AG", "street": "Weg", "houseNumber": "1", "postcode": "6003", "town": "Luzern"}}).json()
    other_mailbox = server.recipient("digital-never-opens")["mailboxKey"]
    # ... and a person of B with every role, logged in with a session (second step by recovery code,
    # which needs no clock move on this shared server).
    person = new_user(server, ["admin", "sender", "reader", "auditor"], key=b["testKey"])
    second = server.request("POST", "/v1/sessions/second-factor", key="",
                            json={"challenge": challenge(server, person), "recoveryCode": person["recoveryCodes"][0]})
    assert second.status_code == 201, second.text
    for credential in (b["testKey"], second.json()["sessionToken"]):
        for operation, (method, path, who) in cases.items():
            body = who if isinstance(who, dict) else None
            response = server.request(method, path, key=other_mailbox if who == "mailbox" else credential, json=body)
            assert response.status_code == 404, (operation, credential[:4], response.status_code, response.text[:200])

    # A's data is as it was.
    assert server.envelope(envelope["id"])["status"] in ("delivered", "consulted")
    assert server.get(f"/v1/webhooks/{webhook['id']}").status_code == 200
    assert not next(k for k in server.get("/v1/api-keys").json()["items"] if k["id"] == key["id"]).get("revokedAt")
    assert next(u for u in server.get("/v1/users").json()["items"] if u["id"] == user["id"]) == user
    # Collections show B nothing of A's.
    for path in ("/v1/envelopes", "/v1/events", "/v1/webhooks", "/v1/users", "/v1/inbox/letters", "/v1/inbox/feed"):
        body = server.get(path, key=b["testKey"]).json()
        assert a["envelope"] not in str(body) and a["webhook"] not in str(body) and a["user"] not in str(body), path
        assert a["inboxLetter"] not in str(body), path
    assert "consultedAt" not in server.get(f"/v1/inbox/letters/{a['inboxLetter']}").json()
    assert all(k["id"] != key["id"] for k in server.get("/v1/api-keys", key=b["testKey"]).json()["items"])
    assert letter["id"] not in str(server.get("/v1/mailbox/letters", key=other_mailbox).json())


def test_soap_and_smtp_keep_tenants_apart(shared_server, pdf: bytes) -> None:
    server = shared_server
    mine = server.submit_ok({"recipient": server.recipient("physical")["recipient"]}, pdf)
    b = requests.post(f"{server.url}/v1/registrations", timeout=30, json={
        "legalName": "Fremd SOAP AG", "postalAddress": {"name": "Fremd SOAP AG", "street": "Weg", "houseNumber": "2", "postcode": "6003", "town": "Luzern"}}).json()
    session = requests.Session()
    session.auth = (b["organisation"]["id"], b["testKey"])
    service = Client(f"{server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap12")
    for call in (lambda: service.GetStatus(envelopeId=mine["id"]), lambda: service.CancelEnvelope(envelopeId=mine["id"]),
                 lambda: service.GetEvidence(envelopeId=mine["id"]), lambda: service.GetEvents(envelopeId=mine["id"])):
        try:
            call()
            raise AssertionError("another tenant's envelope was reachable over SOAP")
        except Fault as fault:
            assert "No such envelope" in fault.message
    assert server.envelope(mine["id"])["status"] != "cancelled"
    # SMTP: B may not use A's verified sender domain.
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = server.sandbox["smtpFrom"], f"physical@{server.sandbox['smtpDomain']}", "not mine"
    message.set_content("x")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="letter.pdf")
    context = ssl.create_default_context(cafile=server.sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(server.sandbox["smtpHost"], server.sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        client.login(b["organisation"]["id"], b["testKey"])
        try:
            client.send_message(message)
            raise AssertionError("another tenant's sender domain was accepted")
        except smtplib.SMTPSenderRefused as error:
            assert error.smtp_code == 553, error
