"""Roles on API keys: what each key may do on REST, SOAP and SMTP, and the admin's key
management (mint with roles, list with last use, revoke at once, rotate with a grace period,
never lock the organisation out)."""

from __future__ import annotations

import base64
import smtplib
import ssl

import pytest
import requests

from missive_testkit import assert_problem, make_pdf

PROFILE = {"legalName": "Rollen AG", "postalAddress": {"name": "Rollen AG", "street": "Marktgasse", "houseNumber": "3",
                                                       "postcode": "3011", "town": "Bern"}}


def mint(server, roles: list[str], key: str | None = None, name: str = "ci", mode: str = "test") -> dict:
    response = server.post("/v1/api-keys", key=key, json={"name": name, "roles": roles, "mode": mode})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["key"]["roles"] == roles and body["secret"].startswith(f"mk_{mode}_")
    return body


@pytest.fixture(scope="module")
def keys(shared_server) -> dict:
    return {role: mint(shared_server, [role])["secret"] for role in ("sender", "reader", "auditor", "admin")}


def test_each_role_may_do_its_part_of_the_rest_api(shared_server, keys: dict) -> None:
    server = shared_server
    recipient = {"recipient": server.recipient("physical")["recipient"]}
    envelope = server.submit_ok(recipient, make_pdf("roles"), key=keys["sender"])
    for role in ("reader", "auditor", "admin"):
        assert_problem(server.submit(recipient, make_pdf("roles"), key=keys[role]), 403, "forbidden")
    for role, status in (("sender", 200), ("reader", 200), ("admin", 200), ("auditor", 403)):
        assert server.get(f"/v1/envelopes/{envelope['id']}", key=keys[role]).status_code == status, role
        assert server.get("/v1/events", key=keys[role]).status_code == status, role
    for role in ("sender", "reader", "auditor", "admin"):
        assert server.get(f"/v1/envelopes/{envelope['id']}/evidence", key=keys[role]).status_code == 200, role
    hook = {"url": "http://127.0.0.1:9/hook"}
    for role in ("sender", "reader", "auditor"):
        assert_problem(server.post("/v1/webhooks", key=keys[role], json=hook), 403, "forbidden")
        assert_problem(server.get("/v1/api-keys", key=keys[role]), 403, "forbidden")
        assert_problem(server.post("/v1/api-keys", key=keys[role], json={"roles": ["admin"]}), 403, "forbidden")
    created = server.post("/v1/webhooks", key=keys["admin"], json=hook)
    assert created.status_code == 201, created.text
    assert server.request("DELETE", f"/v1/webhooks/{created.json()['id']}", key=keys["admin"]).status_code == 204
    # The problem says which roles would do.
    detail = assert_problem(server.submit(recipient, make_pdf("roles"), key=keys["reader"]), 403, "forbidden")["detail"]
    assert "reader" in detail and "sender" in detail
    # A mailbox key is no sender key either.
    assert server.get("/v1/api-keys", key=server.recipient("digital")["mailboxKey"]).status_code == 403


