"""Routing rules end to end (DESIGN §6): policies, the recipient's preference, fallbacks.

Each test that moves the sandbox clock or changes a recipient's preference runs on a
server of its own, since both are server-wide.
"""

from __future__ import annotations

import datetime as dt
import time

from missive_testkit import event_types, wait_for_events, wait_for_status

TIMEOUT = 30.0


def _routed(events: list[dict]) -> list[tuple[str, str]]:
    return [(e.get("channel"), (e.get("reason") or {}).get("code")) for e in events if e["type"] == "routed"]


def test_preference_change_applies_to_letters_not_yet_dispatched(server_factory, pdf: bytes) -> None:
    server = server_factory(name="preference")
    anna = server.recipient("digital")
    # Scheduled for later: accepted now, routed when notBefore passes.
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    envelope = server.submit_ok({"recipient": anna["recipient"], "policy": {"notBefore": later}}, pdf)

    resp = server.request("PUT", "/v1/mailbox/preference", key=anna["mailboxKey"], json={"delivery": "physical"})
    assert resp.status_code == 200, resp.text
    assert server.get("/v1/mailbox/preference", key=anna["mailboxKey"]).json() == {"delivery": "physical"}

    assert server.post("/v1/sandbox/clock", json={"seconds": 7200}).status_code == 200
    events = wait_for_events(server, envelope["id"], ["accepted", "routed", "printed", "posted"], timeout=TIMEOUT)
    assert _routed(events) == [("physical", "recipient_prefers_physical")], events
    assert "delivered" not in event_types(events)

    # Back to digital: the next letter goes to the mailbox again.
    assert server.request("PUT", "/v1/mailbox/preference", key=anna["mailboxKey"], json={"delivery": "digital"}).status_code == 200
    second = server.submit_ok({"recipient": anna["recipient"]}, pdf)
    events = wait_for_events(server, second["id"], ["accepted", "routed", "delivered"], timeout=TIMEOUT)
    assert _routed(events) == [("epost", "epost_mailbox")], events


def test_print_if_not_consulted_prints_a_copy(server_factory, pdf: bytes) -> None:
    server = server_factory(name="printfallback")
    beat = server.recipient("digital-never-opens")
    envelope = server.submit_ok({"recipient": beat["recipient"], "policy": {"printIfNotConsultedAfterDays": 2}}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=TIMEOUT)

    assert server.post("/v1/sandbox/clock", json={"seconds": 3 * 86400}).status_code == 200
    events = wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "routed", "printed", "posted"], timeout=TIMEOUT)
    assert _routed(events) == [("epost", "epost_mailbox"), ("physical", "print_if_not_consulted")], events
    # The digital letter stays in the mailbox.
    letters = server.get("/v1/mailbox/letters", key=beat["mailboxKey"]).json()["items"]
    assert len(letters) == 1, letters
    assert letters[0].get("consultedAt") is None, letters


def test_opened_letters_are_not_printed(server_factory, pdf: bytes) -> None:
    server = server_factory(name="opened")
    anna = server.recipient("digital")
    envelope = server.submit_ok({"recipient": anna["recipient"], "policy": {"printIfNotConsultedAfterDays": 2}}, pdf)
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered"], timeout=TIMEOUT)
    letter = server.get("/v1/mailbox/letters", key=anna["mailboxKey"]).json()["items"][0]
    assert server.get(f"/v1/mailbox/letters/{letter['id']}/document", key=anna["mailboxKey"]).status_code == 200
    wait_for_status(server, envelope["id"], "consulted")

    assert server.post("/v1/sandbox/clock", json={"seconds": 10 * 86400}).status_code == 200
    # Neither a print nor not_consulted: give the timers time to fire, then look.
    wait_for_events(server, envelope["id"], ["accepted", "routed", "delivered", "consulted"], timeout=TIMEOUT)
    time.sleep(3)
    types = event_types(server.events(envelope["id"]))
    assert types == ["accepted", "routed", "delivered", "consulted"], types


def test_digital_only_to_a_paper_recipient_fails_with_feedback(shared_server, pdf: bytes) -> None:
    dora = shared_server.recipient("physical")
    envelope = shared_server.submit_ok({"recipient": dora["recipient"], "policy": {"mode": "digitalOnly"}}, pdf)
    events = wait_for_events(shared_server, envelope["id"], ["accepted", "failed"], timeout=TIMEOUT)
    failed = [e for e in events if e["type"] == "failed"][0]
    assert failed["reason"]["code"] == "unreachable", failed
    assert "routed" not in event_types(events)


def test_physical_only_prints_for_a_digital_recipient(shared_server, pdf: bytes) -> None:
    anna = shared_server.recipient("digital")
    envelope = shared_server.submit_ok({"recipient": anna["recipient"], "policy": {"mode": "physicalOnly"}}, pdf)
    events = wait_for_events(shared_server, envelope["id"], ["accepted", "routed", "printed", "posted"], timeout=TIMEOUT)
    assert _routed(events) == [("physical", "physical_only_policy")], events


def test_ebill_refusal_falls_back_to_print(shared_server, pdf: bytes) -> None:
    # The sandbox eBill network refuses recipient ids ending in 99.
    recipient = {"eBillId": "41100000000000099", "postal": shared_server.recipient("physical")["recipient"]["postal"]}
    envelope = shared_server.submit_ok(
        {"recipient": recipient, "kind": "invoice", "invoice": {"amount": "99.00", "currency": "CHF"}}, pdf)
    events = wait_for_events(shared_server, envelope["id"], ["accepted", "routed", "routed", "printed", "posted"], timeout=TIMEOUT)
    routed = _routed(events)
    assert routed[0] == ("ebill", "ebill_registered"), routed
    assert routed[1] == ("physical", "fallback"), routed
    fallback = [e for e in events if e["type"] == "routed"][1]
    assert "ebill" in fallback["reason"]["text"], fallback


def test_unreachable_digital_address_without_postal_fails(shared_server, pdf: bytes) -> None:
    envelope = shared_server.submit_ok({"recipient": {"uid": "CHE-999.999.999"}}, pdf)
    events = wait_for_events(shared_server, envelope["id"], ["accepted", "failed"], timeout=TIMEOUT)
    assert [e for e in events if e["type"] == "failed"][0]["reason"]["code"] == "unreachable"
