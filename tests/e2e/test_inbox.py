"""The business inbox (issue 6, part 4), end to end.

Two organisations register and are verified by post (the code read from the live print
spool, as the print partner's printer would). A sends letters to B by B's UID; B's reader
(an API key and a person logged in with two steps) finds them by sender, title, kind, date
and unread, downloads one (A sees `consulted`), B's webhook receiver (a real local HTTP
server verifying Standard Webhooks signatures) gets a signed `letter.received` for each,
and the export feed returns each exactly once across pages. A profile change pauses B's
inbox: a letter sent meanwhile is printed (A's `routed` event says `mailbox_paused`); once
the new code is entered, letters are digital again. A cannot read B's inbox, sender and
auditor keys are refused naming the roles that would do, test keys see no live letter, and
bad parameters are 400 problem+json.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from missive_testkit import assert_problem, make_pdf, parse_time, wait_for_events, wait_until
from test_organisation import code_from_spool, verify
from test_users import login, new_user


@pytest.fixture(scope="module")
def inbox_server(session_server_factory):
    # Its own server: people's logins move the sandbox clock.
    return session_server_factory("--webhook-retry-base-seconds", "0.2", name="inbox")


def unique_uid() -> str:
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}"


def verified_organisation(server, name: str, street: str) -> dict:
    profile = {"legalName": name, "uid": unique_uid(),
               "postalAddress": {"name": name, "street": street, "houseNumber": "7", "postcode": "8001", "town": "Zürich"}}
    response = requests.post(f"{server.url}/v1/registrations", json=profile, timeout=30)
    assert response.status_code == 201, response.text
    body = response.json()
    live = body["liveKey"]
    assert verify(server, live, code_from_spool(server, live)).status_code == 200
    return {"id": body["organisation"]["id"], "live": live, "test": body["testKey"], "profile": profile}


def mint(server, key: str, roles: list[str], mode: str = "live") -> str:
    response = server.post("/v1/api-keys", key=key, json={"name": f"inbox {'+'.join(roles)}", "roles": roles, "mode": mode})
    assert response.status_code == 201, response.text
    return response.json()["secret"]


def send(server, sender: dict, recipient_uid: str, title: str, kind: str = "letter", text: str | None = None) -> dict:
    envelope = {"recipient": {"uid": recipient_uid}, "title": title, "kind": kind}
    return server.submit_ok(envelope, make_pdf(text or title), key=sender["live"])


def search(server, key: str, **params) -> list[dict]:
    response = server.get("/v1/inbox/letters", key=key, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_letters_from_one_organisation_reach_anothers_inbox(inbox_server, receiver_factory) -> None:
    server = inbox_server
    a = verified_organisation(server, "Zürcher Absender AG", "Limmatquai")
    b = verified_organisation(server, "Empfänger Bank AG", "Paradeplatz")
    receiver, hook = receiver_factory(server, event_types=["letter.received"], key=b["live"])
    assert hook["eventTypes"] == ["letter.received"]
    reader = mint(server, b["live"], ["reader"])

    inbox = server.get("/v1/inbox", key=reader).json()
    assert inbox["status"] == "active" and inbox["uid"] == b["profile"]["uid"], inbox
    assert inbox["postalAddress"]["street"] == "Paradeplatz"

    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    sent = []
    # One after the other, so that they arrive in this order.
    for title, kind, text in (("Rechnung Nr. 4711", "invoice", None), ("Rahmenvertrag 2027", "contract", None),
                              ("Mahnung", "notice", "confidential reminder body")):
        envelope = send(server, a, b["profile"]["uid"], title, kind, text=text)
        events = wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=30, key=a["live"])
        routed = next(e for e in events if e["type"] == "routed")
        assert routed["channel"] == "epost" and routed["reason"]["code"] == "epost_mailbox", routed
        sent.append(envelope)

    # Search: by sender (case and accents do not matter), title, kind, date and unread.
    everything = search(server, reader)
    assert [letter["title"] for letter in everything] == ["Mahnung", "Rahmenvertrag 2027", "Rechnung Nr. 4711"]
    letter = everything[-1]
    assert letter["sender"] == {"organisationId": a["id"], "name": "Zürcher Absender AG", "uid": a["profile"]["uid"]}
    assert letter["kind"] == "invoice" and letter["mode"] == "live" and "consultedAt" not in letter
    assert len(search(server, reader, sender="ZURCHER absender")) == 3
    assert search(server, reader, sender="Empfänger") == []
    assert [x["title"] for x in search(server, reader, title="4711")] == ["Rechnung Nr. 4711"]
    assert [x["title"] for x in search(server, reader, kind="contract")] == ["Rahmenvertrag 2027"]
    assert [x["title"] for x in search(server, reader, title="mahn", kind="notice", sender="zürcher")] == ["Mahnung"]
    received = parse_time(letter["receivedAt"])
    assert before <= received
    assert len(search(server, reader, receivedFrom=before.isoformat())) == 3
    assert search(server, reader, receivedTo=before.isoformat()) == []
    assert len(search(server, reader, unread="true")) == 3
    page = server.get("/v1/inbox/letters", key=reader, params={"limit": 2}).json()
    rest = server.get("/v1/inbox/letters", key=reader, params={"limit": 2, "cursor": page["nextCursor"]}).json()
    assert [x["id"] for x in page["items"] + rest["items"]] == [x["id"] for x in everything] and "nextCursor" not in rest

    # Download: the PDF as sent; the first download is A's `consulted`.
    assert server.get(f"/v1/inbox/letters/{letter['id']}", key=reader).json() == letter
    document = server.get(f"/v1/inbox/letters/{letter['id']}/document", key=reader)
    assert document.status_code == 200 and document.headers["content-type"].startswith("application/pdf")
    assert document.content == make_pdf("Rechnung Nr. 4711")
    wait_for_events(server, sent[0]["id"], ["delivered", "consulted"], timeout=30, key=a["live"])
    assert [x["title"] for x in search(server, reader, unread="true")] == ["Mahnung", "Rahmenvertrag 2027"]
    assert server.get(f"/v1/inbox/letters/{letter['id']}", key=reader).json()["consultedAt"]

    # The webhook: one signed letter.received per letter, with no document content.
    def all_arrived(r) -> list[dict] | None:
        got = [p for p in r.verified if p["type"] == "letter.received"]
        return got if len(got) >= 3 else None
    payloads = receiver.wait_for(all_arrived, timeout=30, what="three letter.received messages")
    assert not receiver.failures, receiver.describe()
    by_id = {p["data"]["letterId"]: p["data"] for p in payloads}
    assert set(by_id) == {x["id"] for x in everything}
    data = by_id[letter["id"]]
    assert data["sender"]["name"] == "Zürcher Absender AG" and data["kind"] == "invoice" and data["title"] == "Rechnung Nr. 4711"
    # REST writes times truncated to the millisecond, webhooks rounded.
    assert abs(parse_time(data["receivedAt"]) - received) <= timedelta(milliseconds=1)
    assert set(data) <= {"letterId", "sender", "kind", "title", "receivedAt", "attachmentCount", "document"}
    assert "confidential reminder body" not in str(payloads)
    assert all(d.headers.get("webhook-id", "").startswith("msg_") for d in receiver.requests)

    # The export feed: every letter exactly once across pages, in arrival order; an empty
    # page keeps the cursor, and a later letter comes after it.
    exported: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 1} | ({"after": cursor} if cursor else {})
        body = server.get("/v1/inbox/feed", key=reader, params=params).json()
        if not body["items"]:
            assert body["nextCursor"] == cursor
            break
        exported += [x["id"] for x in body["items"]]
        cursor = body["nextCursor"]
    assert exported == [x["id"] for x in reversed(everything)]
    late = send(server, a, b["profile"]["uid"], "Nachtrag")
    wait_for_events(server, late["id"], ["delivered"], timeout=30, key=a["live"])
    after = server.get("/v1/inbox/feed", key=reader, params={"after": cursor}).json()
    assert [x["title"] for x in after["items"]] == ["Nachtrag"] and after["nextCursor"] != cursor

    # Who may read: reader and admin keys and people; not sender, auditor, mailbox keys.
    person = login(server, new_user(server, ["reader"], key=b["live"]))
    assert len(search(server, person)) == 4
    assert len(search(server, b["live"])) == 4
    for role in ("sender", "auditor"):
        key = mint(server, b["live"], [role])
        for path in ("/v1/inbox", "/v1/inbox/letters", f"/v1/inbox/letters/{letter['id']}", f"/v1/inbox/letters/{letter['id']}/document", "/v1/inbox/feed"):
            detail = assert_problem(server.get(path, key=key), 403, "forbidden")["detail"]
            assert "admin or reader" in detail, detail
    assert_problem(server.get("/v1/inbox/letters", key=server.recipient("digital")["mailboxKey"]), 403, "forbidden")

    # Tenancy: A (admin, every role) sees none of B's letters; B's test key sees no live letter.
    for key in (a["live"], a["test"], b["test"]):
        assert_problem(server.get(f"/v1/inbox/letters/{letter['id']}", key=key), 404, "not_found")
        assert_problem(server.get(f"/v1/inbox/letters/{letter['id']}/document", key=key), 404, "not_found")
        assert search(server, key) == []
        assert server.get("/v1/inbox/feed", key=key).json()["items"] == []


def test_a_profile_change_pauses_the_inbox_until_the_new_code(inbox_server) -> None:
    server = inbox_server
    a = verified_organisation(server, "Absender Pause AG", "Bahnhofstrasse")
    b = verified_organisation(server, "Umzug Bank AG", "Marktgasse")
    old_uid = b["profile"]["uid"]
    moved = dict(b["profile"], postalAddress=dict(b["profile"]["postalAddress"], street="Neugasse", postcode="3011", town="Bern"))
    assert server.request("PUT", "/v1/organisation/profile", key=b["live"], json=moved).json()["status"] == "unverified"
    paused = server.get("/v1/inbox", key=b["live"]).json()
    # Letters still find the inbox by the last verified UID and address, and are printed there.
    assert paused["status"] == "paused" and paused["uid"] == old_uid and paused["postalAddress"]["street"] == "Marktgasse"
    while_paused = send(server, a, old_uid, "Während der Pause")
    events = wait_for_events(server, while_paused["id"], ["accepted", "routed"], timeout=30, key=a["live"])
    routed = next(e for e in events if e["type"] == "routed")
    assert routed["channel"] == "physical" and routed["reason"]["code"] == "mailbox_paused", routed
    assert "not_verified" in routed["reason"]["text"]
    assert search(server, b["live"], title="Pause") == []
    # Reading the letters already there goes on; the new code resumes delivery.
    assert verify(server, b["live"], code_from_spool(server, b["live"])).status_code == 200
    resumed = server.get("/v1/inbox", key=b["live"]).json()
    assert resumed["status"] == "active" and resumed["postalAddress"]["town"] == "Bern"
    after = send(server, a, old_uid, "Nach der Pause")
    events = wait_for_events(server, after["id"], ["accepted", "routed", "delivered"], timeout=30, key=a["live"])
    assert next(e for e in events if e["type"] == "routed")["channel"] == "epost"
    assert [x["title"] for x in search(server, b["live"], title="pause")] == ["Nach der Pause"]


def test_test_letters_reach_test_keys_only_and_no_webhook(inbox_server, receiver_factory) -> None:
    server = inbox_server
    b = verified_organisation(server, "Testempfang AG", "Hauptstrasse")
    receiver, hook = receiver_factory(server, event_types=["letter.received"], key=b["live"])
    stranger = requests.post(f"{server.url}/v1/registrations", timeout=30, json={
        "legalName": "Unverifiziert GmbH", "postalAddress": {"name": "Unverifiziert GmbH", "street": "Weg", "houseNumber": "1", "postcode": "6003", "town": "Luzern"}}).json()
    envelope = server.submit_ok({"recipient": {"uid": b["profile"]["uid"]}, "title": "Testbrief"}, make_pdf("test"), key=stranger["testKey"])
    wait_for_events(server, envelope["id"], ["delivered"], timeout=30, key=stranger["testKey"])
    assert [x["title"] for x in search(server, b["test"])] == ["Testbrief"]
    assert search(server, b["live"]) == []
    # A webhook test message arrives; the test letter sends none.
    assert server.post(f"/v1/webhooks/{hook['id']}/test", key=b["live"]).status_code == 202
    receiver.wait_for(lambda r: [p for p in r.verified if p["type"] == "webhook.test"] or None, timeout=30, what="webhook.test")
    assert not [p for p in receiver.verified if p["type"] == "letter.received"], receiver.describe()


@pytest.mark.parametrize("path, params", [
    ("/v1/inbox/letters", {"limit": "0"}),
    ("/v1/inbox/letters", {"limit": "201"}),
    ("/v1/inbox/letters", {"limit": "ten"}),
    ("/v1/inbox/letters", {"cursor": "nope"}),
    ("/v1/inbox/letters", {"cursor": "x" * 129}),
    ("/v1/inbox/letters", {"sender": ""}),
    ("/v1/inbox/letters", {"sender": "x" * 101}),
    ("/v1/inbox/letters", {"title": "x" * 201}),
    ("/v1/inbox/letters", {"kind": "telegram"}),
    ("/v1/inbox/letters", {"receivedFrom": "yesterday"}),
    ("/v1/inbox/letters", {"receivedTo": "2026-02-30T00:00:00Z"}),
    ("/v1/inbox/letters", {"unread": "maybe"}),
    ("/v1/inbox/feed", {"after": "nope"}),
    ("/v1/inbox/feed", {"after": "ibx1-" + "9" * 30}),
    ("/v1/inbox/feed", {"after": "x" * 65}),
    ("/v1/inbox/feed", {"limit": "-1"}),
])
def test_bad_parameters_are_problems(shared_server, path: str, params: dict) -> None:
    assert_problem(shared_server.get(path, params=params), 400, "invalid_request")


def test_unknown_letters_and_soap_subscriptions(shared_server) -> None:
    server = shared_server
    for letter in ("ltr_01JAAAAAAAAAAAAAAAAAAAAAAA", "nope", "ltr_" + "Z" * 60):
        assert_problem(server.get(f"/v1/inbox/letters/{letter}"), 404, "not_found")
        assert_problem(server.get(f"/v1/inbox/letters/{letter}/document"), 404, "not_found")
    refused = server.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/soap", "format": "soap-1.1", "eventTypes": ["letter.received"]})
    assert_problem(refused, 422, "invalid_field")
    assert_problem(server.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "eventTypes": ["letter.sent"]}), 400, "invalid_request")


def test_the_sandbox_demo_organisation_has_a_reachable_inbox(shared_server) -> None:
    server = shared_server
    uid = server.sandbox["organisationUid"]
    inbox = server.get("/v1/inbox").json()
    assert inbox["status"] == "active" and inbox["uid"] == uid
    title = f"to myself {uuid.uuid4().hex[:8]}"
    envelope = server.submit_ok({"recipient": {"uid": uid}, "title": title}, make_pdf(title))
    wait_for_events(server, envelope["id"], ["delivered"], timeout=30)
    found = wait_until(lambda: search(server, server.api_key, title=title) or None, timeout=10, what="the letter in the demo inbox")
    assert found[0]["mode"] == "test" and found[0]["sender"]["name"] == "Demo AG (sandbox)"
