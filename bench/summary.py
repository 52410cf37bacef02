#!/usr/bin/env python3
"""The one table of the "Prove it" issue, from the figures the benchmark parts wrote to
bench/results/*.json (bench/run calls this last; alone: python3 bench/summary.py).

Each row: what was measured, the baseline measured in the same run, the ratio, the target,
and whether it is met. A part that did not run shows "not measured". Written to
bench/results/summary.md. Reported, never asserted.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**missed**")


def main() -> None:
    http, smtp, evidence, pipeline, memory = (load(n) for n in ("http", "smtp", "evidence", "pipeline", "memory"))
    rows: list[tuple[str, str, str, str, str, str]] = []
    peaks: list[tuple[str, float]] = []
    if http:
        rest, noop = http["rest_rps"], http["noop_rps"]
        rows.append(("REST `POST /v1/envelopes`, 32 clients", f"{rest:,.0f} env/s, p99 {http['rest_p99_ms']:.0f} ms",
                     f"no-op POST, same body: {noop:,.0f} req/s", f"{http['rest_vs_noop']:.2f}×",
                     "≥ 2,000/s and ≥ 0.5×; p99 ≤ 50 ms",
                     verdict(rest >= 2000 and http["rest_vs_noop"] >= 0.5 and http["rest_p99_ms"] <= 50)))
        for kind, label in (("soap_inline", "SOAP `SubmitLetter` inline (base64)"), ("soap_mtom", "SOAP `SubmitLetter` MTOM/XOP")):
            ratio = http[f"{kind}_vs_rest"]
            rows.append((label, f"{http[f'{kind}_rps']:,.0f} env/s", f"REST {rest:,.0f} env/s", f"{ratio:.2f}×", "≥ 0.8× REST", verdict(ratio >= 0.8)))
        disk = http.get("disk", {})
        if disk:
            group = disk.get("append_fdatasync_per_32", 0)
            rows.append(("disk ceiling (100 KB documents)", f"{group:,.0f} docs/s with one fdatasync per 32; "
                         f"{disk.get('file_fsync_each', 0):,.0f}/s with one fsync each", f"REST {rest:,.0f} env/s",
                         f"REST = {rest / group:.2f}× of it" if group else "?", "(printed beside REST)", ""))
        peaks += [(f"HTTP {kind}", http.get(f"{kind}_peak_rss_mb", 0)) for kind in ("noop", "rest", "soap_inline", "soap_mtom")]
    else:
        rows.append(("REST / SOAP", "", "", "", "", verdict(None)))
    if smtp:
        rate = smtp["msg_per_s"]
        rows.append(("SMTP via `smtp-source`, vs Postfix smtpd", f"{rate['missive']:,.0f} msg/s", f"Postfix {rate['postfix']:,.0f} msg/s",
                     f"{smtp['vs_postfix']:.2f}×", "≥ 3× Postfix", verdict(smtp["vs_postfix"] >= 3)))
        rows.append(("SMTP via `smtp-source`, vs smtp-sink", f"{rate['missive']:,.0f} msg/s", f"smtp-sink {rate['smtp-sink']:,.0f} msg/s",
                     f"{smtp['vs_sink']:.2f}×", "≥ 0.6× smtp-sink", verdict(smtp["vs_sink"] >= 0.6)))
        peaks.append(("SMTP", smtp.get("peak_rss_mb", 0)))
    else:
        rows.append(("SMTP", "", "", "", "", verdict(None)))
    e2e = (pipeline or {}).get("e2e")
    if e2e:
        bounded = e2e.get("bounded", e2e["backlog_growth_per_s"] <= 0)
        rows.append(("end to end to `delivered` (ePost), sustained", f"{e2e['delivered_per_s']:,.0f} letters/s delivered; backlog {e2e['backlog_growth_per_s']:+,.0f}/s, "
                     f"at most {e2e.get('backlog_max', 0):,} (bound {e2e.get('admission_limit', 0):,})",
                     f"acceptance {e2e['accepted_per_s']:,.0f} env/s", f"{e2e['ratio']:.2f}×", "≥ 0.9×, no backlog growth",
                     verdict(e2e["ratio"] >= 0.9 and bounded)))
        peaks.append(("end to end (ePost)", e2e.get("peak_rss_mb", 0)))
    else:
        rows.append(("end to end to `delivered` (ePost)", "", "", "", "", verdict(None)))
    if evidence:
        rows.append(("evidence on (seal + time-stamp)", f"{evidence['on_rps']:,.0f} env/s", f"evidence off {evidence['off_rps']:,.0f} env/s",
                     f"{evidence['ratio']:.2f}×", "≥ 0.7×", verdict(evidence["ratio"] >= 0.7)))
        rows.append(("sealing at full acceptance load", f"{evidence['sealed_during_load_per_s']:,.0f} records/s", f"acceptance {evidence['on_rps']:,.0f} env/s",
                     f"{evidence['sealed_during_load_per_s'] / evidence['on_rps']:.2f}×", "(keeps pace: ≥ 1×)",
                     verdict(evidence["sealed_during_load_per_s"] >= evidence["on_rps"])))
        peaks.append(("evidence", evidence.get("peak_rss_mb", 0)))
    else:
        rows.append(("evidence on", "", "", "", "", verdict(None)))
    store = (pipeline or {}).get("store")
    if store:
        rows.append((f"store grown to {store['envelopes']:,} envelopes", f"{store['big_rps']:,.0f} env/s", f"empty store {store['empty_rps']:,.0f} env/s",
                     f"{store['ratio']:.2f}×", "≥ 0.8×", verdict(store["ratio"] >= 0.8)))
        peaks.append(("store grown", store.get("peak_rss_mb", 0)))
    else:
        rows.append(("store grown to 1 M envelopes", "", "", "", "", verdict(None)))
    if peaks:
        worst = max(peaks, key=lambda p: p[1])
        rows.append(("peak RSS under each load above", ", ".join(f"{name} {mb:.0f} MB" for name, mb in peaks), "—",
                     f"max {worst[1]:.0f} MB ({worst[0]})", "≤ 256 MB", verdict(worst[1] <= 256)))
    if memory:
        deltas = {k: v for k, v in memory.items() if isinstance(v, dict)}
        worst = max(deltas.items(), key=lambda kv: kv[1]["delta_mb"])
        rows.append((f"one {memory.get('document_bytes', 0) / 1024 / 1024:.0f} MiB document on each ingress", ", ".join(f"{k} +{v['delta_mb']:.0f} MB" for k, v in deltas.items()),
                     ", ".join(f"{k} idle {v['idle_mb']:.0f} MB" for k, v in deltas.items()), f"max +{worst[1]['delta_mb']:.0f} MB ({worst[0]})",
                     "≤ +64 MB", verdict(worst[1]["delta_mb"] <= 64 and all(v["answer"] in ("200", "202", "250") for v in deltas.values()))))
    else:
        rows.append(("one 25 MB document on each ingress", "", "", "", "", verdict(None)))

    when = {n: (d or {}).get("measured_at", "-") for n, d in (("http", http), ("smtp", smtp), ("evidence", evidence), ("pipeline", pipeline), ("memory", memory))}
    lines = ["# Missive benchmark summary", "",
             "Measured at: " + ", ".join(f"{n} {t}" for n, t in when.items()), "",
             "| what | measured | baseline in the same run | ratio | target | verdict |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    md = "\n".join(lines) + "\n"
    (RESULTS / "summary.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
