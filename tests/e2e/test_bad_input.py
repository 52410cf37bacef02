"""Hostile and broken input. Every error must be an RFC 9457 `application/problem+json`
document with `type`, `title`, `status` (= the HTTP status) and `code` (= the last segment
of `type`), with the right status. The last test checks the server is still healthy."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from missive_testkit import (
    MissiveServer,
    assert_problem,
    b64,
    make_pdf,
    multipart_body,
)

INVALID = (400, 422)  # "malformed" vs "well-formed but invalid": either is acceptable here


def physical(s: MissiveServer) -> dict:
    return s.recipient("physical")["recipient"]


def post_multipart(s: MissiveServer, envelope, document, key: str | None = None, **kw):
    body, ctype = multipart_body(envelope, document, **kw)
    return s.post("/v1/envelopes", key=key, headers={"Content-Type": ctype}, data=body)


# --------------------------------------------------------------------------------------
# Multipart structure
# --------------------------------------------------------------------------------------

def test_malformed_envelope_json(shared_server: MissiveServer, pdf: bytes) -> None:
    assert_problem(post_multipart(shared_server, '{"recipient": {"postal": ', pdf), 400)


def test_envelope_part_not_an_object(shared_server: MissiveServer, pdf: bytes) -> None:
    assert_problem(post_multipart(shared_server, "[1, 2, 3]", pdf), INVALID)


def test_missing_document_part(shared_server: MissiveServer) -> None:
    assert_problem(post_multipart(shared_server, {"recipient": physical(shared_server)}, None), 400)


def test_missing_envelope_part(shared_server: MissiveServer, pdf: bytes) -> None:
    assert_problem(post_multipart(shared_server, None, pdf), 400)


def test_empty_multipart_body(shared_server: MissiveServer) -> None:
    assert_problem(post_multipart(shared_server, None, None), 400)


def test_broken_multipart_framing(shared_server: MissiveServer, pdf: bytes) -> None:
    body, ctype = multipart_body({"recipient": physical(shared_server)}, pdf)
    truncated = body[: len(body) // 2]  # no closing boundary
    assert_problem(shared_server.post("/v1/envelopes", headers={"Content-Type": ctype}, data=truncated), 400)
    # multipart without a boundary parameter (a malformed media type: 400 or 415)
    resp = shared_server.post("/v1/envelopes", headers={"Content-Type": "multipart/form-data"}, data=body)
    assert_problem(resp, (400, 415))


# --------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------

def test_non_pdf_document(shared_server: MissiveServer) -> None:
    resp = post_multipart(shared_server, {"recipient": physical(shared_server)}, b"Hello, I am plain text, not a PDF.\n")
    problem = assert_problem(resp, 422)
    print("non-PDF problem code:", problem["code"])


def test_empty_document(shared_server: MissiveServer) -> None:
    assert_problem(post_multipart(shared_server, {"recipient": physical(shared_server)}, b""), (400, 422))


def test_truncated_pdf(shared_server: MissiveServer, pdf: bytes) -> None:
    truncated = pdf[: pdf.rindex(b"%%EOF")]
    assert b"%%EOF" not in truncated
    assert_problem(post_multipart(shared_server, {"recipient": physical(shared_server)}, truncated), 422)
    half = pdf[: len(pdf) // 2]
    assert_problem(post_multipart(shared_server, {"recipient": physical(shared_server)}, half), 422)


def test_pdf_magic_only(shared_server: MissiveServer) -> None:
    assert_problem(post_multipart(shared_server, {"recipient": physical(shared_server)}, b"%PDF-1.4\n%%EOF\n"), 422)


def test_non_pdf_attachment(shared_server: MissiveServer, pdf: bytes) -> None:
    resp = post_multipart(shared_server, {"recipient": physical(shared_server)}, pdf, attachments=[b"GIF89a not a pdf"])
    assert_problem(resp, 422)


def test_document_part_with_other_media_type(shared_server: MissiveServer) -> None:
    resp = post_multipart(shared_server, {"recipient": physical(shared_server)}, b"just text", document_type="text/plain")
    assert_problem(resp, (415, 422))


def test_oversized_document(server_factory, pdf: bytes, big_pdf: bytes) -> None:
    s = server_factory("--max-document-bytes", "65536", name="small-limit")
    assert len(big_pdf) > 65536 > len(pdf)
    # Within the limit: fine.
    assert post_multipart(s, {"recipient": physical(s)}, pdf).status_code == 202
    # Main document, attachment, and JSON (base64) submission over the limit: 413.
    assert_problem(post_multipart(s, {"recipient": physical(s)}, big_pdf), 413)
    assert_problem(post_multipart(s, {"recipient": physical(s)}, pdf, attachments=[big_pdf]), 413)
    resp = s.post("/v1/envelopes", json={"envelope": {"recipient": physical(s)}, "document": {"content": b64(big_pdf)}})
    assert_problem(resp, 413)
    # The server survives and still accepts.
    assert s.get("/healthz", key="").status_code == 200
    assert post_multipart(s, {"recipient": physical(s)}, pdf).status_code == 202


# --------------------------------------------------------------------------------------
# Envelope content
# --------------------------------------------------------------------------------------

def test_unknown_field_in_envelope(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    assert_problem(post_multipart(s, {"recipient": physical(s), "colour": "blue"}, pdf), INVALID)
    assert_problem(post_multipart(s, {"recipient": {**physical(s), "phone": "123"}}, pdf), INVALID)
    postal = physical(s).get("postal")
    if postal:
        assert_problem(post_multipart(s, {"recipient": {"postal": {**postal, "floor": "3"}}}, pdf), INVALID)


@pytest.mark.parametrize("recipient", [
    {},
    {"uid": "CHE-12"},
    {"uid": "CHE-123.456.78X"},
    {"eBillId": "123"},
    {"ePostAddress": ""},
    {"postal": {"name": "Only A Name"}},
    {"postal": {"name": "X", "street": "Y", "postcode": "3000", "town": "Bern", "country": "che"}},
    "not an object",
    None,
], ids=["empty", "uid-short", "uid-letter", "ebillid-short", "epost-empty", "postal-incomplete", "country-lowercase",
        "string", "null"])
def test_invalid_recipient(shared_server: MissiveServer, pdf: bytes, recipient) -> None:
    assert_problem(post_multipart(shared_server, {"recipient": recipient}, pdf), INVALID)


@pytest.mark.parametrize("envelope_extra", [
    {"kind": "telegram"},
    {"invoice": {"amount": "12.5", "currency": "CHF"}},
    {"invoice": {"amount": "-1.00", "currency": "CHF"}},
    {"invoice": {"amount": "10.00", "currency": "USD"}},
    {"policy": {"mode": "carrier-pigeon"}},
    {"policy": {"printIfNotConsultedAfterDays": 0}},
    {"policy": {"notBefore": "tomorrow"}},
    {"print": {"mailClass": "Z"}},
    {"title": "x" * 201},
], ids=["kind", "amount-format", "amount-negative", "currency", "policy-mode", "print-days", "notbefore", "mailclass",
        "title-long"])
def test_invalid_envelope_fields(shared_server: MissiveServer, pdf: bytes, envelope_extra: dict) -> None:
    s = shared_server
    assert_problem(post_multipart(s, {"recipient": physical(s), **envelope_extra}, pdf), INVALID)


def test_missing_recipient(shared_server: MissiveServer, pdf: bytes) -> None:
    assert_problem(post_multipart(shared_server, {"title": "no recipient"}, pdf), INVALID)


# --------------------------------------------------------------------------------------
# JSON submissions and other bodies
# --------------------------------------------------------------------------------------

def test_json_submission_errors(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    hdrs = {"Content-Type": "application/json"}
    assert_problem(s.post("/v1/envelopes", headers=hdrs, data=b'{"envelope": '), 400)
    assert_problem(s.post("/v1/envelopes", headers=hdrs, data=b"[]"), INVALID)
    ok_env = {"recipient": physical(s)}
    assert_problem(s.post("/v1/envelopes", json={"envelope": ok_env}), INVALID)  # no document
    assert_problem(s.post("/v1/envelopes", json={"document": {"content": b64(pdf)}}), INVALID)  # no envelope
    assert_problem(s.post("/v1/envelopes", json={"envelope": ok_env, "document": {"content": "!!not base64!!"}}), INVALID)
    assert_problem(s.post("/v1/envelopes", json={"envelope": ok_env, "document": {"content": b64(b"plain text")}}), 422)
    assert_problem(s.post("/v1/envelopes", json={"envelope": ok_env, "document": {"content": b64(pdf), "mediaType": "image/png"}}), INVALID)
    assert_problem(s.post("/v1/envelopes", json={"envelope": ok_env, "document": {"content": b64(pdf)}, "extra": 1}), INVALID)


def test_unsupported_content_type(shared_server: MissiveServer) -> None:
    s = shared_server
    assert_problem(s.post("/v1/envelopes", headers={"Content-Type": "text/plain"}, data=b"hello"), 415)
    assert_problem(s.post("/v1/envelopes", headers={"Content-Type": "application/xml"}, data=b"<a/>"), 415)
    assert_problem(s.post("/v1/webhooks", headers={"Content-Type": "application/x-www-form-urlencoded"},
                          data=b"url=http%3A%2F%2F127.0.0.1%2Fx"), 415)
    # A media type that merely starts like a supported one is not it.
    body = b'--b\r\nContent-Disposition: form-data; name="envelope"\r\n\r\n{"recipient": null}\r\n--b--\r\n'
    assert_problem(s.post("/v1/envelopes", headers={"Content-Type": "multipart/form-dataX; boundary=b"}, data=body), 415)
    assert_problem(s.post("/v1/webhooks", headers={"Content-Type": "application/jsonp"}, data=b'{"url": null}'), 415)


@pytest.mark.parametrize("content_type", ["application/json", "*/*", "application/*", None],
                         ids=["json", "any", "application-any", "none"])
def test_a_json_null_is_refused_whatever_content_type_lets_the_body_be_read_as_json(shared_server: MissiveServer, content_type) -> None:
    """No field takes null; a wildcard or missing Content-Type must not let one pass as "absent"."""
    s = shared_server
    body = b'{"url": "http://127.0.0.1:9/null-scan", "description": null}'
    headers = {"Content-Type": content_type} if content_type else {}
    before = len(s.get("/v1/webhooks").json()["items"])
    resp = requests.post(s.url + "/v1/webhooks", data=body, headers={**s.headers(), **headers}, timeout=30)
    if content_type is None:
        assert "Content-Type" not in resp.request.headers
    problem = assert_problem(resp, (400, 415))
    if resp.status_code == 400:
        assert "null" in problem["detail"], problem
    assert len(s.get("/v1/webhooks").json()["items"]) == before


def test_idempotency_key_too_long(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    body, ctype = multipart_body({"recipient": physical(s)}, pdf)
    resp = s.post("/v1/envelopes", headers={"Content-Type": ctype, "Idempotency-Key": "k" * 256}, data=body)
    assert_problem(resp, INVALID)


def test_webhook_creation_errors(shared_server: MissiveServer) -> None:
    s = shared_server
    assert_problem(s.post("/v1/webhooks", json={}), INVALID)
    assert_problem(s.post("/v1/webhooks", json={"url": "not a url at all"}), INVALID)
    assert_problem(s.post("/v1/webhooks", json={"url": "ftp://127.0.0.1/hook"}), INVALID)
    assert_problem(s.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "eventTypes": ["exploded"]}), INVALID)
    assert_problem(s.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": "mine"}), INVALID)
    assert_problem(s.post("/v1/webhooks", headers={"Content-Type": "application/json"}, data=b"{"), 400)


def test_clock_and_reachability_errors(shared_server: MissiveServer) -> None:
    s = shared_server
    assert_problem(s.post("/v1/sandbox/clock", json={"seconds": 0}), INVALID)
    assert_problem(s.post("/v1/sandbox/clock", json={"seconds": -5}), INVALID)
    assert_problem(s.post("/v1/sandbox/clock", json={}), INVALID)
    assert_problem(s.get("/v1/reachability", params={"uid": "CHE-1"}), INVALID)
    assert_problem(s.get("/v1/reachability", params={"kind": "telegram", "uid": "CHE-123.456.789"}), INVALID)


def test_bad_query_parameters(shared_server: MissiveServer) -> None:
    s = shared_server
    assert_problem(s.get("/v1/envelopes", params={"limit": "ten"}), INVALID)
    assert_problem(s.get("/v1/envelopes", params={"status": "exploded"}), INVALID)
    assert_problem(s.get("/v1/envelopes", params={"createdAfter": "yesterday"}), INVALID)
    assert_problem(s.get("/v1/events", params={"type": "exploded"}), INVALID)
    assert_problem(s.get("/v1/events", params={"after": "x" * 65}), INVALID)


def test_unsupported_method(shared_server: MissiveServer) -> None:
    resp = shared_server.request("PUT", "/v1/envelopes", json={})
    assert_problem(resp, 405)
    allow = {m.strip().upper() for m in resp.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allow, resp.headers


# --------------------------------------------------------------------------------------
# Not found, tenancy
# --------------------------------------------------------------------------------------

def test_unknown_ids(shared_server: MissiveServer) -> None:
    s = shared_server
    fake = "env_" + "0" * 26
    assert_problem(s.get(f"/v1/envelopes/{fake}"), 404)
    assert_problem(s.get(f"/v1/envelopes/{fake}/events"), 404)
    assert_problem(s.post(f"/v1/envelopes/{fake}/cancel"), 404)
    assert_problem(s.get("/v1/envelopes/nonsense"), (400, 404))
    assert_problem(s.get("/v1/envelopes/%2e%2e%2f%2e%2e%2fetc"), (400, 404))
    assert_problem(s.get("/v1/webhooks/whk_doesnotexist"), 404)
    assert_problem(s.get("/v1/webhooks/whk_doesnotexist/deliveries"), 404)
    assert_problem(s.post("/v1/webhooks/whk_doesnotexist/test"), 404)
    mbk = s.recipient("digital")["mailboxKey"]
    assert_problem(s.get("/v1/mailbox/letters/ltr_doesnotexist", key=mbk), 404)
    assert_problem(s.get("/v1/mailbox/letters/ltr_doesnotexist/document", key=mbk), 404)
    assert_problem(s.get("/v1/no/such/route"), 404)


def test_other_organisation_cannot_see_ours(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    other = s.create_org(f"Other Org {uuid.uuid4().hex[:6]}")
    assert other["organisationId"] != s.organisation_id
    okey = other["apiKey"]

    idem = f"shared-key-{uuid.uuid4().hex}"
    mine = s.submit_ok({"recipient": physical(s), "reference": "tenancy-mine"}, pdf, idempotency_key=idem)
    # The other organisation using the same Idempotency-Key gets its own envelope, not ours.
    resp = s.submit({"recipient": physical(s), "reference": "tenancy-theirs"}, pdf, key=okey, idempotency_key=idem)
    assert resp.status_code == 202, resp.text
    assert resp.headers.get("Idempotent-Replayed") != "true"
    theirs = resp.json()
    assert theirs["id"] != mine["id"]

    for path in (f"/v1/envelopes/{mine['id']}", f"/v1/envelopes/{mine['id']}/events"):
        assert_problem(s.get(path, key=okey), 404)
    assert_problem(s.post(f"/v1/envelopes/{mine['id']}/cancel", key=okey), 404)
    for path in (f"/v1/envelopes/{theirs['id']}", f"/v1/envelopes/{theirs['id']}/events"):
        assert_problem(s.get(path), 404)

    their_list = {e["id"] for e in s.list_all("/v1/envelopes", key=okey)}
    assert their_list == {theirs["id"]}, their_list
    assert theirs["id"] not in {e["id"] for e in s.list_all("/v1/envelopes")}

    feed = s.get("/v1/events", key=okey, params={"limit": 200})
    assert feed.status_code == 200
    assert {e["envelopeId"] for e in feed.json()["items"]} <= {theirs["id"]}, "another organisation's events leaked"

    hook = s.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/other-org"}, key=okey)
    assert hook.status_code == 201, hook.text
    hid = hook.json()["id"]
    assert_problem(s.get(f"/v1/webhooks/{hid}"), 404)
    assert_problem(s.get(f"/v1/webhooks/{hid}/deliveries"), 404)
    assert_problem(s.post(f"/v1/webhooks/{hid}/test"), 404)
    assert_problem(s.request("DELETE", f"/v1/webhooks/{hid}"), 404)
    assert hid not in {w["id"] for w in s.get("/v1/webhooks").json()["items"]}
    assert s.request("DELETE", f"/v1/webhooks/{hid}", key=okey).status_code == 204


# --------------------------------------------------------------------------------------
# Authentication and authorisation
# --------------------------------------------------------------------------------------

SENDER_ENDPOINTS = [
    ("GET", "/v1/envelopes"),
    ("POST", "/v1/envelopes"),
    ("GET", "/v1/envelopes/env_00000000000000000000000000"),
    ("GET", "/v1/events"),
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/reachability?uid=CHE-123.456.789"),
    ("GET", "/v1/sandbox/clock"),
]
MAILBOX_ENDPOINTS = [
    ("GET", "/v1/mailbox/letters"),
    ("GET", "/v1/mailbox/letters/ltr_doesnotexist"),
    ("GET", "/v1/mailbox/preference"),
]


@pytest.mark.parametrize("method,path", SENDER_ENDPOINTS + MAILBOX_ENDPOINTS)
def test_no_or_wrong_key_is_401(shared_server: MissiveServer, method: str, path: str) -> None:
    s = shared_server
    assert_problem(s.request(method, path, key=""), 401)
    assert_problem(s.request(method, path, key="mk_test_thisisnotarealkey0000000000"), 401)
    assert_problem(s.request(method, path, key="", headers={"Authorization": f"Basic {b64(b'user:pass')}"}), 401)
    assert_problem(s.request(method, path, key="", headers={"Authorization": "Bearer"}), 401)


@pytest.mark.parametrize("method,path", SENDER_ENDPOINTS)
def test_mailbox_key_on_sender_endpoints_is_403(shared_server: MissiveServer, method: str, path: str) -> None:
    s = shared_server
    assert_problem(s.request(method, path, key=s.recipient("digital")["mailboxKey"]), 403)


@pytest.mark.parametrize("method,path", MAILBOX_ENDPOINTS)
def test_api_key_on_mailbox_endpoints_is_403(shared_server: MissiveServer, method: str, path: str) -> None:
    assert_problem(shared_server.request(method, path), 403)


def test_rate_limit(server_factory) -> None:
    """--rate-limit N: requests per second per API key; beyond it 429 with Retry-After."""
    s = server_factory("--rate-limit", "5", name="rate-limited")
    answers = [s.get("/v1/envelopes", params={"limit": 1}) for _ in range(40)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, f"40 rapid requests at --rate-limit 5 were never limited: {[r.status_code for r in answers]}"
    assert all(r.status_code in (200, 429) for r in answers), [r.status_code for r in answers]
    problem = assert_problem(limited[0], 429)
    retry_after = limited[0].headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit(), (limited[0].headers, problem)
    # Unauthenticated operational endpoints are not limited by the key's budget.
    assert s.get("/healthz", key="").status_code == 200


# --------------------------------------------------------------------------------------
# Still alive (keep this last in the file)
# --------------------------------------------------------------------------------------

def test_still_healthy_after_bad_input(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    assert s.get("/healthz", key="").status_code == 200
    assert s.get("/readyz", key="").status_code == 200
    env = s.submit_ok({"recipient": physical(s), "title": "after the storm"}, pdf)
    assert env["status"] == "accepted"
    assert s.envelope(env["id"])["id"] == env["id"]
    # And the JSON form too.
    resp = s.post("/v1/envelopes", json={"envelope": {"recipient": physical(s)}, "document": {"content": b64(make_pdf("again"))}})
    assert resp.status_code == 202, resp.text
    assert json.loads(resp.text)["status"] == "accepted"
