"""Drill: every peer the hub talks to goes down for a while, then comes back.

Peers (docs/configuration.md): the eBill network (`--ebill-url`, a fake that answers 503,
then refuses connections, then black-holes requests), the print partner's spool
(`--print-spool` on a tmpfs remounted read-only), two webhook receivers (one answers 503,
the other stops listening), the SMTP smarthost for delivery status notifications
(`--smtp-smarthost`, aiosmtpd, stopped), and clamd (`--virus-scanner`, stopped last, on
its own). Channel and webhook retries start at 0.5 s (`channelRetryBaseSeconds` in a
`--config` file, `--webhook-retry-base-seconds`) so the drill fits in a minute or two.

Live traffic reaches the configured peers, so the drill registers an organisation, reads
its verification code from the spool like the print partner would, and submits with its
live key; SMTP status notifications come from the sandbox's demo organisation.

It proves:
1. no blocked queue: while eBill, print, webhooks and the smarthost are down - and even
   while the eBill network holds requests open without answering and 20 more bills than
   that wait for it (more than the dispatcher's 16 workers; the eBill channel holds at most
   8 of them) - ePost letters are delivered within seconds;
2. retries with back-off: the eBill network sees a few attempts per bill with growing gaps,
   not a hammering, and the webhook receiver sees its 503s retried;
3. no loss, no duplicate: once the peers are back, every bill is filed exactly once, every
   print job is in the spool and ends `posted`, both webhook receivers get every event of
   every envelope (signature verified), and the smarthost gets exactly one report for each
   failed SMTP letter;
4. clamd down refuses new letters retryably on REST (503 + Retry-After), SOAP (Server
   fault) and SMTP (451) while the rest of the hub keeps working (partner reports are
   recorded, webhooks delivered); clamd back, letters are accepted again.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

from drillkit import (
    ClosableReceiver,
    FakeEBillNetwork,
    SwitchableReceiver,
    Tmpfs,
    free_port,
    partner_reports,
    smtp_client,
    smtp_message,
    smtp_send,
    soap_submit,
    write_config,
)
from missive_testkit import MissiveServer, create_webhook, make_pdf, wait_until
from test_smtp_dsn import Recorder, reports_for
from test_virus import Clamd

INVOICES, LETTERS, DIGITAL = 20, 6, 6
HUNG_BILLS = 20  # more than the dispatcher's 16 workers
PROFILE = {"legalName": "Drill Peers AG",
           "postalAddress": {"name": "Drill Peers AG", "street": "Seestrasse", "houseNumber": "12", "postcode": "8002", "town": "Zürich"}}


class Smarthost:
    """aiosmtpd on a fixed port that can be stopped (connection refused) and started again."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def register_live(server: MissiveServer, spool: Path) -> tuple[str, str]:
    """A verified organisation: (organisation id, live key)."""
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    profile = dict(PROFILE, uid=f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}")
    answer = requests.post(f"{server.url}/v1/registrations", json=profile, timeout=30)
    assert answer.status_code == 201, answer.text
    org_id, key = answer.json()["organisation"]["id"], answer.json()["liveKey"]
    letter = server.get("/v1/organisation", key=key).json()["verificationLetter"]["envelopeId"]
    pdf = spool / "outbox" / f"{letter}.pdf"
    wait_until(pdf.exists, timeout=30, what="the verification letter in the live spool")
    code = re.search(rb"\(\s*([0-9A-Z]{4}-[0-9A-Z]{4})\) Tj", pdf.read_bytes()).group(1).decode()
    verified = server.post("/v1/organisation/verification", key=key, json={"code": code})
    assert verified.status_code == 200, verified.text
    return org_id, key


def statuses(server: MissiveServer, ids: list[str], key: str | None = None) -> dict[str, str]:
    return {i: server.envelope(i, key=key)["status"] for i in ids}


def test_peers_down_then_back(server_factory, tmp_path) -> None:
    spool_disk = Tmpfs(tmp_path / "spool", "64m").mount()
    clamd = Clamd(tmp_path / "clamd").start()
    ebill = FakeEBillNetwork()
    smarthost = Smarthost()
    smarthost.start()
    try:
        drill(server_factory, tmp_path, spool_disk, clamd, ebill, smarthost)
    finally:
        smarthost.stop()
        ebill.close()
        clamd.stop()
        spool_disk.unmount()


