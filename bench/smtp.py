#!/usr/bin/env python3
"""SMTP benchmark: Postfix's smtp-source sends the same message (a letter with a ~100 KB PDF
attachment) over the same number of sessions to three servers on this machine, in the same
run, and prints messages/s for each and the ratios:

  missive    `missive serve --sandbox` (release), the client network allowlisted for the demo
             organisation (smtp-source does no TLS/AUTH); each 250 means the envelope is
             committed with fsync (DESIGN "Accepted means durable")
  postfix    a private Postfix (scripts/postfix-relay) whose smtpd queues each message with
             fsync before 250, then delivers it to an smtp-sink in the background
  smtp-sink  Postfix's smtp-sink: accepts and discards, the ceiling of what the load
             generator can push on these cores

Repeats (default 3) rotate the order; medians are reported. Needs root (Postfix) and the
Debian package postfix (smtp-source, smtp-sink). Run through bench/run, or:

  python3 bench/smtp.py --bin .build/release/missive [--sessions 32] [--messages 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from missive_testkit import MissiveServer, make_pdf  # noqa: E402
sys.path.insert(0, str(HERE))
from bench import PeakRSS, write_summary  # noqa: E402

import requests  # noqa: E402

SINK_DOMAIN = "sink.bench.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def message_file(path: Path, pdf: bytes, sender: str, to: str) -> None:
    """A letter with the PDF attached, LF line ends (smtp-source sends CRLF), no Message-ID
    (so every copy is a new envelope, not an idempotent replay)."""
    import base64
    b64 = base64.b64encode(pdf).decode()
    lines = [f"From: Bench <{sender}>", f"To: <{to}>", "Subject: Benchmark letter", "MIME-Version: 1.0",
             'Content-Type: multipart/mixed; boundary="bench-boundary"', "", "--bench-boundary",
             "Content-Type: text/plain; charset=utf-8", "", "The letter is attached.", "--bench-boundary",
             'Content-Type: application/pdf; name="letter.pdf"', 'Content-Disposition: attachment; filename="letter.pdf"',
             "Content-Transfer-Encoding: base64", ""]
    lines += [b64[i:i + 76] for i in range(0, len(b64), 76)]
    lines += ["--bench-boundary--", ""]
    path.write_text("\n".join(lines))


def accepted_total(server: MissiveServer) -> int:
    text = requests.get(server.url + "/metrics", timeout=30).text
    return int(sum(float(m.group(1)) for m in re.finditer(r"^missive_envelopes_accepted_total(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$", text, re.M)))


def run_source(port: int, sender: str, to: str, msg: Path, sessions: int, messages: int) -> float:
    cmd = ["smtp-source", "-d", "-s", str(sessions), "-m", str(messages), "-F", str(msg), "-f", sender, "-t", to, f"127.0.0.1:{port}"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0 or proc.stderr.strip():
        raise SystemExit(f"smtp-source failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def wait_queue_empty(postfix_dir: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run([str(ROOT / "scripts" / "postfix-relay"), "queue", str(postfix_dir)], capture_output=True, text=True).stdout
        if "Mail queue is empty" in out or not out.strip():
            return
        time.sleep(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sessions", type=int, default=int(os.environ.get("BENCH_SMTP_SESSIONS", 32)))
    ap.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_SMTP_MESSAGES", 2000)))
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", 3)))
    ap.add_argument("--pdf-kb", type=int, default=100)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "smtp-latest.md")
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    for tool in ("smtp-source", "smtp-sink", "postfix"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run scripts/postfix-relay install (Debian package postfix)")

    work = Path(tempfile.mkdtemp(prefix="missive-smtp-bench-"))
    os.chmod(work, 0o755)  # the postfix user must traverse it
    pdf = make_pdf("Missive SMTP benchmark letter", pad_to=args.pdf_kb * 1024)
    processes: list[subprocess.Popen] = []
    postfix_dir = work / "postfix"
    server: MissiveServer | None = None
    try:
        # Missive: first start seeds the sandbox; the second allowlists 127.0.0.0/8.
        data = work / "missive"
        first = MissiveServer(data, extra_args=["--rate-limit", "0"], binary=Path(args.bin), name="smtp-bench-seed").start()
        organisation = first.sandbox["organisationId"]
        first.stop()
        config = work / "missive.json"
        config.write_text(json.dumps({"smtpAllowlist": [{"network": "127.0.0.0/8", "organisation": organisation, "mode": "test"}],
                                      "smtpMaxSessionsPerClient": args.sessions * 2}))
        server = MissiveServer(data, extra_args=["--rate-limit", "0", "--admission-backlog", "0", "--config", str(config)], binary=Path(args.bin), name="smtp-bench").start()
        sender = server.sandbox["smtpFrom"]
        missive_rcpt = f"physical@{server.sandbox['smtpDomain']}"

        sink_port = free_port()
        processes.append(subprocess.Popen(["smtp-sink", "-u", "root", f"127.0.0.1:{sink_port}", "1024"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        postfix_port = free_port()
        subprocess.run([str(ROOT / "scripts" / "postfix-relay"), "start", str(postfix_dir), "--sandbox", str(data), "--port", str(postfix_port),
                        "--route", f"{SINK_DOMAIN}=127.0.0.1:{sink_port}"], check=True, capture_output=True)
        time.sleep(1)

        msg = work / "letter.eml"
        message_file(msg, pdf, sender, missive_rcpt)
        targets = {
            "missive": (server.sandbox["smtpPort"], missive_rcpt),
            "postfix": (postfix_port, f"bench@{SINK_DOMAIN}"),
            "smtp-sink": (sink_port, f"bench@{SINK_DOMAIN}"),
        }
        # A smoke message each, so a broken setup stops here and not after minutes of load.
        for name, (port, to) in targets.items():
            run_source(port, sender, to, msg, 1, 1)
        results: dict[str, list[float]] = {name: [] for name in targets}
        peak_rss = 0.0
        checks: list[str] = []
        order = list(targets)
        for repeat in range(args.repeats):
            for name in order[repeat % len(order):] + order[:repeat % len(order)]:
                port, to = targets[name]
                before = accepted_total(server) if name == "missive" else 0
                if name == "missive":
                    with PeakRSS(server.proc.pid) as peak:
                        elapsed = run_source(port, sender, to, msg, args.sessions, args.messages)
                    peak_rss = max(peak_rss, peak.peak)
                else:
                    elapsed = run_source(port, sender, to, msg, args.sessions, args.messages)
                rate = args.messages / elapsed
                results[name].append(rate)
                print(f"repeat {repeat + 1}/{args.repeats}: {name}: {args.messages} messages in {elapsed:.1f} s = {rate:,.1f} msg/s", flush=True)
                if name == "missive":
                    after = accepted_total(server)
                    checks.append(f"repeat {repeat + 1}: smtp-source sent {args.messages}, Missive accepted {after - before} envelopes"
                                  + ("" if after - before == args.messages else " **MISMATCH**"))
                if name == "postfix":
                    wait_queue_empty(postfix_dir)
        med = {name: statistics.median(values) for name, values in results.items()}
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
        lines = [
            "# Missive SMTP benchmark",
            "",
            f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit `{commit}`; {cpu}, {os.cpu_count()} cores",
            f"- load: `smtp-source -d -s {args.sessions} -m {args.messages} -F letter.eml` (Postfix {subprocess.run(['postconf', '-d', 'mail_version'], capture_output=True, text=True).stdout.split('=')[-1].strip()}), "
            f"message {msg.stat().st_size:,} bytes (PDF {len(pdf):,} bytes, base64), {args.repeats} repeats, order rotated; medians",
            "",
            "| server | msg/s (median) | per repeat | Missive ÷ this |",
            "|---|---:|---|---:|",
        ]
        for name in targets:
            lines.append(f"| {name} | {med[name]:,.1f} | {', '.join(f'{v:,.0f}' for v in results[name])} | {med['missive'] / med[name]:.2f} |")
        lines += ["", f"Missive's peak RSS under this load: {peak_rss:.0f} MB.", "",
                  "Accepted-count check (Missive's `missive_envelopes_accepted_total`):", ""] + [f"- {c}" for c in checks] + [""]
        write_summary("smtp", {"msg_per_s": med, "vs_postfix": med["missive"] / med["postfix"], "vs_sink": med["missive"] / med["smtp-sink"],
                               "peak_rss_mb": peak_rss, "checks_ok": all("MISMATCH" not in c for c in checks)})
        report = "\n".join(lines)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
        print()
        print(report)
        print(f"(written to {args.out})")
    finally:
        if server is not None:
            server.stop(timeout=60)
        subprocess.run([str(ROOT / "scripts" / "postfix-relay"), "stop", str(postfix_dir)], capture_output=True)
        for process in processes:
            process.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
