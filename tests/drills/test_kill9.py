"""Drill: kill -9 at random moments during mixed REST + SOAP + SMTP load, 20 cycles.

"Accepted means durable" (DESIGN.md section 5). Each cycle starts the hub on the same data
folder, runs REST, SOAP and SMTP clients side by side (every submission with its own
idempotency reference: Idempotency-Key, clientReference, Message-ID) and SIGKILLs the hub
at a random moment (seeded; MISSIVE_DRILL_SEED repeats a run). After the last cycle:

1. every acknowledged submission (202, SOAP response, SMTP 250) is there, under its id;
2. resubmitting every reference that was ever sent (acknowledged or cut off in flight)
   replays the first answer (same id, marked replayed) or, for one never committed,
   accepts it now - and afterwards each reference has exactly one envelope;
3. every envelope reaches a terminal state (posted, failed, or delivered by eBill), so the
   dispatch jobs, leases and timers of killed processes were all picked up again;
4. the event feed holds exactly one `accepted` per envelope and no event twice.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from drillkit import (
    drill_seed,
    envelopes_by_reference,
    rest_submit,
    smtp_client,
    smtp_message,
    smtp_send,
    soap_submit,
)
from missive_testkit import MissiveServer, make_pdf, wait_until

CYCLES = int(os.environ.get("MISSIVE_DRILL_CYCLES", "20"))
REST_CLIENTS, SOAP_CLIENTS, SMTP_CLIENTS = 3, 2, 2
TERMINAL = {"posted", "failed", "returned", "cancelled", "rejected"}


class Ledger:
    """What the clients sent and what the hub acknowledged, across all cycles."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[str, tuple[str, dict]] = {}  # reference -> (ingress, how to resend)
        self.acked: dict[str, str | None] = {}  # reference -> envelope id (None: SMTP, no id on the wire)
        self.refused: list[str] = []  # non-success answers while the hub was up

    def send(self, reference: str, ingress: str, spec: dict) -> None:
        with self.lock:
            self.sent[reference] = (ingress, spec)

    def ack(self, reference: str, envelope_id: str | None) -> None:
        with self.lock:
            self.acked[reference] = envelope_id


def rest_spec(server: MissiveServer, rng: random.Random, pdf: bytes) -> dict:
    choice = rng.random()
    if choice < 0.6:
        envelope = {"recipient": server.recipient("physical")["recipient"]}
    elif choice < 0.8:
        envelope = {"recipient": server.recipient("unreachable")["recipient"]}
    else:
        envelope = {"recipient": server.recipient("ebill")["recipient"], "kind": "invoice",
                    "invoice": {"amount": "42.00", "currency": "CHF"}}
    return {"envelope": envelope, "pdf": pdf}


