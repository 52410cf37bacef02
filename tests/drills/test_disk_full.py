"""Drill: the data folder's disk fills up under load, then space comes back.

The hub runs on a 64 MiB tmpfs. A filler file leaves a few MiB; REST, SOAP and SMTP
clients then submit ~100 KB letters (each its own PDF and idempotency reference) until
every ingress is refused. The drill proves:

1. refusals are retryable and in each protocol's terms: HTTP 503 with `Retry-After`,
   SOAP 1.1 `Server` (1.2 `Receiver`) fault, SMTP `452` - never a 5xx/permanent answer
   that would make a sender give up, never a 500, and the hub keeps running;
2. nothing half-written was acknowledged: after the filler is removed, every acknowledged
   letter reaches the recipient's mailbox and downloads byte for byte (SHA-256), also
   after a kill -9 and restart;
3. service resumes when space returns, without a restart: every refused reference is
   accepted when resubmitted, and each reference ends with exactly one envelope.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

import requests

from drillkit import Tmpfs, envelopes_by_reference, fill, rest_submit, smtp_client, smtp_message, smtp_send, soap_submit
from missive_testkit import MissiveServer, make_pdf, wait_until

LEAVE_FREE = 3 * 1024 * 1024
REFUSALS_PER_INGRESS = 3


def letter(reference: str) -> bytes:
    return make_pdf(f"disk full {reference}", pad_to=100 * 1024)


def test_disk_full_refuses_retryably_and_resumes(server_factory, tmp_path) -> None:
    disk = Tmpfs(tmp_path / "disk", "64m").mount()
    try:
        run(server_factory, disk, os.urandom(3).hex())
    finally:
        disk.unmount()


def run(server_factory, disk: Tmpfs, run_id: str) -> None:
    server: MissiveServer = server_factory("--rate-limit", "0", name="diskfull", data_dir=disk.path / "data")
    anna = server.recipient("digital")
    sent: dict[str, tuple[str, bytes]] = {}  # reference -> (ingress, pdf)
    acked: dict[str, str | None] = {}
    refusals: dict[str, list[str]] = {"rest": [], "soap": [], "smtp": []}
    wrong: list[str] = []
    lock = threading.Lock()

    filler = disk.path / "filler"
    fill(filler, leave=LEAVE_FREE)
    print(f"\nfree after the filler: {disk.free_bytes() // 1024} KiB")

    def refused(ingress: str, what: str, retryable: bool) -> None:
        with lock:
            (refusals[ingress] if retryable else wrong).append(f"{ingress}: {what}")

    def enough(ingress: str) -> bool:
        with lock:
            return len(refusals[ingress]) >= REFUSALS_PER_INGRESS

    def rest_client(worker: int) -> None:
        n = 0
        while not enough("rest") and n < 400:
            n += 1
            reference = f"rest-{run_id}-{worker}-{n}"
            pdf = letter(reference)
            sent[reference] = ("rest", pdf)
            r = rest_submit(server, {"recipient": anna["recipient"], "title": reference}, pdf, reference)
            if r.status_code == 202:
                acked[reference] = r.json()["id"]
            else:
                retry_after = r.headers.get("Retry-After", "")
                ok = r.status_code == 503 and retry_after.isdigit() and int(retry_after) >= 1
                refused("rest", f"HTTP {r.status_code} Retry-After={retry_after!r} {r.text[:200]}", ok)

    def soap_client() -> None:
        n = 0
        while not enough("soap") and n < 400:
            n += 1
            reference = f"soap-{run_id}-{n}"
            pdf = letter(reference)
            sent[reference] = ("soap", pdf)
            answer = soap_submit(server, anna["recipient"], pdf, reference)
            if answer.ok:
                acked[reference] = answer.envelope_id
            else:
                code, text = answer.fault()
                refused("soap", f"{answer.status} {code} {text}", answer.status == 500 and code.endswith("Server"))

    def smtp_sender() -> None:
        n = 0
        client = smtp_client(server)
        try:
            while not enough("smtp") and n < 400:
                n += 1
                reference = f"smtp-{run_id}-{n}@drill.example"
                pdf = letter(reference)
                sent[reference] = ("smtp", pdf)
                code, text = smtp_send(client, smtp_message(server, "digital", reference, pdf))
                if code == 250:
                    acked[reference] = None
                else:
                    # 452 when storing the documents fails; 451 when the database's commit
                    # does (both "try again later", RFC 5321 4.2.5).
                    refused("smtp", f"{code} {text}", code in (451, 452))
                    if code == 421:
                        client = smtp_client(server)
        finally:
            try:
                client.quit()
            except Exception:  # noqa: BLE001
                pass

    threads = [threading.Thread(target=rest_client, args=(w,)) for w in range(2)]
    threads += [threading.Thread(target=soap_client), threading.Thread(target=smtp_sender)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    print(f"acknowledged {len(acked)} of {len(sent)} before the disk was full ({time.monotonic() - t0:.1f}s); "
          f"free now {disk.free_bytes() // 1024} KiB; refusals: { {k: v[:1] for k, v in refusals.items()} }")
    assert server.proc.poll() is None, f"the hub died on a full disk\n{server.log_tail(60)}"
    assert not wrong, f"non-retryable or wrong refusals on a full disk: {wrong[:10]}"
    for ingress, found in refusals.items():
        assert len(found) >= REFUSALS_PER_INGRESS, f"{ingress} was never refused ({len(found)}): the disk did not fill"
    assert acked, "nothing was accepted before the disk filled"

    # Space returns: the same process accepts again, every ingress, without a restart.
    filler.unlink()
    resubmitted = [ref for ref in sent if ref not in acked]

    def accepted_again() -> bool:
        r = rest_submit(server, {"recipient": anna["recipient"], "title": f"back-{run_id}"}, letter(f"back-{run_id}"), f"back-{run_id}")
        return r.status_code == 202

    wait_until(accepted_again, timeout=30, interval=0.5, what="REST accepting again once space is back")
    sent[f"back-{run_id}"] = ("rest", letter(f"back-{run_id}"))
    client = smtp_client(server)
    try:
        for reference in resubmitted:
            ingress, pdf = sent[reference]
            if ingress == "rest":
                r = rest_submit(server, {"recipient": anna["recipient"], "title": reference}, pdf, reference)
                assert r.status_code == 202, f"{reference} after space came back: {r.status_code} {r.text[:300]}"
            elif ingress == "soap":
                answer = soap_submit(server, anna["recipient"], pdf, reference)
                assert answer.ok, f"{reference} after space came back: {answer.text[:300]}"
            else:
                code, text = smtp_send(client, smtp_message(server, "digital", reference, pdf))
                assert code == 250, f"{reference} after space came back: {code} {text}"
    finally:
        client.quit()

    # Nothing half-written: every reference has one envelope, and every acknowledged
    # letter arrives whole in the mailbox - before and after a kill -9.
    def check_all(stage: str) -> None:
        grouped = envelopes_by_reference(server)
        missing = [ref for ref in sent if ref not in grouped]
        assert not missing, f"{stage}: references without an envelope: {missing[:10]}"
        doubled = {ref: len(v) for ref, v in grouped.items() if len(v) > 1}
        assert not doubled, f"{stage}: references with several envelopes: {doubled}"
        for ref, eid in acked.items():
            if eid:
                assert grouped[ref][0]["id"] == eid, f"{stage}: {ref} acknowledged as {eid}, now {grouped[ref][0]['id']}"
        key = anna["mailboxKey"]

        def delivered() -> list | None:
            statuses = [(ref, grouped[ref][0]["id"], server.envelope(grouped[ref][0]["id"])["status"]) for ref in sent]
            waiting = [s for s in statuses if s[2] not in ("delivered", "consulted")]
            return None if waiting else statuses

        wait_until(delivered, timeout=120, interval=1.0, what=f"{stage}: every letter delivered to the mailbox")
        # Each letter's PDF is unique, so its SHA-256 names its mailbox letter.
        letters = {item["document"]["sha256"]: item for item in server.list_all("/v1/mailbox/letters", key=key)}
        for ref, (_, pdf) in sent.items():
            item = letters.get(hashlib.sha256(pdf).hexdigest())
            assert item, f"{stage}: {ref} ({grouped[ref][0]['id']}) not in the mailbox"
            body = server.get(f"/v1/mailbox/letters/{item['id']}/document", key=key)
            assert body.status_code == 200, f"{stage}: {ref}: {body.status_code} {body.text[:200]}"
            assert hashlib.sha256(body.content).hexdigest() == hashlib.sha256(pdf).hexdigest(), f"{stage}: {ref} is not whole"

    check_all("after space came back")
    server.kill()
    server.start()
    check_all("after kill -9 and restart")
