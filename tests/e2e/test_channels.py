"""Every sandbox recipient outcome, end to end: submit an envelope, follow its events until
the expected terminal state, and check a verified webhook arrived for every event.

All envelopes on the shared server are submitted up front (module fixture) so the channels
work in parallel; each test then polls its own envelope. The never-opens case moves the
sandbox clock, so it runs on a server of its own (the clock is server-wide).
"""

from __future__ import annotations

import uuid

import pytest

from missive_testkit import (
    MissiveServer,
    WebhookReceiver,
    create_webhook,
    event_types,
    sha256_hex,
    wait_for_events,
    wait_for_status,
)

# outcome -> (expected event sequence (a subsequence of what happens), channel of `routed`,
#             final envelope status, extra envelope fields)
EXPECTED = {
    "digital": (["accepted", "routed", "delivered"], "epost", "delivered", {}),
    "ebill": (["accepted", "routed", "delivered"], "ebill", "delivered",
              {"kind": "invoice", "invoice": {"amount": "120.50", "currency": "CHF"}}),
    "physical": (["accepted", "routed", "printed", "posted"], "physical", "posted", {}),
    "physical-returned": (["accepted", "routed", "printed", "posted", "returned"], "physical", "returned", {}),
    "unreachable": (["accepted", "failed"], None, "failed", {}),
}

CHANNEL_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def channel_run(shared_server: MissiveServer, pdf: bytes):
    """Register one webhook, then submit one envelope per outcome. Yields
    (server, receiver, {outcome: (envelope, title)})."""
    receiver = WebhookReceiver()
    hook = create_webhook(shared_server, receiver)
    submitted = {}
    try:
        for outcome, (_, _, _, extra) in EXPECTED.items():
            title = f"e2e {outcome} {uuid.uuid4().hex[:8]}"
            envelope = {"recipient": shared_server.recipient(outcome)["recipient"], "title": title,
                        "reference": f"chan-{outcome}", **extra}
            submitted[outcome] = (shared_server.submit_ok(envelope, pdf), title)
        yield shared_server, receiver, submitted
    finally:
        shared_server.request("DELETE", f"/v1/webhooks/{hook['id']}")
        receiver.close()


def _check_events(events: list[dict], expected: list[str], channel: str | None, envelope_id: str) -> None:
    types = event_types(events)
    for e in events:
        assert e["envelopeId"] == envelope_id, e
        assert e["id"].startswith("evt_"), e
        assert e["at"], e
    assert types[0] == "accepted", types
    assert len({e["id"] for e in events}) == len(events), f"duplicate event ids: {events}"
    if channel is not None:
        routed = [e for e in events if e["type"] == "routed"]
        assert routed and routed[0].get("channel") == channel, f"routed to {routed}, expected {channel}"
        for e in events:
            if e["type"] in ("delivered", "printed", "posted", "returned"):
                assert e.get("channel") == channel, e
    # Nothing may follow a final state (posted -> returned is the documented exception,
    # hence `posted` is not in this list).
    for i, t in enumerate(types[:-1]):
        if t in ("returned", "failed", "cancelled", "rejected"):
            raise AssertionError(f"events after final {t!r}: {types}")


@pytest.mark.parametrize("outcome", ["ebill", "physical", "physical-returned", "unreachable"])
def test_outcome(channel_run, outcome: str) -> None:
    server, receiver, submitted = channel_run
    envelope, title = submitted[outcome]
    expected, channel, final_status, _ = EXPECTED[outcome]
    events = wait_for_events(server, envelope["id"], expected, timeout=CHANNEL_TIMEOUT)
    _check_events(events, expected, channel, envelope["id"])
    if outcome == "unreachable":
        failed = [e for e in events if e["type"] == "failed"][-1]
        assert failed.get("reason", {}).get("code") == "unreachable", failed
        assert failed["reason"].get("text"), failed
        assert not {"delivered", "printed", "posted"} & set(event_types(events)), event_types(events)
    env = wait_for_status(server, envelope["id"], final_status)
    assert env["title"] == title
    assert env["reference"] == f"chan-{outcome}"
    if channel is not None:
        assert env.get("channel") == channel, env
    if outcome == "unreachable":
        assert env.get("statusReason", {}).get("code") == "unreachable", env
    # Every event also came as a verified webhook, with a matching payload.
    receiver.wait_for_envelope_events(server.events(envelope["id"]), timeout=CHANNEL_TIMEOUT)
    assert not receiver.failures, receiver.describe()