def test_kill_9_during_mixed_load_20_cycles(server_factory) -> None:
    seed = drill_seed()
    rng = random.Random(seed)
    server: MissiveServer = server_factory("--rate-limit", "0", name="kill9")
    run_id = os.urandom(3).hex()
    pdfs = [make_pdf(f"kill9 letter {i}") for i in range(4)]
    ledger = Ledger()
    kills: list[tuple[float, int]] = []

    def rest_client(stop: threading.Event, worker: int, cycle: int) -> None:
        local = random.Random(f"{seed}-rest-{cycle}-{worker}")
        n = 0
        while not stop.is_set():
            n += 1
            reference = f"rest-{run_id}-{cycle}-{worker}-{n}"
            spec = rest_spec(server, local, pdfs[n % len(pdfs)])
            ledger.send(reference, "rest", spec)
            try:
                r = rest_submit(server, spec["envelope"], spec["pdf"], reference, timeout=20)
            except requests.RequestException:
                return  # the hub is gone: this one is in flight, resent later
            if r.status_code == 202:
                ledger.ack(reference, r.json()["id"])
            else:
                with ledger.lock:
                    ledger.refused.append(f"{reference}: HTTP {r.status_code} {r.text[:200]}")

    def soap_client(stop: threading.Event, worker: int, cycle: int) -> None:
        recipients = [server.recipient("physical")["recipient"], {"uid": "CHE-123.456.789"}]
        n = 0
        while not stop.is_set():
            n += 1
            reference = f"soap-{run_id}-{cycle}-{worker}-{n}"
            spec = {"recipient": recipients[n % 2], "pdf": pdfs[n % len(pdfs)]}
            ledger.send(reference, "soap", spec)
            try:
                answer = soap_submit(server, spec["recipient"], spec["pdf"], reference, timeout=20)
            except requests.RequestException:
                return
            if answer.ok:
                ledger.ack(reference, answer.envelope_id)
            else:
                with ledger.lock:
                    ledger.refused.append(f"{reference}: SOAP {answer.status} {answer.fault()}")

    def smtp_sender(stop: threading.Event, worker: int, cycle: int) -> None:
        try:
            client = smtp_client(server, timeout=20)
        except Exception:  # noqa: BLE001 - killed before the session was up
            return
        n = 0
        try:
            while not stop.is_set():
                n += 1
                reference = f"smtp-{run_id}-{cycle}-{worker}-{n}@drill.example"
                spec = {"to": "physical" if n % 3 else "unreachable", "pdf": pdfs[n % len(pdfs)]}
                ledger.send(reference, "smtp", spec)
                code, text = smtp_send(client, smtp_message(server, spec["to"], reference, spec["pdf"]))
                if code == 250:
                    ledger.ack(reference, None)
                else:
                    with ledger.lock:
                        ledger.refused.append(f"{reference}: SMTP {code} {text}")
        except Exception:  # noqa: BLE001 - the connection died with the hub
            return
        finally:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass

    started = time.monotonic()
    for cycle in range(CYCLES):
        if cycle:
            server.start()
        stop = threading.Event()
        threads = [threading.Thread(target=fn, args=(stop, w, cycle), daemon=True)
                   for fn, count in ((rest_client, REST_CLIENTS), (soap_client, SOAP_CLIENTS), (smtp_sender, SMTP_CLIENTS))
                   for w in range(count)]
        for t in threads:
            t.start()
        # A random moment: mostly well into the load, sometimes right after the start
        # (while recovered jobs are being picked up).
        delay = rng.uniform(0.05, 0.4) if rng.random() < 0.2 else rng.uniform(0.4, 2.5)
        time.sleep(delay)
        acked_before = len(ledger.acked)
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive(), "a client hung after the kill"
        kills.append((round(delay, 2), len(ledger.acked) - acked_before))
    load_time = time.monotonic() - started
    print(f"{CYCLES} kills (delay s, acks in that cycle): {kills}")
    print(f"sent {len(ledger.sent)}, acknowledged {len(ledger.acked)} in {load_time:.1f}s")
    assert not ledger.refused, f"refusals while the hub was up: {ledger.refused[:10]}"
    assert len(ledger.acked) >= CYCLES, "too little load reached the hub to prove anything"

    server.start()

    # 1. Every acknowledged submission survived, under the id it was acknowledged with.
    before = envelopes_by_reference(server)
    lost = [ref for ref in ledger.acked if ref not in before]
    assert not lost, f"{len(lost)} acknowledged submissions lost after kill -9: {lost[:10]}"
    moved = [(ref, eid, [e['id'] for e in before[ref]]) for ref, eid in ledger.acked.items()
             if eid and eid not in {e["id"] for e in before[ref]}]
    assert not moved, f"acknowledged ids not found under their reference: {moved[:10]}"
    doubled = {ref: [e["id"] for e in envs] for ref, envs in before.items() if len(envs) > 1}
    assert not doubled, f"references with more than one envelope: {list(doubled.items())[:10]}"

    # 2. Resubmit every reference ever sent: replays for the committed, new for the lost-in-flight.
    def resend(item: tuple[str, tuple[str, dict]]) -> str | None:
        reference, (ingress, spec) = item
        if ingress == "rest":
            r = rest_submit(server, spec["envelope"], spec["pdf"], reference)
            assert r.status_code == 202, f"resubmitting {reference}: {r.status_code} {r.text[:300]}"
            if reference in before:
                assert r.headers.get("Idempotent-Replayed") == "true", f"{reference}: replay not marked"
                assert r.json()["id"] == before[reference][0]["id"], f"{reference}: replay gave another id"
            return None
        if ingress == "soap":
            answer = soap_submit(server, spec["recipient"], spec["pdf"], reference)
            assert answer.ok, f"resubmitting {reference}: {answer.status} {answer.text[:300]}"
            if reference in before:
                assert answer.replayed and answer.envelope_id == before[reference][0]["id"], f"{reference}: {answer.text[:300]}"
            return None
        return reference

    with ThreadPoolExecutor(max_workers=8) as pool:
        smtp_refs = [ref for ref in pool.map(resend, ledger.sent.items()) if ref]
    client = smtp_client(server)
    try:
        for reference in smtp_refs:
            ingress, spec = ledger.sent[reference]
            code, text = smtp_send(client, smtp_message(server, spec["to"], reference, spec["pdf"]))
            assert code == 250, f"resending {reference}: {code} {text}"
    finally:
        client.quit()

    after = envelopes_by_reference(server)
    missing = [ref for ref in ledger.sent if ref not in after]
    assert not missing, f"references without an envelope after resubmission: {missing[:10]}"
    doubled = {ref: [e["id"] for e in envs] for ref, envs in after.items() if len(envs) > 1}
    assert not doubled, f"duplicated by resubmission: {list(doubled.items())[:10]}"
    strangers = set(after) - set(ledger.sent)
    assert not strangers, f"envelopes nobody sent: {sorted(strangers)[:10]}"

    # 3. Everything reaches a terminal state.
    def unfinished() -> list[tuple[str, str, str]]:
        out = []
        for envs in envelopes_by_reference(server).values():
            for e in envs:
                done = e["status"] in TERMINAL or (e["status"] == "delivered" and e.get("channel") == "ebill")
                if not done:
                    out.append((e["id"], e["status"], e.get("channel", "")))
        return out

    t0 = time.monotonic()
    wait_until(lambda: not unfinished(), timeout=180, interval=1.0, what="every envelope in a terminal state",
               describe=lambda: f"{len(unfinished())} unfinished, e.g. {unfinished()[:10]}")
    print(f"{len(after)} envelopes terminal {time.monotonic() - t0:.1f}s after the last restart's resubmissions")

    # 4. The event feed: one `accepted` per envelope, no event twice.
    ids, accepted, cursor = set(), {}, None
    while True:
        page = server.get("/v1/events", params={"limit": 200, **({"after": cursor} if cursor else {})}).json()
        for event in page["items"]:
            assert event["id"] not in ids, f"event {event['id']} twice in the feed"
            ids.add(event["id"])
            if event["type"] == "accepted":
                accepted[event["envelopeId"]] = accepted.get(event["envelopeId"], 0) + 1
        if not page["items"] or page.get("nextCursor") in (None, cursor):
            break
        cursor = page["nextCursor"]
    all_ids = {e["id"] for envs in after.values() for e in envs}
    assert set(accepted) == all_ids, f"envelopes without `accepted` in the feed: {sorted(all_ids - set(accepted))[:10]}"
    assert all(n == 1 for n in accepted.values()), [k for k, n in accepted.items() if n > 1][:10]
