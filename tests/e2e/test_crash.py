"""Durability and idempotency across a kill -9.

"Accepted means durable" (DESIGN.md section 5): a 202 is sent only after the envelope, its
documents and its `accepted` event are committed; a crash at any instant loses nothing
acknowledged and duplicates nothing that carried an Idempotency-Key.

1. Fire a burst of submissions (16 threads, each request with its own Idempotency-Key).
2. The moment the 80th 202 arrives, SIGKILL the server (other requests are in flight).
3. Restart on the same data dir.
4. Every acknowledged id exists; resubmitting every key of the burst (byte-identical
   request) returns the same id with `Idempotent-Replayed: true` for acknowledged keys;
   afterwards there is exactly one envelope per key; all reach `posted`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from missive_testkit import MissiveServer, multipart_body, make_pdf, wait_until

BURST = 200
THREADS = 16
KILL_AFTER = 80
RECOVERY_TIMEOUT = float(os.environ.get("MISSIVE_CRASH_RECOVERY_TIMEOUT", "180"))


def test_kill_9_loses_nothing_acknowledged_and_duplicates_nothing(server_factory) -> None:
    # No rate limit: the burst must measure durability, not be answered 429.
    s: MissiveServer = server_factory("--rate-limit", "0", name="crash")
    org = s.organisation_id
    recipient = s.recipient("physical")["recipient"]
    pdf = make_pdf("crash test letter")

    # One fixed, byte-identical request per key (fixed multipart boundary).
    keys = [f"crash-{i:04d}-{os.urandom(4).hex()}" for i in range(BURST)]
    bodies = {k: multipart_body({"recipient": recipient, "reference": k}, pdf, boundary=f"b-{k}") for k in keys}

    acked: dict[str, str] = {}  # key -> envelope id, for every 202 received before the kill
    errors: dict[str, str] = {}
    lock = threading.Lock()
    killed = threading.Event()
    url, api_key, pid = s.url, s.api_key, s.proc.pid

    def submit(key: str) -> None:
        if killed.is_set():
            return  # never attempted; resubmitted after the restart like every other key
        body, ctype = bodies[key]
        try:
            r = requests.post(url + "/v1/envelopes", data=body, timeout=20,
                              headers={"Authorization": f"Bearer {api_key}", "Content-Type": ctype, "Idempotency-Key": key})
        except requests.RequestException as exc:
            with lock:
                errors[key] = type(exc).__name__
            return
        with lock:
            if r.status_code == 202:
                acked[key] = r.json()["id"]
                if len(acked) == KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.kill(pid, signal.SIGKILL)  # right now, with other requests in flight
            else:
                errors[key] = f"HTTP {r.status_code}: {r.text[:200]}"

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(submit, keys))
    assert killed.is_set(), f"only {len(acked)} submissions were acknowledged before the burst ended: {list(errors.items())[:5]}"
    non_crash_errors = {k: e for k, e in errors.items() if e.startswith("HTTP")}
    assert not non_crash_errors, f"non-202 answers before the kill: {list(non_crash_errors.items())[:5]}"
    s.proc.wait(timeout=10)
    print(f"\nacknowledged before kill -9: {len(acked)}; failed in flight: {len(errors)}; never sent: "
          f"{BURST - len(acked) - len(errors)}")

    # Restart on the same data dir (sandbox.json is rewritten; the key may be new, the
    # organisation must be the same).
    s.start()
    assert s.organisation_id == org, "restart created a different organisation"

    # 1. Nothing acknowledged was lost.
    for key, env_id in acked.items():
        r = s.get(f"/v1/envelopes/{env_id}")
        assert r.status_code == 200, f"acknowledged {env_id} ({key}) lost after kill -9: {r.status_code} {r.text[:200]}"

    # 2. Resubmitting every key: acknowledged keys replay; nothing is duplicated.
    ids_after: dict[str, str] = {}
    for key in keys:
        body, ctype = bodies[key]
        r = s.post("/v1/envelopes", data=body, headers={"Content-Type": ctype, "Idempotency-Key": key})
        assert r.status_code == 202, f"resubmitting {key}: {r.status_code} {r.text[:300]}"
        ids_after[key] = r.json()["id"]
        if key in acked:
            assert ids_after[key] == acked[key], f"{key}: acknowledged {acked[key]} but replay gave {ids_after[key]}"
            assert r.headers.get("Idempotent-Replayed") == "true", f"{key}: replay not marked: {dict(r.headers)}"
    assert len(set(ids_after.values())) == BURST, "two keys share an envelope"

    listed = s.list_all("/v1/envelopes", params={"limit": 200})
    assert len(listed) == BURST, f"{len(listed)} envelopes listed for {BURST} distinct keys (duplicates or losses)"
    assert {e["id"] for e in listed} == set(ids_after.values())
    refs = [e.get("reference") for e in listed]
    assert sorted(refs) == sorted(keys), "an envelope's reference does not match its key"

    # 3. Every envelope, including the ones accepted just before the crash, is dispatched.
    def not_posted() -> list[tuple[str, str]]:
        return [(e["id"], e["status"]) for e in s.list_all("/v1/envelopes", params={"limit": 200})
                if e["status"] != "posted"]

    # Jobs claimed by the killed process stay leased until their lease expires (the server
    # leases dispatch jobs for 120 s of real time), so allow lease + margin.
    started = time.monotonic()
    wait_until(lambda: not not_posted(), timeout=RECOVERY_TIMEOUT, interval=1.0, what="all envelopes posted",
               describe=lambda: str(not_posted()[:20]))
    print(f"all {BURST} posted {time.monotonic() - started:.1f}s after the restart")
