#!/usr/bin/env python3
"""Missive submission benchmark (run it through bench/run, which builds the release binary).

For each of N repeats (default 3), on a fresh data dir:
  1. start `missive serve --sandbox --data-dir <dir> --http-port 0 --rate-limit 0`
  2. baseline:  wrk POST /v1/sandbox/noop  (same body and headers; the server reads and
                discards the body and answers 202) - 5 s warm-up, then 20 s measured
  3. measured:  wrk POST /v1/envelopes     (multipart: envelope JSON + ~100 KB PDF to the
                sandbox's physical recipient) - 5 s warm-up, then 20 s measured
  4. cross-check how many envelopes the server really accepted (/metrics counter
     `missive_envelopes_accepted_total`, else by listing GET /v1/envelopes) against the
     2xx answers wrk saw
  5. stop the server (SIGTERM), delete the data dir
Plus, in the same directory, the disk's fsync ceiling for 100 KB documents.

Prints a Markdown report (medians over the repeats) and writes it to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from missive_testkit import MissiveServer, make_pdf  # noqa: E402

import requests  # noqa: E402


# --------------------------------------------------------------------------------------
# fsync ceiling
# --------------------------------------------------------------------------------------

def fsync_probe(directory: Path, size: int = 100 * 1024, seconds: float = 3.0, batch: int = 32) -> dict:
    """How many 100 KB documents per second the disk under `directory` can make durable:
    (a) one file + fsync per document; (b) 32 documents appended to one file + one
    fdatasync per batch (what a group commit does); (c) 32 files + one syncfs per batch."""
    probe = directory / "fsync-probe"
    probe.mkdir(parents=True, exist_ok=True)
    payload = os.urandom(size)
    results = {}

    # (a) file per document, fsync each (plus the directory every time, as a new file needs)
    n, t0 = 0, time.monotonic()
    dfd = os.open(probe, os.O_RDONLY)
    while time.monotonic() - t0 < seconds:
        fd = os.open(probe / f"a{n}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, payload)
        os.fsync(fd)
        os.close(fd)
        os.fsync(dfd)
        n += 1
    results["file_fsync_each"] = n / (time.monotonic() - t0)

    # (b) append to one file, one fdatasync per batch of 32
    n, t0 = 0, time.monotonic()
    fd = os.open(probe / "wal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    while time.monotonic() - t0 < seconds:
        for _ in range(batch):
            os.write(fd, payload)
        os.fdatasync(fd)
        n += batch
    os.close(fd)
    results["append_fdatasync_per_32"] = n / (time.monotonic() - t0)

    # (c) 32 new files, one syncfs per batch (Linux), else sync()
    libc = ctypes.CDLL(None, use_errno=True)
    syncfs = getattr(libc, "syncfs", None)
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        for _ in range(batch):
            fd = os.open(probe / f"c{n}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, payload)
            os.close(fd)
            n += 1
        if syncfs is not None:
            syncfs(dfd)
        else:
            os.sync()
    results["files_syncfs_per_32"] = n / (time.monotonic() - t0)
    os.close(dfd)

    # tiny commit record, fdatasync each (a WAL commit without the document)
    n, t0 = 0, time.monotonic()
    fd = os.open(probe / "commits", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    while time.monotonic() - t0 < seconds:
        os.write(fd, b"x" * 4096)
        os.fdatasync(fd)
        n += 1
    os.close(fd)
    results["commit_4k_fdatasync_each"] = n / (time.monotonic() - t0)

    shutil.rmtree(probe, ignore_errors=True)
    return results


# --------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------

def run_wrk(url: str, path: str, env: dict, seconds: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s",
           "-s", str(HERE / "submit.lua"), url + path]
    proc = subprocess.run(cmd, env={**os.environ, **env, "BENCH_PATH": path}, capture_output=True, text=True,
                          timeout=seconds + 120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line[len("BENCH_RESULT "):])
    statuses: dict[str, int] = {}
    for per_thread in result.pop("non2xx_by_thread"):
        for code, count in per_thread.items():
            statuses[code] = statuses.get(code, 0) + count
    result["non2xx_statuses"] = statuses
    return result


def accepted_count(server: MissiveServer) -> tuple[int | None, str]:
    """Envelopes the server accepted: the metrics counter if exported, else by listing."""
    try:
        text = requests.get(server.url + "/metrics", timeout=30).text
        values = [float(m.group(1)) for m in re.finditer(r"^missive_envelopes_accepted_total(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$", text, re.M)]
        if values:
            return int(sum(values)), "metrics missive_envelopes_accepted_total"
    except requests.RequestException:
        pass
    try:
        n, params = 0, {"limit": 200}
        while True:
            r = requests.get(server.url + "/v1/envelopes", params=params, headers=server.headers(), timeout=60)
            r.raise_for_status()
            page = r.json()
            n += len(page["items"])
            if not page.get("nextCursor") or not page["items"]:
                return n, "GET /v1/envelopes (listed)"
            params["cursor"] = page["nextCursor"]
    except requests.RequestException as exc:
        return None, f"unavailable ({exc})"


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------

def machine_info(data_root: Path) -> dict:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fs = subprocess.run(["df", "-hT", str(data_root)], capture_output=True, text=True).stdout.strip().splitlines()[-1:]
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "filesystem": " ".join(fs[0].split()[:2]) if fs else "?",
            "commit": commit or "?", "wrk": _wrk_version()}


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"wrk\s+(\S+)", out)
    return f"wrk {m.group(1)}" if m else "wrk"


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def report(args, runs: list[dict], fsync: dict, info: dict, pdf_size: int) -> str:
    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in runs)

    base_rps = med("noop", "rps")
    lines = [
        "# Missive benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit `{info['commit']}`",
        f"- machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, data dir on {info['filesystem']}",
        f"- load: {info['wrk']}; {args.connections} connections, {args.threads} threads, {args.warmup} s warm-up + "
        f"{args.duration} s measured, {args.repeats} repeats (fresh server and data dir each); medians below",
        f"- request: multipart `envelope` JSON (physical sandbox recipient) + `document` PDF of {pdf_size:,} bytes",
        f"- server: `missive serve --sandbox --rate-limit 0` ({args.bin})",
        "",
        "| what | req/s | p50 ms | p99 ms | non-2xx | ratio vs baseline |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, label in (("noop", "baseline `POST /v1/sandbox/noop`"), ("envelopes", "`POST /v1/envelopes`")):
        rps = med(kind, "rps")
        lines.append(f"| {label} | {fmt(rps)} | {fmt(med(kind, 'p50_ms'), 2)} | {fmt(med(kind, 'p99_ms'), 2)} | "
                     f"{sum(r[kind]['non2xx'] for r in runs)} | {rps / base_rps:.2f} |")
    lines += ["", "Per run:", "", "| run | what | req/s | p50 ms | p99 ms | 2xx | non-2xx (by status) | socket errors |", "|---|---|---:|---:|---:|---:|---|---|"]
    for i, r in enumerate(runs, 1):
        for kind in ("noop", "envelopes"):
            x = r[kind]
            errs = ", ".join(f"{k} {v}" for k, v in x["socket_errors"].items() if v) or "-"
            lines.append(f"| {i} | {kind} | {fmt(x['rps'])} | {fmt(x['p50_ms'], 2)} | {fmt(x['p99_ms'], 2)} | {x['ok']} | "
                         f"{x['non2xx']} {json.dumps(x['non2xx_statuses']) if x['non2xx'] else ''} | {errs} |")
    lines += ["", "Accepted envelopes cross-check (server count vs 2xx seen by wrk, warm-up included):", ""]
    for i, r in enumerate(runs, 1):
        c = r["check"]
        # wrk stops with up to `connections` requests in flight per run (warm-up + measured);
        # the server may have accepted those without wrk reading the answer.
        slack = 2 * args.connections
        if c["server"] is None:
            verdict = "not checked"
        elif c["server"] < c["wrk_2xx"]:
            verdict = "**LOST ACKNOWLEDGED ENVELOPES**"
        elif c["server"] - c["wrk_2xx"] <= slack:
            verdict = f"ok (+{c['server'] - c['wrk_2xx']} answered after wrk stopped, <= {slack})"
        else:
            verdict = "**MISMATCH**"
        lines.append(f"- run {i}: server {c['server']} ({c['source']}), wrk 2xx {c['wrk_2xx']} -> {verdict}; "
                     f"server exit after SIGTERM: {r['exit']}")
    lines += [
        "",
        "Disk durability ceiling (same filesystem as the data dir, 100 KB documents, 3 s each):",
        "",
        "| pattern | documents/s |",
        "|---|---:|",
        f"| new file + fsync(file) + fsync(dir) per document | {fmt(fsync['file_fsync_each'])} |",
        f"| append to one file, one fdatasync per 32 documents (group commit) | {fmt(fsync['append_fdatasync_per_32'])} |",
        f"| 32 new files, one syncfs per batch | {fmt(fsync['files_syncfs_per_32'])} |",
        f"| 4 KB commit record + fdatasync (commits/s, no document) | {fmt(fsync['commit_4k_fdatasync_each'])} |",
        "",
        f"`POST /v1/envelopes` median {fmt(med('envelopes', 'rps'))} req/s = "
        f"{med('envelopes', 'rps') / fsync['file_fsync_each']:.2f}x the one-fsync-per-document ceiling.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="missive binary (release)")
    ap.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 20)))
    ap.add_argument("--warmup", type=int, default=int(os.environ.get("BENCH_WARMUP", 5)))
    ap.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 32)))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", 3)))
    ap.add_argument("--pdf-kb", type=int, default=100)
    ap.add_argument("--data-root", type=Path, default=None,
                    help="where data dirs go (default bench/results/tmp-*; keep it on the disk you want to measure, not tmpfs)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    ap.add_argument("--keep", action="store_true", help="keep data dirs and server logs")
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or run scripts/test once to install the peers)")
    args.bin = str(Path(args.bin).resolve())
    data_root = (args.data_root or HERE / "results" / f"tmp-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}").resolve()
    data_root.mkdir(parents=True, exist_ok=True)
    info = machine_info(data_root)

    pdf_path = data_root / "letter.pdf"
    pdf = make_pdf("Missive benchmark letter", pad_to=args.pdf_kb * 1024)
    pdf_path.write_bytes(pdf)

    print(f"fsync probe in {data_root} ...", flush=True)
    fsync = fsync_probe(data_root)
    print("  " + ", ".join(f"{k} {v:,.0f}/s" for k, v in fsync.items()), flush=True)

    runs = []
    for i in range(1, args.repeats + 1):
        server = MissiveServer(data_root / f"run{i}", extra_args=["--rate-limit", "0"], binary=Path(args.bin), name="bench")
        server.start()
        env = {"BENCH_PDF": str(pdf_path), "BENCH_API_KEY": server.api_key,
               "BENCH_RECIPIENT": json.dumps(server.recipient("physical")["recipient"])}
        try:
            result = {}
            wrk_2xx = 0
            for kind, path in (("noop", "/v1/sandbox/noop"), ("envelopes", "/v1/envelopes")):
                print(f"run {i}/{args.repeats}: {path} warm-up {args.warmup}s ...", flush=True)
                warm = run_wrk(server.url, path, env, args.warmup, args.connections, args.threads)
                print(f"run {i}/{args.repeats}: {path} measuring {args.duration}s ...", flush=True)
                result[kind] = run_wrk(server.url, path, env, args.duration, args.connections, args.threads)
                x = result[kind]
                print(f"  {x['rps']:,.1f} req/s, p50 {x['p50_ms']:.2f} ms, p99 {x['p99_ms']:.2f} ms, "
                      f"2xx {x['ok']}, non-2xx {x['non2xx']} {x['non2xx_statuses'] or ''}", flush=True)
                if kind == "envelopes":
                    wrk_2xx = warm["ok"] + x["ok"]
            count, source = accepted_count(server)
            result["check"] = {"server": count, "source": source, "wrk_2xx": wrk_2xx}
        finally:
            result["exit"] = server.stop(timeout=60)
        runs.append(result)
        if not args.keep:
            shutil.rmtree(server.data_dir, ignore_errors=True)

    md = report(args, runs, fsync, info, len(pdf))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    if not args.keep:
        shutil.rmtree(data_root, ignore_errors=True)
    print()
    print(md)
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
