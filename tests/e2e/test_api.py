"""The oneAPI surface: submissions (JSON and multipart), idempotency, listing, cancel, the
event feed, webhooks (CRUD, test event, retries, slow endpoints), reachability and the
operational endpoints."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin

import pytest
import requests

from missive_testkit import (
    MissiveServer,
    assert_problem,
    b64,
    event_types,
    make_pdf,
    multipart_body,
    parse_time,
    sha256_hex,
    wait_for_events,
    wait_until,
)

FAR_FUTURE = "2099-01-01T00:00:00Z"


def physical(server: MissiveServer) -> dict:
    return server.recipient("physical")["recipient"]


# --------------------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------------------

def test_json_submission_with_base64_document(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    s = shared_server
    body = {
        "envelope": {"recipient": physical(s), "title": "json submission", "reference": f"json-{unique}"},
        "document": {"content": b64(pdf), "filename": "letter.pdf", "mediaType": "application/pdf"},
    }
    resp = s.post("/v1/envelopes", json=body)
    assert resp.status_code == 202, resp.text
    env = resp.json()
    assert env["id"].startswith("env_") and len(env["id"]) == len("env_") + 26, env["id"]
    assert env["status"] == "accepted", env
    assert env["ingress"] == "rest" and env["kind"] == "letter" and env["mode"] == "test", env
    assert env["reference"] == f"json-{unique}"
    main = [d for d in env["documents"] if d["role"] == "main"]
    assert len(main) == 1 and main[0]["sha256"] == sha256_hex(pdf) and main[0]["byteSize"] == len(pdf), env["documents"]
    assert resp.headers.get("Idempotent-Replayed") != "true"

    location = resp.headers.get("Location")
    assert location, resp.headers
    got = s.session.get(urljoin(s.url + "/", location), headers=s.headers(), timeout=15)
    assert got.status_code == 200 and got.json()["id"] == env["id"], got.text


def test_multipart_with_attachments(shared_server: MissiveServer, pdf: bytes, big_pdf: bytes) -> None:
    s = shared_server
    attachment = make_pdf("attachment one")
    env = s.submit_ok({"recipient": physical(s), "title": "with attachments"}, big_pdf, attachments=[attachment, pdf])
    assert env["status"] == "accepted"
    docs = s.envelope(env["id"])["documents"]
    roles = sorted(d["role"] for d in docs)
    assert roles == ["attachment", "attachment", "main"], docs
    main = next(d for d in docs if d["role"] == "main")
    assert main["sha256"] == sha256_hex(big_pdf) and main["byteSize"] == len(big_pdf), main
    assert {d["sha256"] for d in docs if d["role"] == "attachment"} == {sha256_hex(attachment), sha256_hex(pdf)}
    for d in docs:
        assert d["mediaType"] == "application/pdf", d
        if "pageCount" in d:
            assert d["pageCount"] == 1, d


# --------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------

def test_idempotency_replay_same_bytes(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    s = shared_server
    key = f"idem-{unique}"
    envelope = {"recipient": physical(s), "reference": f"idem-{unique}"}
    boundary = f"fixed-{unique}"
    first = s.submit(envelope, pdf, idempotency_key=key, boundary=boundary)
    assert first.status_code == 202, first.text
    assert first.headers.get("Idempotent-Replayed") != "true"
    second = s.submit(envelope, pdf, idempotency_key=key, boundary=boundary)
    assert second.status_code == 202, second.text
    assert second.headers.get("Idempotent-Replayed") == "true", second.headers
    assert second.json()["id"] == first.json()["id"]
    assert second.headers.get("Location") == first.headers.get("Location")
    listed = s.list_all("/v1/envelopes", params={"reference": f"idem-{unique}"})
    assert [e["id"] for e in listed] == [first.json()["id"]], listed
    assert s.envelope(first.json()["id"]).get("ingressReference") in (None, key)

    # Same key, different request -> 422, and still only the one envelope.
    other = s.submit({**envelope, "title": "something else"}, pdf, idempotency_key=key, boundary=boundary)
    assert_problem(other, 422)
    other_doc = s.submit(envelope, make_pdf("another document"), idempotency_key=key, boundary=boundary)
    assert_problem(other_doc, 422)
    assert len(s.list_all("/v1/envelopes", params={"reference": f"idem-{unique}"})) == 1


def test_idempotency_replay_with_new_multipart_boundary(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    """A client retrying (curl, requests, any HTTP library) picks a new random multipart
    boundary. The parts are identical, so it is the same request and must replay."""
    s = shared_server
    key = f"idem-b-{unique}"
    envelope = {"recipient": physical(s)}
    first = s.submit(envelope, pdf, idempotency_key=key)
    assert first.status_code == 202, first.text
    second = s.submit(envelope, pdf, idempotency_key=key)
    assert second.status_code == 202, second.text
    assert second.headers.get("Idempotent-Replayed") == "true", second.headers
    assert second.json()["id"] == first.json()["id"]


def test_idempotency_replay_json(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    s = shared_server
    key = f"idem-j-{unique}"
    body = json.dumps({"envelope": {"recipient": physical(s)}, "document": {"content": b64(pdf)}})
    hdrs = {"Content-Type": "application/json", "Idempotency-Key": key}
    first = s.post("/v1/envelopes", headers=hdrs, data=body)
    assert first.status_code == 202, first.text
    second = s.post("/v1/envelopes", headers=hdrs, data=body)
    assert second.status_code == 202 and second.headers.get("Idempotent-Replayed") == "true", (second.status_code, second.headers)
    assert second.json()["id"] == first.json()["id"]
    changed = json.dumps({"envelope": {"recipient": physical(s), "title": "x"}, "document": {"content": b64(pdf)}})
    assert_problem(s.post("/v1/envelopes", headers=hdrs, data=changed), 422)


# --------------------------------------------------------------------------------------
# Listing
# --------------------------------------------------------------------------------------

def test_list_envelopes_cursor_pagination(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    s = shared_server
    reference = f"page-{unique}"
    ids = [s.submit_ok({"recipient": physical(s), "reference": reference}, pdf)["id"] for _ in range(5)]

    pages = []
    params = {"reference": reference, "limit": 2}
    for _ in range(10):
        resp = s.get("/v1/envelopes", params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        pages.append(page)
        if not page.get("nextCursor"):
            break
        params["cursor"] = page["nextCursor"]
    else:
        pytest.fail(f"pagination did not end: {pages}")
    listed = [e["id"] for p in pages for e in p["items"]]
    assert all(len(p["items"]) <= 2 for p in pages), pages
    assert len(listed) == len(set(listed)) == 5, listed
    assert set(listed) == set(ids)
    assert listed == list(reversed(ids)), f"not newest first: {listed} vs submitted {ids}"
    created = [parse_time(e["createdAt"]) for p in pages for e in p["items"]]
    assert created == sorted(created, reverse=True), created

    # Unfiltered, the whole list pages without duplicates and contains ours.
    everything = s.list_all("/v1/envelopes", params={"limit": 7})
    all_ids = [e["id"] for e in everything]
    assert len(all_ids) == len(set(all_ids)), "duplicate envelopes across pages"
    assert set(ids) <= set(all_ids)

    # limit out of range is a 400 problem, not silently clamped
    assert_problem(s.get("/v1/envelopes", params={"limit": 0}), (400, 422))
    assert_problem(s.get("/v1/envelopes", params={"limit": 201}), (400, 422))


# --------------------------------------------------------------------------------------
# Cancel
# --------------------------------------------------------------------------------------

def test_cancel_scheduled_envelope(shared_server: MissiveServer, pdf: bytes, unique: str) -> None:
    s = shared_server
    env = s.submit_ok({"recipient": physical(s), "policy": {"notBefore": FAR_FUTURE}, "reference": f"cancel-{unique}"}, pdf)
    assert s.envelope(env["id"])["status"] in ("accepted", "routed")
    resp = s.post(f"/v1/envelopes/{env['id']}/cancel")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled" and resp.json()["id"] == env["id"]
    events = wait_for_events(s, env["id"], ["accepted", "cancelled"], timeout=15)
    assert event_types(events)[-1] == "cancelled", event_types(events)
    assert not {"printed", "posted", "delivered"} & set(event_types(events))
    assert s.envelope(env["id"])["status"] == "cancelled"
    # Cancelling again is fine ("or already cancelled") and adds no event.
    again = s.post(f"/v1/envelopes/{env['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled", again.text
    assert event_types(s.events(env["id"])).count("cancelled") == 1
    listed = s.list_all("/v1/envelopes", params={"status": "cancelled", "reference": f"cancel-{unique}"})
    assert [e["id"] for e in listed] == [env["id"]]


@pytest.mark.parametrize("instant", [
    "2099-01-01T00:00:00Z",
    "2099-01-01T00:00:00.000Z",
    "2099-01-01T00:00:00.123456Z",
    "2099-01-01T01:00:00+01:00",
    "2099-01-01T00:00:00+00:00",
])
def test_rfc3339_date_times_accepted(shared_server: MissiveServer, pdf: bytes, instant: str) -> None:
    """`format: date-time` is RFC 3339: fractional seconds are optional, offsets allowed."""
    s = shared_server
    resp = s.submit({"recipient": physical(s), "policy": {"notBefore": instant}}, pdf)
    assert resp.status_code == 202, resp.text
    env = resp.json()
    # (the server may keep only milliseconds)
    assert abs((parse_time(env["policy"]["notBefore"]) - parse_time(instant)).total_seconds()) < 0.001, env["policy"]
    assert s.post(f"/v1/envelopes/{env['id']}/cancel").status_code == 200  # do not leave it scheduled


def test_cancel_after_dispatch_is_conflict(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    env = s.submit_ok({"recipient": physical(s)}, pdf)
    wait_for_events(s, env["id"], ["accepted", "routed", "printed", "posted"], timeout=30)
    assert_problem(s.post(f"/v1/envelopes/{env['id']}/cancel"), 409)
    assert s.envelope(env["id"])["status"] == "posted"


# --------------------------------------------------------------------------------------
# Event feed
# --------------------------------------------------------------------------------------

def _read_feed(s: MissiveServer, limit: int, params: dict | None = None, max_pages: int = 500) -> tuple[list[dict], str | None]:
    """Read the feed from its beginning until an empty page; return (events, final cursor)."""
    items: list[dict] = []
    params = {"limit": limit, **(params or {})}
    cursor = None
    for _ in range(max_pages):
        resp = s.get("/v1/events", params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page["items"]) <= limit, (limit, len(page["items"]))
        if not page["items"]:
            if cursor is not None:
                # "An empty page returns the same cursor, so a consumer can poll with it."
                assert page.get("nextCursor") == cursor, (cursor, page)
            return items, page.get("nextCursor", cursor)
        items.extend(page["items"])
        cursor = page.get("nextCursor")
        assert cursor, f"a non-empty page must carry nextCursor: {page}"
        params["after"] = cursor
    pytest.fail("feed did not end")


def test_event_feed_pages_and_is_not_deleted_on_read(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    env = s.submit_ok({"recipient": physical(s)}, pdf)
    first, cursor = _read_feed(s, limit=3)
    ids = [e["id"] for e in first]
    assert len(ids) == len(set(ids)), "duplicate events in the feed"
    assert any(e["envelopeId"] == env["id"] and e["type"] == "accepted" for e in first)
    # Oldest first. Timestamps are compared with 1 s slack: concurrent commits may append
    # an event stamped a moment before its predecessor in the feed.
    at = [parse_time(e["at"]) for e in first]
    latest = at[0]
    for e, t in zip(first, at):
        assert (latest - t).total_seconds() <= 1.0, f"feed is not oldest first at {e}"
        latest = max(latest, t)

    # Reading again from the start gives the same events (new ones may have been appended).
    second, _ = _read_feed(s, limit=50)
    assert [e["id"] for e in second][: len(ids)] == ids, "the feed changed or lost events after being read"

    # Polling with the final cursor picks up only newer events.
    wait_for_events(s, env["id"], ["posted"], timeout=30)
    resp = s.get("/v1/events", params={"after": cursor, "limit": 200})
    assert resp.status_code == 200
    newer = resp.json()["items"]
    assert not {e["id"] for e in newer} & set(ids), "events before the cursor came again"
    assert any(e["envelopeId"] == env["id"] and e["type"] == "posted" for e in newer + first), "posted event missing"

    # type filter
    accepted, _ = _read_feed(s, limit=200, params={"type": "accepted"})
    assert accepted and all(e["type"] == "accepted" for e in accepted)
    assert env["id"] in {e["envelopeId"] for e in accepted}


# --------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------

def test_webhook_crud_and_test_delivery(shared_server: MissiveServer, receiver_factory) -> None:
    s = shared_server
    receiver, hook = receiver_factory(s)
    assert hook["url"] == receiver.url
    assert isinstance(hook["eventTypes"], list) and hook["createdAt"], hook

    got = s.get(f"/v1/webhooks/{hook['id']}")
    assert got.status_code == 200, got.text
    assert "secret" not in got.json(), "secret shown again after creation"
    listed = s.get("/v1/webhooks")
    assert listed.status_code == 200
    assert hook["id"] in {w["id"] for w in listed.json()["items"]}
    assert all("secret" not in w for w in listed.json()["items"]), "secret in list"

    resp = s.post(f"/v1/webhooks/{hook['id']}/test")
    assert resp.status_code == 202, resp.text
    delivery = resp.json()
    assert delivery["id"].startswith("msg_"), delivery
    assert delivery["webhookId"] == hook["id"] and delivery["eventType"] == "webhook.test", delivery

    receiver.wait_for(lambda r: [p for p in r.verified if p.get("type") == "webhook.test"], timeout=30,
                      what="verified webhook.test delivery")
    test_req = next(d for d in receiver.requests if d.verified and d.payload.get("type") == "webhook.test")
    assert test_req.headers["webhook-id"] == delivery["id"], "webhook-id header != delivery id"
    assert test_req.headers.get("content-type", "").startswith("application/json")

    def succeeded() -> dict | None:
        r = s.get(f"/v1/webhooks/{hook['id']}/deliveries")
        assert r.status_code == 200, r.text
        for d in r.json()["items"]:
            if d["id"] == delivery["id"] and d["status"] == "succeeded":
                return d
        return None

    d = wait_until(succeeded, timeout=15, what="delivery listed as succeeded")
    assert d["attemptCount"] >= 1 and len(d["attempts"]) == d["attemptCount"], d
    assert any(200 <= (a.get("statusCode") or 0) < 300 for a in d["attempts"]), d
    assert all(isinstance(a["durationMs"], int) for a in d["attempts"]), d

    assert s.request("DELETE", f"/v1/webhooks/{hook['id']}").status_code == 204
    assert_problem(s.get(f"/v1/webhooks/{hook['id']}"), 404)
    assert_problem(s.request("DELETE", f"/v1/webhooks/{hook['id']}"), 404)
    assert hook["id"] not in {w["id"] for w in s.get("/v1/webhooks").json()["items"]}
    assert not receiver.failures, receiver.describe()


def test_webhook_event_type_filter(shared_server: MissiveServer, receiver_factory, pdf: bytes) -> None:
    s = shared_server
    receiver, hook = receiver_factory(s, event_types=["posted"])
    assert hook["eventTypes"] == ["posted"]
    env = s.submit_ok({"recipient": physical(s)}, pdf)
    wait_for_events(s, env["id"], ["accepted", "posted"], timeout=30)
    receiver.wait_for(lambda r: [p for p in r.envelope_events(env["id"]) if p["type"] == "envelope.posted"], timeout=30,
                      what="envelope.posted webhook")
    types = {p["type"] for p in receiver.verified}
    assert types <= {"envelope.posted"}, f"filtered webhook received {types}"
    assert not receiver.failures, receiver.describe()


def test_webhook_retries_until_success(server_factory, receiver_factory) -> None:
    # Own server, so no other deliveries use up the receiver's first three failures.
    s = server_factory("--webhook-retry-base-seconds", "0.2", name="retry")
    receiver, hook = receiver_factory(s, fail_first=3)
    resp = s.post(f"/v1/webhooks/{hook['id']}/test")
    assert resp.status_code == 202, resp.text
    delivery_id = resp.json()["id"]

    receiver.wait_for(lambda r: len(r.requests) >= 4 and r.verified, timeout=30, what="4th attempt succeeding")
    attempts = receiver.requests[:4]
    assert [a.status_sent for a in attempts] == [500, 500, 500, 200]
    assert {a.headers["webhook-id"] for a in attempts} == {delivery_id}, "retries must keep the webhook-id"
    assert all(a.verified for a in attempts), receiver.describe()
    # Exponential backoff (base 0.2 s): ~0.2, ~0.4, ~0.8 s. Allow generous jitter, but the
    # last gap must clearly exceed the first.
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert gaps[-1] >= gaps[0] * 1.2, f"no backoff between attempts: {gaps}"

    def listed() -> dict | None:
        r = s.get(f"/v1/webhooks/{hook['id']}/deliveries")
        assert r.status_code == 200, r.text
        found = [d for d in r.json()["items"] if d["id"] == delivery_id]
        return found[0] if found and found[0]["status"] == "succeeded" else None

    d = wait_until(listed, timeout=15, what="delivery succeeded in the deliveries list")
    assert d["attemptCount"] == 4, d
    codes = sorted(a.get("statusCode") for a in d["attempts"])
    assert codes == [200, 500, 500, 500], d
    # No further attempts after success.
    time.sleep(1.0)
    assert len(receiver.requests) == 4, receiver.describe()


def test_slow_webhook_does_not_block_dispatch(server_factory, receiver_factory, pdf: bytes) -> None:
    s = server_factory("--webhook-retry-base-seconds", "0.2", name="slow")
    slow, _ = receiver_factory(s, delay=20.0)
    fast, _ = receiver_factory(s)
    started = time.monotonic()
    envs = [s.submit_ok({"recipient": physical(s), "title": f"slow {i}"}, pdf) for i in range(4)]
    for env in envs:
        events = wait_for_events(s, env["id"], ["accepted", "routed", "printed", "posted"], timeout=30)
        fast.wait_for_envelope_events(events, timeout=30)
    elapsed = time.monotonic() - started
    # 4 envelopes x 4 events to a 20 s endpoint would take minutes if deliveries queued
    # behind it; everything above must have happened well within that.
    assert elapsed < 45, f"took {elapsed:.1f}s"
    assert slow.requests, "the slow endpoint was never called"
    assert not fast.failures, fast.describe()


# --------------------------------------------------------------------------------------
# Reachability
# --------------------------------------------------------------------------------------

REACH_PARAMS = ("ePostAddress", "uid", "eBillId")
POSTAL_PARAMS = ("name", "street", "houseNumber", "postcode", "town", "country")

EXPECTED_REACH = {
    "digital": (True, "epost", None),
    "digital-never-opens": (True, "epost", None),
    "ebill": (True, "ebill", "invoice"),
    "physical": (True, "physical", None),
    "physical-returned": (True, "physical", None),
    "unreachable": (False, "none", None),
    "opted-out": (False, "none", None),
    "not-verified": (False, "none", None),
    "multiple-matches": (True, "physical", None),
}
# Why no digital channel (`directoryReason`), None when one reaches.
EXPECTED_DIRECTORY_REASON = {
    "digital": None, "digital-never-opens": None, "ebill": None, "physical": "not_found", "physical-returned": "not_found",
    "unreachable": "not_found", "opted-out": "opted_out", "not-verified": "not_verified", "multiple-matches": "multiple_matches",
}


def reach_query(recipient: dict) -> dict:
    q = {k: recipient[k] for k in REACH_PARAMS if k in recipient}
    q.update({k: v for k, v in recipient.get("postal", {}).items() if k in POSTAL_PARAMS})
    return q


@pytest.mark.parametrize("outcome", sorted(EXPECTED_REACH))
def test_reachability(shared_server: MissiveServer, outcome: str) -> None:
    s = shared_server
    reachable, channel, kind = EXPECTED_REACH[outcome]
    params = reach_query(s.recipient(outcome)["recipient"])
    assert params, f"cannot express recipient {outcome} as reachability query"
    if kind:
        params["kind"] = kind
    resp = s.get("/v1/reachability", params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["reachable"] is reachable and body["channel"] == channel, (outcome, body)
    assert body["reason"]["code"] and isinstance(body["reason"]["text"], str), body
    assert body["digital"] is (channel in ("epost", "ebill")), body
    assert body.get("directoryReason", {}).get("code") == EXPECTED_DIRECTORY_REASON[outcome], (outcome, body)


# --------------------------------------------------------------------------------------
# Operations and sandbox
# --------------------------------------------------------------------------------------

def test_health_ready_metrics(shared_server: MissiveServer) -> None:
    s = shared_server
    for path in ("/healthz", "/readyz"):
        r = requests.get(s.url + path, timeout=10)
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("text/plain"), (path, r.headers)
    r = requests.get(s.url + "/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.headers
    assert "missive_" in r.text, r.text[:1000]
    for gauge in ("missive_jobs_pending", "missive_jobs_due", "missive_envelopes_accepted_total"):
        assert re.search(rf"^{gauge} \d+$", r.text, re.M), (gauge, r.text[:1000])


def test_sandbox_noop_used_by_benchmark(shared_server: MissiveServer, pdf: bytes) -> None:
    s = shared_server
    body, ctype = multipart_body({"recipient": physical(s)}, pdf)
    r = s.post("/v1/sandbox/noop", headers={"Content-Type": ctype}, data=body)
    assert r.status_code == 202, r.text
    assert r.json() == {}
    assert s.post("/v1/sandbox/noop", key="", headers={"Content-Type": ctype}, data=body).status_code == 401


def test_sandbox_clock_reads(shared_server: MissiveServer) -> None:
    r = shared_server.get("/v1/sandbox/clock")
    assert r.status_code == 200, r.text
    assert {"now", "offsetSeconds"} <= set(r.json())


def test_envelopes_reach_terminal_states(shared_server: MissiveServer) -> None:
    """Sanity sweep at the end of this module: nothing submitted so far is stuck in a
    non-final state (scheduled far-future ones excepted), i.e. no letter silently dropped."""
    s = shared_server
    non_final = {"accepted", "routed", "printed", "delivered"}

    def stuck() -> list[dict]:
        horizon = datetime.now(timezone.utc) + timedelta(days=1)

        def scheduled(e: dict) -> bool:
            nb = e.get("policy", {}).get("notBefore")
            return bool(nb) and parse_time(nb) > horizon

        return [e for e in s.list_all("/v1/envelopes", params={"limit": 200})
                if e["status"] in non_final and not scheduled(e)
                and not (e["status"] == "delivered" and e.get("channel") in ("epost", "ebill"))]

    wait_until(lambda: not stuck(), timeout=30, interval=0.5, what="all envelopes in a final state",
               describe=lambda: json.dumps([(e["id"], e["status"]) for e in stuck()]))