def test_roles_hold_on_soap_and_smtp(shared_server, keys: dict, pdf: bytes) -> None:
    server = shared_server
    org = server.sandbox["organisationId"]
    envelope = server.submit_ok({"recipient": server.recipient("physical")["recipient"]}, pdf)

    def call(key: str, operation: str, inner: str) -> requests.Response:
        body = (f'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                f'<m:{operation} xmlns:m="urn:missive:soap:v1">{inner}</m:{operation}></s:Body></s:Envelope>')
        return requests.post(f"{server.url}/soap", data=body.encode(), auth=(org, key), timeout=30,
                             headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"urn:missive:soap:v1#{operation}"'})

    status = f"<m:envelopeId>{envelope['id']}</m:envelopeId>"
    postal = "".join(f"<m:{k}>{v}</m:{k}>" for k, v in server.recipient("physical")["recipient"]["postal"].items())
    submit = (f"<m:envelope><m:recipient><m:postal>{postal}</m:postal></m:recipient></m:envelope>"
              f"<m:document><m:content>{base64.b64encode(pdf).decode()}</m:content></m:document>")
    assert call(keys["reader"], "GetStatus", status).status_code == 200
    refused = call(keys["reader"], "SubmitLetter", submit)
    assert refused.status_code == 500 and "forbidden" in refused.text and "sender" in refused.text, refused.text[:400]
    assert call(keys["sender"], "SubmitLetter", submit).status_code == 200
    assert "forbidden" in call(keys["auditor"], "GetStatus", status).text
    assert call(keys["auditor"], "GetEvidence", status).status_code == 200
    assert "forbidden" in call(keys["sender"], "RemoveStatusCallback", "").text

    context = ssl.create_default_context(cafile=server.sandbox["smtpCertificate"])
    context.check_hostname = False
    with smtplib.SMTP(server.sandbox["smtpHost"], server.sandbox["smtpPort"], timeout=30) as client:
        client.starttls(context=context)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(org, keys["reader"])  # a key that may not send does not log in


def test_admins_manage_keys_and_cannot_lock_themselves_out(shared_server) -> None:
    server = shared_server
    registered = requests.post(f"{server.url}/v1/registrations", json=PROFILE, timeout=30).json()
    admin, other_admin = registered["testKey"], registered["liveKey"]
    reader = mint(server, ["reader"], key=admin)
    listed = server.get("/v1/api-keys", key=admin).json()["items"]
    assert [k["roles"] for k in listed] == [["admin", "sender", "reader", "auditor"]] * 2 + [["reader"]]
    assert "secret" not in str(listed)
    assert server.get("/v1/events", key=reader["secret"]).status_code == 200
    used = next(k for k in server.get("/v1/api-keys", key=admin).json()["items"] if k["id"] == reader["key"]["id"])
    assert used.get("lastUsedAt")

    # Rotation: a successor with the same roles; the old key works until its expiresAt.
    rotated = server.post(f"/v1/api-keys/{reader['key']['id']}/rotate", key=admin)
    assert rotated.status_code == 201, rotated.text
    successor = rotated.json()
    assert successor["key"]["roles"] == ["reader"] and successor["secret"] != reader["secret"]
    assert server.get("/v1/events", key=successor["secret"]).status_code == 200
    assert server.get("/v1/events", key=reader["secret"]).status_code == 200
    old = next(k for k in server.get("/v1/api-keys", key=admin).json()["items"] if k["id"] == reader["key"]["id"])
    assert old.get("expiresAt") and not old.get("revokedAt")

    # Revocation works at once (no cache delay); another organisation cannot touch the key.
    assert server.request("DELETE", f"/v1/api-keys/{successor['key']['id']}", key=server.api_key).status_code == 404
    assert server.request("DELETE", f"/v1/api-keys/{successor['key']['id']}", key=admin).status_code == 204
    assert server.get("/v1/events", key=successor["secret"]).status_code == 401
    # No key revokes itself (with admin roles required for revoking, the organisation thus
    # always keeps a working admin key).
    live_id = next(k["id"] for k in listed if k["mode"] == "live")
    test_id = next(k["id"] for k in listed if k["mode"] == "test")
    assert server.request("DELETE", f"/v1/api-keys/{live_id}", key=admin).status_code == 204
    assert server.get("/v1/organisation", key=other_admin).status_code == 401
    assert "itself" in assert_problem(server.request("DELETE", f"/v1/api-keys/{test_id}", key=admin), 409, "conflict")["detail"]
    helper = mint(server, ["admin"], key=admin)
    assert server.request("DELETE", f"/v1/api-keys/{test_id}", key=helper["secret"]).status_code == 204
    assert server.get("/v1/organisation", key=admin).status_code == 401
    admin = helper["secret"]
    # Bad input.
    assert server.post("/v1/api-keys", key=admin, json={"roles": []}).status_code in (400, 422)
    assert server.post("/v1/api-keys", key=admin, json={"roles": ["owner"]}).status_code == 400
    assert server.request("DELETE", "/v1/api-keys/not-a-key", key=admin).status_code == 404