def test_digital_delivered_then_consulted(channel_run, pdf: bytes) -> None:
    server, receiver, submitted = channel_run
    envelope, title = submitted["digital"]
    expected, channel, _, _ = EXPECTED["digital"]
    events = wait_for_events(server, envelope["id"], expected, timeout=CHANNEL_TIMEOUT)
    _check_events(events, expected, channel, envelope["id"])
    assert "consulted" not in event_types(events), "consulted before the recipient opened it"

    mailbox_key = server.recipient("digital")["mailboxKey"]
    assert mailbox_key.startswith("mbk_"), mailbox_key
    letters = server.list_all("/v1/mailbox/letters", key=mailbox_key)
    mine = [letter for letter in letters if letter.get("title") == title]
    assert len(mine) == 1, f"letter {title!r} not (exactly once) in the mailbox: {letters}"
    letter = mine[0]
    assert letter["id"].startswith("ltr_"), letter
    assert letter["document"]["sha256"] == sha256_hex(pdf), letter
    assert letter["document"]["byteSize"] == len(pdf), letter
    assert not letter.get("consultedAt"), letter

    # unread filter lists it; reading metadata does not count as opening it.
    unread = server.list_all("/v1/mailbox/letters", params={"unread": "true"}, key=mailbox_key)
    assert letter["id"] in {u["id"] for u in unread}
    resp = server.get(f"/v1/mailbox/letters/{letter['id']}", key=mailbox_key)
    assert resp.status_code == 200 and resp.json()["id"] == letter["id"], resp.text
    assert "consulted" not in event_types(server.events(envelope["id"]))

    # Downloading the document returns the exact bytes and records `consulted`.
    resp = server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=mailbox_key)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"].split(";")[0].strip() == "application/pdf", resp.headers
    assert resp.content == pdf, "downloaded document differs from the submitted one"
    events = wait_for_events(server, envelope["id"], expected + ["consulted"], timeout=CHANNEL_TIMEOUT)
    assert event_types(events).count("consulted") == 1, event_types(events)
    wait_for_status(server, envelope["id"], "consulted")

    # A second download is fine and does not add another `consulted`.
    resp = server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=mailbox_key)
    assert resp.status_code == 200 and resp.content == pdf
    after = server.get(f"/v1/mailbox/letters/{letter['id']}", key=mailbox_key).json()
    assert after.get("consultedAt"), after
    assert event_types(server.events(envelope["id"])).count("consulted") == 1

    receiver.wait_for_envelope_events(server.events(envelope["id"]), timeout=CHANNEL_TIMEOUT)
    assert not receiver.failures, receiver.describe()


def test_digital_never_opens_not_consulted_after_7_days(server_factory, receiver_factory, pdf: bytes) -> None:
    # Own server: moving the clock 8 days would fire 7-day timers of other tests' letters.
    server = server_factory("--webhook-retry-base-seconds", "0.2", name="clock")
    receiver, _ = receiver_factory(server)
    entry = server.recipient("digital-never-opens")
    envelope = server.submit_ok({"recipient": entry["recipient"], "title": "never opened"}, pdf)
    events = wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=CHANNEL_TIMEOUT)
    _check_events(events, ["accepted", "routed", "delivered"], "epost", envelope["id"])
    assert "not_consulted" not in event_types(events)

    before = server.get("/v1/sandbox/clock")
    assert before.status_code == 200, before.text
    resp = server.post("/v1/sandbox/clock", json={"seconds": 691200})  # 8 days
    assert resp.status_code == 200, resp.text
    clock = resp.json()
    assert clock["offsetSeconds"] >= before.json()["offsetSeconds"] + 691200, (before.json(), clock)

    events = wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "not_consulted"], timeout=CHANNEL_TIMEOUT)
    assert event_types(events).count("not_consulted") == 1, event_types(events)
    wait_for_status(server, envelope["id"], "not_consulted")
    # Webhooks are signed with the wall-clock time (the receiver rejects timestamps more than
    # 5 minutes off), even though the sandbox clock is 8 days ahead.
    receiver.wait_for_envelope_events(events, timeout=CHANNEL_TIMEOUT)
    assert not receiver.failures, receiver.describe()