def drill(server_factory, tmp_path: Path, spool_disk: Tmpfs, clamd: Clamd, ebill: FakeEBillNetwork, smarthost: Smarthost) -> None:
    config = write_config(tmp_path / "missive.json", channelRetryBaseSeconds=0.5)
    server: MissiveServer = server_factory(
        "--config", str(config), "--rate-limit", "0", "--webhook-retry-base-seconds", "0.5",
        "--ebill-url", ebill.url, "--print-spool", str(spool_disk.path), "--virus-scanner", f"tcp:127.0.0.1:{clamd.port}",
        "--smtp-smarthost", f"127.0.0.1:{smarthost.port}", name="peers")
    spool = spool_disk.path
    org_id, live = register_live(server, spool)
    receivers = [SwitchableReceiver(), ClosableReceiver()]
    for receiver in receivers:
        create_webhook(server, receiver, key=live)
    pdf = make_pdf("peers drill")
    anna, dora = server.recipient("digital")["recipient"], server.recipient("physical")["recipient"]
    carla = server.recipient("ebill")["recipient"]

    def submit(envelope: dict, key: str = live) -> str:
        r = server.submit(envelope, pdf, key=key)
        assert r.status_code == 202, f"{r.status_code} {r.text[:300]}"
        return r.json()["id"]

    try:
        # ---- 1. Everything down (clamd stays up: it gates intake, see part 4) ----------
        ebill.set_mode("503")
        spool_disk.read_only(True)
        receivers[0].down = True
        receivers[1].stop_listening()
        smarthost.stop()
        outage = time.monotonic()

        invoices = [submit({"recipient": carla, "kind": "invoice", "invoice": {"amount": f"{100 + i}.00", "currency": "CHF"},
                            "reference": f"inv-{i}"}) for i in range(INVOICES)]
        letters = [submit({"recipient": dora, "reference": f"print-{i}"}) for i in range(LETTERS)]
        digital = [submit({"recipient": anna, "reference": f"epost-{i}"}) for i in range(DIGITAL)]
        client = smtp_client(server)
        for i in range(3):
            message = smtp_message(server, "unreachable", f"dsn-{uuid.uuid4().hex[:8]}@drill.example", pdf)
            assert smtp_send(client, message, rcpt_options=["NOTIFY=FAILURE"])[0] == 250
        client.quit()
        failed_smtp = [e["id"] for e in server.list_all("/v1/envelopes") if e.get("ingress") == "smtp"]
        assert len(failed_smtp) == 3, failed_smtp

        t0 = time.monotonic()
        wait_until(lambda: set(statuses(server, digital, live).values()) <= {"delivered"}, timeout=10, interval=0.2,
                   what="ePost letters delivered while the other peers are down",
                   describe=lambda: str(statuses(server, digital, live)))
        print(f"\nePost delivered {time.monotonic() - t0:.1f}s after submission with every other peer down")

        time.sleep(2)
        ebill.set_mode("refuse")
        time.sleep(2)
        hang = time.monotonic()
        ebill.set_mode("hang")  # the black hole: requests are accepted and never answered

        def held_open() -> int:  # the hub's eBill timeout (30 s) outlasts the hang: one attempt each
            with ebill.lock:
                return sum(1 for times in ebill.attempts.values() for at in times if at >= hang)

        # More new bills than the dispatcher has workers (16): one channel may hold at most 8
        # of them (`channelConcurrency`), so the hung requests cannot starve the ePost letters.
        hung = [submit({"recipient": carla, "kind": "invoice", "invoice": {"amount": f"{300 + i}.00", "currency": "CHF"},
                        "reference": f"inv-hung-{i}"}) for i in range(HUNG_BILLS)]
        wait_until(lambda: held_open() >= 8, timeout=10, interval=0.2, what="bills held open by the hanging eBill network",
                   describe=lambda: f"{held_open()} held open")
        busy = []
        for _ in range(10):
            busy.append(server.metric('missive_channel_deliveries_in_flight{channel="ebill"}'))
            time.sleep(0.15)
        assert max(busy) == 8, f"dispatcher workers in eBill deliveries while it hangs: {busy} (its share is 8 of 16)"
        late = [submit({"recipient": anna, "reference": f"epost-late-{i}"}) for i in range(3)]
        t0 = time.monotonic()
        wait_until(lambda: set(statuses(server, late, live).values()) <= {"delivered"}, timeout=10, interval=0.2,
                   what="ePost letters delivered while the eBill network holds requests open",
                   describe=lambda: str(statuses(server, late, live)))
        print(f"ePost delivered {time.monotonic() - t0:.1f}s after submission while the eBill network hangs")
        digital += late

        waiting = statuses(server, invoices + hung + letters, live)
        assert set(waiting.values()) <= {"routed"}, f"eBill/print envelopes moved while their peers were down: {waiting}"
        assert not [e for e in letters if (spool / "outbox" / f"{e}.json").exists()], "print jobs in a read-only spool"
        assert not reports_for(smarthost.recorder, failed_smtp[0])
        time.sleep(max(0.0, 10 - (time.monotonic() - outage)))

        # ---- 2./3. Everything back: no loss, no duplicates, correct events ---------------
        ebill.set_mode("up")
        spool_disk.read_only(False)
        receivers[0].down = False
        receivers[1].start_listening()
        smarthost.start()
        back = time.monotonic()
        print(f"peers down for {back - outage:.1f}s")

        wait_until(lambda: set(statuses(server, invoices, live).values()) <= {"delivered"}, timeout=60, interval=0.5,
                   what="every invoice delivered by the eBill network", describe=lambda: str(statuses(server, invoices, live)))
        wait_until(lambda: set(statuses(server, hung, live).values()) <= {"delivered"}, timeout=90, interval=0.5,
                   what="every bill held open while the network hung, delivered", describe=lambda: str(statuses(server, hung, live)))
        assert set(ebill.filed) == set(invoices + hung), "bills filed do not match the invoices"
        assert not ebill.duplicates, f"bills filed twice: {ebill.duplicates}"
        for bill in invoices:
            times = ebill.attempts[bill]
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert len(times) >= 2, f"{bill}: the eBill network saw no retry"
            assert len(times) <= 8, f"{bill}: {len(times)} attempts in {back - outage:.0f}s - no back-off: {gaps}"
        print(f"eBill attempts per bill: {sorted(len(t) for t in ebill.attempts.values())}; "
              f"gaps of the first: {[round(b - a, 2) for a, b in zip(ebill.attempts[invoices[0]], ebill.attempts[invoices[0]][1:])]}")

        def jobs_in_spool() -> int:
            return sum(1 for e in letters if (spool / "outbox" / f"{e}.json").exists())

        wait_until(lambda: jobs_in_spool() == LETTERS, timeout=60, interval=0.5, what="every print job in the spool",
                   describe=lambda: f"{jobs_in_spool()} of {LETTERS}; {statuses(server, letters, live)}")
        partner_reports(spool, "printed")
        time.sleep(0.2)
        partner_reports(spool, "posted")
        wait_until(lambda: set(statuses(server, letters, live).values()) <= {"posted"}, timeout=30, interval=0.5,
                   what="every print job posted", describe=lambda: str(statuses(server, letters, live)))

        for envelope_id in failed_smtp:
            wait_until(lambda: reports_for(smarthost.recorder, envelope_id), timeout=60, interval=0.5,
                       what=f"the DSN for {envelope_id} at the smarthost")
        time.sleep(1)
        for envelope_id in failed_smtp:
            assert len(reports_for(smarthost.recorder, envelope_id)) == 1, f"{envelope_id}: DSN sent more than once"

        for envelope_id in invoices + letters + digital:
            events = server.events(envelope_id, key=live)
            for receiver in receivers:
                receiver.wait_for_envelope_events(events, timeout=60)
        refused = [d for d in receivers[0].requests if d.status_sent == 503]
        assert refused, "the 503 receiver was never called while down"
        assert not receivers[0].failures and not receivers[1].failures, "webhook signatures did not verify"
        print(f"webhooks: {len(refused)} answers 503 retried; all events of {len(invoices + letters + digital)} envelopes "
              f"arrived {time.monotonic() - back:.1f}s after the peers came back")

        # ---- 4. clamd down: intake refuses retryably, the rest keeps working --------------
        held = [submit({"recipient": dora, "reference": f"held-{i}"}) for i in range(3)]
        wait_until(lambda: all((spool / "outbox" / f"{e}.json").exists() for e in held), timeout=30, what="held print jobs")
        clamd.stop()
        rest = server.submit({"recipient": dora}, pdf, key=live)
        assert rest.status_code == 503 and int(rest.headers.get("Retry-After", "0")) >= 1, rest.text[:300]
        soap = soap_submit(server, dora, pdf, f"clamd-{uuid.uuid4().hex[:8]}", organisation=org_id, api_key=live)
        assert soap.status == 500 and soap.fault()[0].endswith("Server"), soap.text[:300]
        client = smtp_client(server)
        code, text = smtp_send(client, smtp_message(server, "physical", f"clamd-{uuid.uuid4().hex[:8]}@drill.example", pdf))
        client.quit()
        assert code == 451, (code, text)
        partner_reports(spool, "printed")
        partner_reports(spool, "posted")
        wait_until(lambda: set(statuses(server, held, live).values()) <= {"posted"}, timeout=30, interval=0.5,
                   what="partner reports recorded while clamd is down")
        for envelope_id in held:
            receivers[0].wait_for_envelope_events(server.events(envelope_id, key=live), timeout=30)
        clamd.start()
        wait_until(lambda: server.submit({"recipient": dora}, pdf, key=live).status_code == 202, timeout=30, interval=0.5,
                   what="REST accepting again with clamd back")
        assert soap_submit(server, dora, pdf, f"clamd-{uuid.uuid4().hex[:8]}", organisation=org_id, api_key=live).ok
        client = smtp_client(server)
        assert smtp_send(client, smtp_message(server, "physical", f"clamd-{uuid.uuid4().hex[:8]}@drill.example", pdf))[0] == 250
        client.quit()
    finally:
        for receiver in receivers:
            receiver.close()
