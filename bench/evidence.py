#!/usr/bin/env python3
"""What sealed evidence costs (run it through bench/run, or alone with --bin).

For each of N repeats (default 3), two fresh sandbox hubs in alternating order: one issuing
evidence (every acceptance gets a sealed, time-stamped record plus a seal over its document;
every posting another record), one started with `--no-evidence` (the baseline: events are
still queued for evidence and the queue is drained, but nothing is sealed). Against each:
wrk POSTs the ~100 KB REST letter (as bench.py does) for a warm-up and a measured period.
Then, on the evidence hub, the bench stops submitting and times how fast the evidence worker
works off its backlog (/metrics `missive_evidence_pending` down to 0), which gives the
sealing cost per record and per envelope.

Prints a Markdown report (medians) and writes bench/results/evidence-latest.md. Timings are
reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import statistics
import time
from pathlib import Path

import requests

from bench import HERE, PeakRSS, build_requests, machine_info, run_wrk, write_summary
from missive_testkit import MissiveServer, make_pdf


def metrics(server: MissiveServer) -> dict:
    text = requests.get(server.url + "/metrics", timeout=30).text
    out = {}
    for name in ("missive_evidence_pending", "missive_evidence_records", "missive_envelopes_accepted_total", "missive_jobs_pending"):
        match = re.search(rf"^{name}\s+([0-9.eE+]+)\s*$", text, re.M)
        if match:
            out[name] = int(float(match.group(1)))
    return out


def run_hub(args, data: Path, pdf: bytes, evidence: bool) -> dict:
    extra = ["--rate-limit", "0", "--admission-backlog", "0"] + ([] if evidence else ["--no-evidence"])
    server = MissiveServer(data, extra_args=extra, binary=Path(args.bin), name="bench-evidence")
    server.start()
    try:
        reqs = build_requests(server, pdf, data.parent)
        smoke = requests.post(server.url + "/v1/envelopes", data=reqs["rest"]["file"].read_bytes(), headers=reqs["rest"]["headers"], timeout=60)
        if smoke.status_code != 202:
            raise SystemExit(f"bench: smoke test REST -> {smoke.status_code} {smoke.text[:400]}\n{server.log_tail(40)}")
        label = "evidence on" if evidence else "evidence off"
        print(f"{label}: warm-up {args.warmup}s, measuring {args.duration}s ...", flush=True)
        run_wrk(server.url, reqs["rest"]["env"], args.warmup, args.connections, args.threads)
        with PeakRSS(server.proc.pid) as peak:
            result = run_wrk(server.url, reqs["rest"]["env"], args.duration, args.connections, args.threads)
        result["peak_rss_mb"] = peak.peak
        print(f"  {result['rps']:,.1f} req/s, p99 {result['p99_ms']:.1f} ms, non-2xx {result['non2xx']}, peak RSS {peak.peak:.0f} MB", flush=True)
        if evidence:
            start = metrics(server)
            t0 = time.monotonic()
            current = start
            while current.get("missive_evidence_pending", 0) > 0 and time.monotonic() - t0 < args.drain_timeout:
                time.sleep(0.5)
                current = metrics(server)
            elapsed = time.monotonic() - t0
            issued = current.get("missive_evidence_records", 0) - start.get("missive_evidence_records", 0)
            result["backlog"] = start.get("missive_evidence_pending", 0)
            result["sealed_during_load"] = start.get("missive_evidence_records", 0) / (args.warmup + args.duration)
            result["drain_s"] = elapsed
            result["drained"] = current.get("missive_evidence_pending", 0) == 0
            result["seal_rate"] = issued / elapsed if elapsed > 0 else 0.0
            result["records"] = current.get("missive_evidence_records", 0)
            result["accepted"] = current.get("missive_envelopes_accepted_total", 0)
            print(f"  evidence backlog {result['backlog']} records worked off in {elapsed:.1f} s "
                  f"({result['seal_rate']:,.1f} records/s); {result['records']} records for {result['accepted']} envelopes", flush=True)
        return result
    finally:
        server.stop(timeout=60)


def report(args, runs: list[dict], info: dict) -> str:
    def med(values):
        return statistics.median(values) if values else float("nan")

    on = [r["on"] for r in runs]
    off = [r["off"] for r in runs]
    ratio = med([a["rps"] / b["rps"] for a, b in zip(on, off) if b["rps"]])
    seal_rate = med([r["seal_rate"] for r in on if r.get("seal_rate")])
    during = med([r["sealed_during_load"] for r in on if "sealed_during_load" in r])
    growth = med([r["backlog"] / (args.warmup + args.duration) for r in on if "backlog" in r])
    ms_record = 1000 / seal_rate if seal_rate else float("nan")
    on_rps = med([r["rps"] for r in on])
    lines = [
        f"# Evidence cost — {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, load before: {info.get('load', '?')}",
        f"- {args.repeats} repeats, each: a hub with evidence and one with `--no-evidence`, alternating order; "
        f"wrk {args.connections} connections, {args.warmup} s warm-up, {args.duration} s measured, REST ~100 KB PDF",
        "",
        "| what | median | baseline (same run) | ratio | target |",
        "|---|---|---|---|---|",
        f"| REST acceptance with evidence | {on_rps:,.1f} env/s (p99 {med([r['p99_ms'] for r in on]):.0f} ms) "
        f"| {med([r['rps'] for r in off]):,.1f} env/s without (p99 {med([r['p99_ms'] for r in off]):.0f} ms) | **{ratio:.2f}×** | ≥ 0.7× |",
        f"| sealing while accepting at full speed | {during:,.1f} records/s sealed; backlog grows {growth:,.1f}/s "
        f"| acceptance rate with evidence | **{during / on_rps:.2f}×** | ≥ 1× (no backlog growth) |",
        f"| sealing a backlog (no load) | {seal_rate:,.1f} records/s = {ms_record:.2f} ms per record (seal + time-stamp; "
        f"an acceptance record also seals its document) | acceptance rate with evidence | **{seal_rate / on_rps:.2f}×** | — |",
        "",
        "| repeat | order | on env/s | off env/s | on/off | backlog | worked off in | records/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(f"| {i} | {' → '.join(r['order'])} | {r['on']['rps']:,.1f} | {r['off']['rps']:,.1f} | "
                     f"{r['on']['rps'] / r['off']['rps']:.2f} | {r['on'].get('backlog', 0)} | {r['on'].get('drain_s', 0):.1f} s"
                     f"{'' if r['on'].get('drained', True) else ' (not drained)'} | {r['on'].get('seal_rate', 0):,.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--drain-timeout", type=float, default=600)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "evidence-latest.md")
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    root = (HERE / "results" / f"tmp-evidence-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}").resolve()
    root.mkdir(parents=True, exist_ok=True)
    info = machine_info(root)
    pdf = make_pdf("Missive evidence benchmark letter", pad_to=100 * 1024)
    runs = []
    try:
        for i in range(1, args.repeats + 1):
            order = ["on", "off"] if i % 2 else ["off", "on"]
            run = {"order": order}
            for mode in order:
                run[mode] = run_hub(args, root / f"run{i}-{mode}" / "data", pdf, evidence=mode == "on")
            runs.append(run)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    md = report(args, runs, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    on, off = [r["on"] for r in runs], [r["off"] for r in runs]
    on_rps = statistics.median(r["rps"] for r in on)
    write_summary("evidence", {
        "on_rps": on_rps, "off_rps": statistics.median(r["rps"] for r in off),
        "ratio": statistics.median(a["rps"] / b["rps"] for a, b in zip(on, off) if b["rps"]),
        "sealed_during_load_per_s": statistics.median(r["sealed_during_load"] for r in on),
        "seal_rate_per_s": statistics.median(r["seal_rate"] for r in on),
        "peak_rss_mb": max(r.get("peak_rss_mb", 0) for r in on + off),
    })
    print()
    print(md)
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
