#!/usr/bin/env python3
"""End to end and at scale (run it through bench/run, or alone with --bin).

1. **End to end to `delivered` (ePost), sustained.** A fresh sandbox hub with its default
   admission bound (`admissionBacklog`); wrk POSTs the ~100 KB REST letter to the sandbox's
   digital recipient (Anna Muster's mailbox) and, like a well-behaved client, waits
   `Retry-After` after a `503 busy`. The warm-up runs at least 30 s and until the hub has
   refused (the backlog reached its bound), at most 120 s; then 60 s are measured. /metrics is read at the start and
   the end of the measured period: the envelopes accepted and the envelopes that reached the
   mailbox (`delivered` or `consulted`) in that window give the delivery rate as a ratio of
   the acceptance rate; the backlog (`missive_admission_backlog`: dispatch jobs and evidence
   records due; timers set for later, like each delivered letter's 7-day check, left out) is
   sampled every second, and its growth per second and maximum are reported. Afterwards
   the bench times how long the backlog takes to drain. Peak RSS is sampled throughout.

2. **A store grown to N envelopes (default 1,000,000).** The REST letter (physical
   recipient) on an empty store, as baseline; then the hub is stopped, its SQLite store is
   grown to N envelopes by copying the envelopes and events it holds under new ids (settled
   letters: no jobs are copied, so the copies cost the dispatcher nothing; documents are
   not copied, only referenced), the hub restarted on it and the same load measured again.
   The ratio big ÷ empty is the figure. Growing takes a few minutes and ~1-2 GB of disk.

Prints a Markdown report and writes bench/results/pipeline-latest.md and pipeline.json
(read by bench/summary.py). Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sqlite3
import statistics
import threading
import time
from pathlib import Path

import requests

from bench import HERE, PeakRSS, build_requests, machine_info, rest_body, run_wrk, write_summary
from missive_testkit import MissiveServer, make_pdf


def metrics(server: MissiveServer) -> dict:
    text = requests.get(server.url + "/metrics", timeout=120).text
    out: dict = {}
    for match in re.finditer(r'^missive_envelopes\{status="([a-z_]+)"\}\s+([0-9.eE+]+)\s*$', text, re.M):
        out[match.group(1)] = int(float(match.group(2)))
    for name in ("missive_envelopes_accepted_total", "missive_jobs_pending", "missive_jobs_due", "missive_admission_backlog",
                 "missive_admission_limit", "missive_admission_refused_total", "missive_evidence_pending"):
        match = re.search(rf"^{name}\s+([0-9.eE+]+)\s*$", text, re.M)
        if match:
            out[name] = int(float(match.group(1)))
    out["in_mailbox"] = out.get("delivered", 0) + out.get("consulted", 0) + out.get("not_consulted", 0)
    return out


def start(args, data: Path, bounded: bool = False) -> MissiveServer:
    # The store part measures acceptance alone (no admission bound, like --rate-limit 0).
    extra = ["--rate-limit", "0"] + ([] if bounded else ["--admission-backlog", "0"])
    server = MissiveServer(data, extra_args=extra, binary=Path(args.bin), name="bench-pipeline")
    server.start(timeout=600)
    return server


def end_to_end(args, root: Path, pdf: bytes) -> dict:
    server = start(args, root / "e2e" / "data", bounded=True)
    try:
        reqs = build_requests(server, pdf, root)
        anna = server.recipient("digital")["recipient"]
        body = root / "body-epost.bin"
        body.write_bytes(rest_body(anna, pdf))
        env = dict(reqs["rest"]["env"], BENCH_BODY=str(body))
        smoke = requests.post(server.url + "/v1/envelopes", data=body.read_bytes(), headers=reqs["rest"]["headers"], timeout=60)
        if smoke.status_code != 202:
            raise SystemExit(f"bench: smoke test -> {smoke.status_code} {smoke.text[:300]}")
        limit = metrics(server).get("missive_admission_limit", 0)
        print(f"e2e: admission bound {limit:,}; warm-up of at least {args.e2e_warmup_min} s and until the hub refuses as busy "
              f"(at most {args.e2e_warmup_max} s), then measuring {args.e2e_duration}s (REST to the digital mailbox) ...", flush=True)
        w0 = time.monotonic()
        while time.monotonic() - w0 < args.e2e_warmup_max:
            run_wrk(server.url, env, 5, args.connections, args.threads)
            if time.monotonic() - w0 >= args.e2e_warmup_min and metrics(server).get("missive_admission_refused_total", 0) > 0:
                break
        warmup_s = time.monotonic() - w0
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                samples.append(metrics(server).get("missive_admission_backlog", 0))

        before, t0 = metrics(server), time.monotonic()
        sampler = threading.Thread(target=sample, daemon=True)
        with PeakRSS(server.proc.pid) as peak:
            sampler.start()
            load = run_wrk(server.url, env, args.e2e_duration, args.connections, args.threads)
            after, t1 = metrics(server), time.monotonic()
            stop.set()
            sampler.join()
            window = t1 - t0
            accepted = (after["missive_envelopes_accepted_total"] - before["missive_envelopes_accepted_total"]) / window
            delivered = (after["in_mailbox"] - before["in_mailbox"]) / window
            refused = after.get("missive_admission_refused_total", 0) - before.get("missive_admission_refused_total", 0)
            growth = (after.get("missive_admission_backlog", 0) - before.get("missive_admission_backlog", 0)) / window
            # Then the backlog drains (no load): how long, and at what rate.
            d0, pending0 = time.monotonic(), after.get("missive_admission_backlog", 0)
            current = after
            # Drained: no job or evidence due, and every accepted letter in the mailbox (a job
            # given back for a second by a busy channel is not due meanwhile).
            while (current.get("missive_jobs_due", 0) > 0 or current.get("missive_evidence_pending", 0) > 0
                   or current["in_mailbox"] < current["missive_envelopes_accepted_total"]) and time.monotonic() - d0 < args.drain_timeout:
                time.sleep(1.0)
                current = metrics(server)
            drain_s = time.monotonic() - d0
        result = {
            "rps": load["rps"], "p99_ms": load["p99_ms"], "accepted_per_s": accepted, "delivered_per_s": delivered,
            "ratio": delivered / accepted if accepted else float("nan"), "backlog_growth_per_s": growth,
            "backlog_start": before.get("missive_admission_backlog", 0), "backlog_max": max(samples, default=0),
            "admission_limit": limit, "refused": refused, "refused_per_s": refused / window, "warmup_s": warmup_s,
            "backlog_at_end": pending0, "drain_s": drain_s, "drained": current.get("missive_jobs_due", 0) == 0 and current["in_mailbox"] >= current["missive_envelopes_accepted_total"],
            "delivered_total": current["in_mailbox"], "accepted_total": current["missive_envelopes_accepted_total"],
            "peak_rss_mb": peak.peak,
        }
        result["bounded"] = bool(limit) and result["backlog_max"] <= 1.2 * limit
        print(f"  accepted {accepted:,.1f}/s, delivered {delivered:,.1f}/s ({result['ratio']:.2f}x), backlog {growth:+.1f}/s "
              f"(start {result['backlog_start']:,}, max {result['backlog_max']:,}, bound {limit:,}), {refused:,} refused as busy; "
              f"drained {pending0} in {drain_s:.0f} s, peak RSS {peak.peak:.0f} MB", flush=True)
        return result
    finally:
        server.stop(timeout=120)


def grow(database: Path, target: int) -> tuple[int, float]:
    """Copies the envelopes (and their events) under new ids until there are `target`."""
    t0 = time.monotonic()
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    columns = [row[1] for row in db.execute("PRAGMA table_info(envelopes)")]
    event_columns = [row[1] for row in db.execute("PRAGMA table_info(events)") if row[1] != "seq"]

    new_id = "'env_' || upper(hex(randomblob(13)))"
    count = db.execute("SELECT COUNT(*) FROM envelopes").fetchone()[0]
    while count < target:
        batch = min(count, target - count)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS copies (old TEXT, new TEXT)")
        db.execute("DELETE FROM copies")
        db.execute(f"INSERT INTO copies SELECT id, {new_id} FROM envelopes LIMIT ?", (batch,))
        db.execute(f"INSERT INTO envelopes ({', '.join(columns)}) SELECT "
                   + ", ".join("c.new" if c == "id" else "NULL" if c in ("ingress_reference", "ingress_response") else f"e.{c}" for c in columns)
                   + " FROM copies AS c JOIN envelopes AS e ON e.id = c.old")
        db.execute(f"INSERT INTO events ({', '.join(event_columns)}) SELECT "
                   + ", ".join("c.new" if c == "envelope_id" else "'evt_' || upper(hex(randomblob(13)))" if c == "id" else f"v.{c}" for c in event_columns)
                   + " FROM copies AS c JOIN events AS v ON v.envelope_id = c.old")
        db.commit()
        count = db.execute("SELECT COUNT(*) FROM envelopes").fetchone()[0]
        print(f"  store: {count:,} envelopes ({time.monotonic() - t0:.0f} s)", flush=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return count, time.monotonic() - t0


def measure(args, server: MissiveServer, reqs: dict, label: str) -> dict:
    print(f"store {label}: warm-up {args.warmup}s, measuring {args.duration}s ...", flush=True)
    run_wrk(server.url, reqs["rest"]["env"], args.warmup, args.connections, args.threads)
    with PeakRSS(server.proc.pid) as peak:
        result = run_wrk(server.url, reqs["rest"]["env"], args.duration, args.connections, args.threads)
    result["peak_rss_mb"] = peak.peak
    print(f"  {result['rps']:,.1f} req/s, p99 {result['p99_ms']:.1f} ms, non-2xx {result['non2xx']}, peak RSS {peak.peak:.0f} MB", flush=True)
    return result


def store_growth(args, root: Path, pdf: bytes) -> dict:
    data = root / "store" / "data"
    server = start(args, data)
    try:
        reqs = build_requests(server, pdf, root)
        empty = measure(args, server, reqs, "empty")
        t0 = time.monotonic()
        while metrics(server).get("missive_jobs_due", 0) > 0 and time.monotonic() - t0 < args.drain_timeout:
            time.sleep(1.0)
    finally:
        server.stop(timeout=120)
    count, grow_s = grow(data / "missive.sqlite", args.store_envelopes)
    size_mb = sum(p.stat().st_size for p in data.glob("missive.sqlite*")) / 1024 / 1024
    server = start(args, data)
    try:
        reqs = build_requests(server, pdf, root)
        big = measure(args, server, reqs, f"with {count:,} envelopes")
    finally:
        server.stop(timeout=120)
    return {"empty_rps": empty["rps"], "big_rps": big["rps"], "ratio": big["rps"] / empty["rps"] if empty["rps"] else float("nan"),
            "empty_p99_ms": empty["p99_ms"], "big_p99_ms": big["p99_ms"], "envelopes": count, "grow_s": grow_s,
            "database_mb": size_mb, "peak_rss_mb": max(empty["peak_rss_mb"], big["peak_rss_mb"])}


def report(args, info: dict, e2e: dict | None, store: dict | None) -> str:
    lines = [
        f"# End to end and at scale — {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, load before: {info.get('load', '?')}",
        f"- wrk {args.connections} connections, {args.warmup} s warm-up, {args.duration} s measured, REST ~100 KB PDF",
        "",
        "| what | measured | baseline (same run) | ratio | target |",
        "|---|---|---|---|---|",
    ]
    if e2e:
        lines.append(f"| end to end to `delivered` (ePost), sustained | {e2e['delivered_per_s']:,.1f} letters/s into the mailbox; backlog "
                     f"{e2e['backlog_growth_per_s']:+,.1f}/s, at most {e2e['backlog_max']:,} (bound {e2e['admission_limit']:,}) | "
                     f"{e2e['accepted_per_s']:,.1f} accepted/s ({e2e['refused_per_s']:,.1f}/s refused as busy) | **{e2e['ratio']:.2f}×** | ≥ 0.9×, no backlog growth |")
    if store:
        lines.append(f"| store grown to {store['envelopes']:,} envelopes ({store['database_mb']:,.0f} MB) | {store['big_rps']:,.1f} env/s "
                     f"(p99 {store['big_p99_ms']:.0f} ms) | {store['empty_rps']:,.1f} env/s on the empty store (p99 {store['empty_p99_ms']:.0f} ms) "
                     f"| **{store['ratio']:.2f}×** | ≥ 0.8× |")
    lines.append("")
    if e2e:
        lines.append(f"End to end: the warm-up took {e2e['warmup_s']:.0f} s to reach the admission bound. After the load, {e2e['backlog_at_end']:,} jobs and evidence records were left and drained in {e2e['drain_s']:.0f} s"
                     f"{'' if e2e['drained'] else ' (NOT drained within the timeout)'}; {e2e['delivered_total']:,} of "
                     f"{e2e['accepted_total']:,} accepted letters in the mailbox at the end; peak RSS {e2e['peak_rss_mb']:.0f} MB.")
    if store:
        lines.append(f"Store: grown by copying in {store['grow_s']:.0f} s; peak RSS {store['peak_rss_mb']:.0f} MB.")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--e2e-duration", type=int, default=60, help="end to end: seconds measured in the steady state")
    ap.add_argument("--e2e-warmup-min", type=int, default=30, help="end to end: shortest warm-up (the pipeline fills)")
    ap.add_argument("--e2e-warmup-max", type=int, default=120, help="end to end: longest warm-up while waiting for the first 503 busy")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--store-envelopes", type=int, default=1_000_000)
    ap.add_argument("--drain-timeout", type=float, default=900)
    ap.add_argument("--only", choices=["e2e", "store"], default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pipeline-latest.md")
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    root = (HERE / "results" / f"tmp-pipeline-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}").resolve()
    root.mkdir(parents=True, exist_ok=True)
    info = machine_info(root)
    pdf = make_pdf("Missive pipeline benchmark letter", pad_to=100 * 1024)
    try:
        e2e = end_to_end(args, root, pdf) if args.only in (None, "e2e") else None
        store = store_growth(args, root, pdf) if args.only in (None, "store") else None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    md = report(args, info, e2e, store)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    write_summary("pipeline", {"e2e": e2e, "store": store})
    print()
    print(md)
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
