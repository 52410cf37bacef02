#!/usr/bin/env python3
"""Watches the dispatcher under load (a diagnostic, not part of bench/run).

    python3 bench/dispatch_watch.py --bin .build/release/missive [--seconds 14] [-- --no-evidence]

Starts a sandbox hub on a fresh data dir, sends the ~100 KB REST letter to the digital
mailbox with wrk (32 connections) for --seconds, and every 2 s prints the due jobs by kind
and the envelopes by status, read from the SQLite file (read-only) — during the load and
for a few seconds after it. Shows where letters wait: routing, dispatch or sealing.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from bench import build_requests, rest_body, run_wrk
from missive_testkit import MissiveServer, make_pdf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=14)
    ap.add_argument("--after", type=int, default=6, help="seconds to keep watching after the load")
    ap.add_argument("server_args", nargs="*", help="extra `missive serve` options, after --")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="missive-watch-"))
    server = MissiveServer(work / "data", extra_args=["--rate-limit", "0", *args.server_args], binary=Path(args.bin).resolve(), name="watch").start()
    stop = threading.Event()
    try:
        pdf = make_pdf("Missive dispatch watch", pad_to=100 * 1024)
        reqs = build_requests(server, pdf, work)
        body = work / "body-epost.bin"
        body.write_bytes(rest_body(server.recipient("digital")["recipient"], pdf))
        env = dict(reqs["rest"]["env"], BENCH_BODY=str(body))

        def watch() -> None:
            db = sqlite3.connect(f"file:{work / 'data' / 'missive.sqlite'}?mode=ro", uri=True)
            t0 = time.monotonic()
            while not stop.is_set():
                jobs = dict(db.execute("SELECT kind, COUNT(*) FROM jobs WHERE run_at <= strftime('%s','now') + 1 GROUP BY kind").fetchall())
                statuses = dict(db.execute("SELECT status, COUNT(*) FROM envelopes GROUP BY status").fetchall())
                print(f"{time.monotonic() - t0:5.1f} s  due jobs {jobs}  envelopes {statuses}", flush=True)
                stop.wait(2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        result = run_wrk(server.url, env, args.seconds, 32, 2)
        print(f"load: {result['rps']:,.1f} req/s accepted, p99 {result['p99_ms']:.0f} ms", flush=True)
        time.sleep(args.after)
    finally:
        stop.set()
        server.stop(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
