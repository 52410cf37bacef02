#!/usr/bin/env python3
"""Missive submission benchmark (run it through bench/run, which builds the release binary).

For each of N repeats (default 3), on a fresh data dir:
  1. start `missive serve --sandbox --data-dir <dir> --http-port 0 --rate-limit 0 --admission-backlog 0`
  2. smoke test: one request of every kind below, checked by hand (REST 202 with an id,
     SOAP 200 with a SubmitLetterResponse whose envelope shows ingress soap over REST)
  3. baseline:    wrk POST /v1/sandbox/noop  (the REST body and headers; the server reads
                  and discards the body and answers 202)
  4. REST:        wrk POST /v1/envelopes     (multipart: envelope JSON + ~100 KB PDF to the
                  sandbox's physical recipient)
     SOAP inline: wrk POST /soap             (SOAP 1.1 SubmitLetter, same recipient, the PDF
                  base64 in <m:content>, HTTP Basic organisation id / API key)
     SOAP MTOM:   wrk POST /soap             (the same envelope as an MTOM/XOP package, the
                  PDF as a binary MIME part referenced by xop:Include)
     each 5 s warm-up, then 20 s measured. Before each kind the bench waits until the
     dispatcher has worked off the previous kind's letters (/metrics `missive_jobs_pending`
     is 0, at most --drain-timeout s), so no kind competes with another's backlog; and the
     three submission kinds run in a rotated order (repeat 1: REST, inline, MTOM; repeat 2:
     inline, MTOM, REST; ...) so that none always meets the largest database
  5. cross-check, per kind, how many envelopes the server really accepted (/metrics counter
     `missive_envelopes_accepted_total` before and after the kind, else by listing
     GET /v1/envelopes) against the 2xx answers wrk saw, and the total at the end
  6. stop the server (SIGTERM), delete the data dir
Plus, in the same directory, the disk's fsync ceiling for 100 KB documents.

Prints a Markdown report (medians over the repeats; SOAP as a ratio of the REST figure of
the same repeat) and writes it to bench/results/latest.md. Timings are reported, never
asserted.
"""

from __future__ import annotations

import argparse
import base64
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
from xml.sax.saxutils import escape as xml_escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from missive_testkit import MissiveServer, make_pdf  # noqa: E402

import requests  # noqa: E402


# --------------------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------------------

def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A /proc/PID/status memory field in MiB (VmRSS now, VmHWM the peak so far)."""
    match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(match.group(1)) / 1024 if match else float("nan")


class PeakRSS:
    """Samples a process's resident set every 50 ms while in the `with` block and keeps the
    largest value (VmHWM cannot be reset between loads without privileges on every kernel)."""

    def __init__(self, pid: int, interval: float = 0.05):
        import threading
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except (OSError, ValueError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


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
# request bodies
# --------------------------------------------------------------------------------------

REST_BOUNDARY = "----missive-bench-5f2c9a7e1d"
MTOM_BOUNDARY = "----missive-bench-mtom-8b3d4f61a2"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ACTION = '"urn:missive:soap:v1#SubmitLetter"'
XOP_INCLUDE = '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc-1@missive"/>'

# Measured kinds: (key, label, path). `noop` is the baseline, the others submit letters.
KINDS = [
    ("noop", "baseline `POST /v1/sandbox/noop` (REST body)", "/v1/sandbox/noop"),
    ("rest", "REST `POST /v1/envelopes` (multipart)", "/v1/envelopes"),
    ("soap_inline", "SOAP `SubmitLetter`, PDF inline (base64)", "/soap"),
    ("soap_mtom", "SOAP `SubmitLetter`, PDF as MTOM/XOP", "/soap"),
]
SUBMISSIONS = ["rest", "soap_inline", "soap_mtom"]
LABEL = {k: label for k, label, _ in KINDS}
PATH = {k: path for k, _, path in KINDS}


def rest_body(recipient: dict, pdf: bytes) -> bytes:
    """multipart/form-data: `envelope` JSON part + `document` PDF part (fixed boundary)."""
    return b"".join([
        f"--{REST_BOUNDARY}\r\n".encode(),
        b'Content-Disposition: form-data; name="envelope"\r\n',
        b"Content-Type: application/json\r\n\r\n",
        b'{"recipient":' + json.dumps(recipient).encode() + b"}\r\n",
        f"--{REST_BOUNDARY}\r\n".encode(),
        b'Content-Disposition: form-data; name="document"; filename="letter.pdf"\r\n',
        b"Content-Type: application/pdf\r\n\r\n",
        pdf, b"\r\n",
        f"--{REST_BOUNDARY}--\r\n".encode(),
    ])


def soap_postal(postal: dict) -> str:
    """<m:postal> in the schema's element order (wsdl/missive.xsd, PostalAddress)."""
    order = ["name", "addressLine2", "street", "houseNumber", "postcode", "town", "country"]
    unknown = set(postal) - set(order)
    if unknown:
        raise SystemExit(f"bench: the sandbox's physical recipient has postal fields the SOAP body does not map: {sorted(unknown)}")
    fields = "".join(f"<m:{k}>{xml_escape(str(postal[k]))}</m:{k}>" for k in order if postal.get(k) not in (None, ""))
    return f"<m:postal>{fields}</m:postal>"


def soap_envelope(recipient: dict, content: str) -> str:
    """SOAP 1.1 SubmitLetter with the given <m:content> payload (base64 text or xop:Include)."""
    unknown = set(recipient) - {"postal"}
    if unknown or "postal" not in recipient:
        raise SystemExit(f"bench: expected a postal-only physical recipient, got fields {sorted(recipient)}")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<s:Envelope xmlns:s="{SOAP11_NS}" xmlns:m="urn:missive:soap:v1"><s:Body><m:SubmitLetter>'
            f'<m:envelope><m:recipient>{soap_postal(recipient["postal"])}</m:recipient></m:envelope>'
            f'<m:document><m:filename>letter.pdf</m:filename><m:content>{content}</m:content></m:document>'
            '</m:SubmitLetter></s:Body></s:Envelope>')


def mtom_body(recipient: dict, pdf: bytes) -> bytes:
    """multipart/related MTOM/XOP package: the envelope (root part), then the PDF as binary."""
    return b"".join([
        f"--{MTOM_BOUNDARY}\r\n".encode(),
        b'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n',
        b"Content-Transfer-Encoding: 8bit\r\n",
        b"Content-ID: <root@missive>\r\n\r\n",
        soap_envelope(recipient, XOP_INCLUDE).encode(), b"\r\n",
        f"--{MTOM_BOUNDARY}\r\n".encode(),
        b"Content-Type: application/pdf\r\n",
        b"Content-Transfer-Encoding: binary\r\n",
        b"Content-ID: <doc-1@missive>\r\n\r\n",
        pdf, b"\r\n",
        f"--{MTOM_BOUNDARY}--\r\n".encode(),
    ])


def build_requests(server: MissiveServer, pdf: bytes, directory: Path) -> dict:
    """Per kind: the body file plus the headers wrk sends (see submit.lua)."""
    recipient = server.recipient("physical")["recipient"]
    bearer = f"Bearer {server.api_key}"
    basic = "Basic " + base64.b64encode(f"{server.sandbox['organisationId']}:{server.api_key}".encode()).decode()
    rest = rest_body(recipient, pdf)
    bodies = {
        "noop": (rest, f"multipart/form-data; boundary={REST_BOUNDARY}", bearer, ""),
        "rest": (rest, f"multipart/form-data; boundary={REST_BOUNDARY}", bearer, ""),
        "soap_inline": (soap_envelope(recipient, base64.b64encode(pdf).decode("ascii")).encode(),
                        "text/xml; charset=utf-8", basic, SOAP_ACTION),
        "soap_mtom": (mtom_body(recipient, pdf),
                      f'multipart/related; type="application/xop+xml"; start="<root@missive>"; '
                      f'start-info="text/xml"; boundary="{MTOM_BOUNDARY}"', basic, SOAP_ACTION),
    }
    out = {}
    for kind, (body, ctype, auth, action) in bodies.items():
        path = directory / f"body-{kind}.bin"
        path.write_bytes(body)
        out[kind] = {"file": path, "size": len(body), "headers": {"Content-Type": ctype, "Authorization": auth, **({"SOAPAction": action} if action else {})},
                     "env": {"BENCH_BODY": str(path), "BENCH_CONTENT_TYPE": ctype, "BENCH_AUTHORIZATION": auth,
                             "BENCH_SOAP_ACTION": action, "BENCH_PATH": PATH[kind]}}
    return out


def smoke_test(server: MissiveServer, reqs: dict) -> None:
    """One request of every kind with the exact bytes and headers wrk will send; a wrong
    body must stop the benchmark here, not show up as 20 s of fast faults."""
    for kind, req in reqs.items():
        r = requests.post(server.url + PATH[kind], data=req["file"].read_bytes(), headers=req["headers"], timeout=60)
        ctx = f"smoke test {kind}: POST {PATH[kind]} -> {r.status_code} {r.text[:800]!r}"
        if kind == "noop":
            ok = r.status_code == 202
        elif kind == "rest":
            ok = r.status_code == 202 and str(r.json().get("id", "")).startswith("env_")
        else:
            m = re.search(rb"<(?:\w+:)?envelopeId>([^<]+)</", r.content)
            ok = r.status_code == 200 and b"SubmitLetterResponse" in r.content and m is not None
            if ok:
                env = requests.get(f"{server.url}/v1/envelopes/{m.group(1).decode()}", headers=server.headers(), timeout=30)
                ok = env.status_code == 200 and env.json().get("ingress") == "soap"
                ctx += f"; GET envelope -> {env.status_code} {env.text[:300]!r}"
        if not ok:
            raise SystemExit(f"bench: {ctx}\n{server.log_tail(40)}")


# --------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------

def run_wrk(url: str, env: dict, seconds: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s",
           "-s", str(HERE / "submit.lua"), url + env["BENCH_PATH"]]
    proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 120)
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


def scrape(server: MissiveServer) -> dict:
    """The /metrics values bench.py uses (missing ones are absent)."""
    try:
        text = requests.get(server.url + "/metrics", timeout=30).text
    except requests.RequestException:
        return {}
    out = {}
    for name in ("missive_envelopes_accepted_total", "missive_jobs_pending"):
        values = [float(m.group(1)) for m in re.finditer(rf"^{name}(?:\{{[^}}]*\}})?\s+([0-9.eE+]+)\s*$", text, re.M)]
        if values:
            out[name] = int(sum(values))
    return out


def accepted_count(server: MissiveServer) -> tuple[int | None, str]:
    """Envelopes the server accepted: the metrics counter if exported, else by listing."""
    value = scrape(server).get("missive_envelopes_accepted_total")
    if value is not None:
        return value, "metrics"
    try:
        n, params = 0, {"limit": 200}
        while True:
            r = requests.get(server.url + "/v1/envelopes", params=params, headers=server.headers(), timeout=60)
            r.raise_for_status()
            page = r.json()
            n += len(page["items"])
            if not page.get("nextCursor") or not page["items"]:
                return n, "listing"
            params["cursor"] = page["nextCursor"]
    except requests.RequestException as exc:
        return None, f"unavailable ({exc})"


def settled_count(server: MissiveServer, timeout: float = 15.0) -> tuple[int | None, str]:
    """The accepted count once requests still in flight after wrk stopped have finished
    (two equal readings 0.5 s apart), so that they are attributed to the right kind."""
    count, source = accepted_count(server)
    deadline = time.monotonic() + timeout
    while count is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        again, source = accepted_count(server)
        if again == count:
            break
        count = again
    return count, source


def drain(server: MissiveServer, timeout: float) -> tuple[int | None, float]:
    """Wait until the dispatcher has worked off the jobs (route, print, post) of the letters
    accepted so far, so that every kind starts from an idle server instead of competing with
    the previous kind's backlog. Returns (jobs still pending, seconds waited)."""
    t0 = time.monotonic()
    pending = scrape(server).get("missive_jobs_pending")
    while pending and time.monotonic() - t0 < timeout:
        time.sleep(1.0)
        pending = scrape(server).get("missive_jobs_pending")
    return pending, time.monotonic() - t0


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
            "commit": commit or "?", "wrk": _wrk_version(), "load": _loadavg()}


def _loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"wrk\s+(\S+)", out)
    return f"wrk {m.group(1)}" if m else "wrk"


def write_summary(name: str, figures: dict) -> None:
    """The figures bench/summary.py puts in the one table (bench/results/<name>.json)."""
    out = HERE / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **figures}, indent=2, default=str))


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def report(args, runs: list[dict], fsync: dict, info: dict, pdf_size: int, sizes: dict) -> str:
    def med(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] for r in runs)

    def med_ratio(kind: str, against: str) -> float:
        # per repeat (same server, same minutes), then the median over the repeats
        return statistics.median(r[kind]["rps"] / r[against]["rps"] for r in runs)

    lines = [
        "# Missive benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit `{info['commit']}`",
        f"- machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, data dir on {info['filesystem']}; "
        f"load average before the run {info['load']}, after {_loadavg()}",
        f"- load: {info['wrk']}; {args.connections} connections, {args.threads} threads, {args.warmup} s warm-up + "
        f"{args.duration} s measured per kind, {args.repeats} repeat(s) (fresh server and data dir each); medians below",
        f"- requests: a PDF of {pdf_size:,} bytes to the physical sandbox recipient; bodies: REST multipart "
        f"{sizes['rest']:,} B, SOAP 1.1 inline base64 {sizes['soap_inline']:,} B, SOAP MTOM/XOP {sizes['soap_mtom']:,} B "
        f"(REST: Bearer API key; SOAP: HTTP Basic organisation id / API key)",
        f"- order per repeat: noop, then the submissions rotated "
        f"({'; '.join(', '.join(r['order']) for r in runs)}); before each kind the bench waits (up to {args.drain_timeout:.0f} s) "
        f"until the dispatcher has no jobs pending, so each kind starts on an idle server and pays only for its own dispatch work",
        f"- server: `missive serve --sandbox --rate-limit 0 --admission-backlog 0` ({args.bin})",
        "",
        "| what | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB | ratio REST vs noop | ratio vs REST |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, label, _ in KINDS:
        vs_noop = f"{med_ratio(kind, 'noop'):.2f}" if kind == "rest" else ""
        vs_rest = f"**{med_ratio(kind, 'rest'):.2f}**" if kind.startswith("soap") else ("1.00" if kind == "rest" else "")
        peak = max(r[kind].get("peak_rss_mb", 0) for r in runs)
        lines.append(f"| {label} | {fmt(med(kind, 'rps'))} | {fmt(med(kind, 'p50_ms'), 2)} | {fmt(med(kind, 'p99_ms'), 2)} | "
                     f"{sum(r[kind]['non2xx'] for r in runs)} | {peak:.0f} | {vs_noop} | {vs_rest} |")
    lines += [
        "",
        "Ratios are medians of the per-repeat ratios (each SOAP figure divided by the REST figure of the same repeat, "
        "REST by the baseline of the same repeat); non-2xx is the sum over all repeats. "
        f"Target of the issue: SOAP ≥ 0.8× REST - inline {med_ratio('soap_inline', 'rest'):.2f}×, "
        f"MTOM {med_ratio('soap_mtom', 'rest'):.2f}× (reported, not asserted).",
        "",
        "Per run:",
        "",
        "| run | what | req/s | p50 ms | p99 ms | 2xx | non-2xx (by status) | socket errors | drain wait s | jobs pending at start | ratio vs REST |",
        "|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    for i, r in enumerate(runs, 1):
        for kind in ["noop"] + r["order"]:
            x = r[kind]
            errs = ", ".join(f"{k} {v}" for k, v in x["socket_errors"].items() if v) or "-"
            ratio = f"{x['rps'] / r['rest']['rps']:.2f}" if kind.startswith("soap") else ""
            pending = x.get("jobs_pending_at_start")
            lines.append(f"| {i} | {kind} | {fmt(x['rps'])} | {fmt(x['p50_ms'], 2)} | {fmt(x['p99_ms'], 2)} | {x['ok']} | "
                         f"{x['non2xx']} {json.dumps(x['non2xx_statuses']) if x['non2xx'] else ''} | {errs} | "
                         f"{fmt(x.get('drain_s', 0), 0)} | {'' if pending is None else pending} | {ratio} |")

    # wrk stops with up to `connections` requests in flight per wrk invocation (warm-up +
    # measured); the server may have accepted those without wrk reading the answer.
    slack = 2 * args.connections

    def verdict(server: int | None, seen: int, allowed: int) -> str:
        if server is None:
            return "not checked"
        if server < seen:
            return "**LOST ACKNOWLEDGED ENVELOPES**"
        if server - seen <= allowed:
            return f"ok (+{server - seen} answered after wrk stopped, <= {allowed})"
        return "**MISMATCH**"

    lines += ["", "Accepted envelopes cross-check (server count vs 2xx seen by wrk, warm-up included; "
                  "per kind: the server's count after the kind minus before it):", ""]
    for i, r in enumerate(runs, 1):
        c = r["check"]
        parts = []
        for kind in ["noop"] + r["order"]:
            k = c["kinds"][kind]
            delta = None if k["before"] is None or k["after"] is None else k["after"] - k["before"]
            parts.append(f"{kind} {delta if delta is not None else '?'} vs {k['wrk_2xx']} -> "
                         f"{verdict(delta, k['wrk_2xx'], slack if kind != 'noop' else 0)}")
        lines.append(f"- run {i} ({c['source']}): " + "; ".join(parts) + f"; total server {c['total']} vs "
                     f"smoke {c['smoke']} + wrk 2xx {c['total_wrk_2xx']} -> "
                     f"{verdict(c['total'], c['smoke'] + c['total_wrk_2xx'], slack * len(SUBMISSIONS))}; "
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
        f"`POST /v1/envelopes` median {fmt(med('rest', 'rps'))} req/s = "
        f"{med('rest', 'rps') / fsync['file_fsync_each']:.2f}x the one-fsync-per-document ceiling.",
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
    ap.add_argument("--drain-timeout", type=float, default=float(os.environ.get("BENCH_DRAIN_TIMEOUT", 600)),
                    help="before each kind, wait up to this many seconds for missive_jobs_pending to reach 0 (0: do not wait)")
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or run scripts/test once to install the peers)")
    args.bin = str(Path(args.bin).resolve())
    data_root = (args.data_root or HERE / "results" / f"tmp-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}").resolve()
    data_root.mkdir(parents=True, exist_ok=True)
    info = machine_info(data_root)

    pdf = make_pdf("Missive benchmark letter", pad_to=args.pdf_kb * 1024)

    print(f"fsync probe in {data_root} ...", flush=True)
    fsync = fsync_probe(data_root)
    print("  " + ", ".join(f"{k} {v:,.0f}/s" for k, v in fsync.items()), flush=True)

    runs = []
    sizes: dict = {}
    for i in range(1, args.repeats + 1):
        server = MissiveServer(data_root / f"run{i}", extra_args=["--rate-limit", "0", "--admission-backlog", "0"], binary=Path(args.bin), name="bench")
        server.start()
        shift = (i - 1) % len(SUBMISSIONS)
        order = SUBMISSIONS[shift:] + SUBMISSIONS[:shift]
        result: dict = {"order": order}
        try:
            reqs = build_requests(server, pdf, data_root)
            sizes = {k: v["size"] for k, v in reqs.items()}
            smoke_test(server, reqs)
            smoke, source = settled_count(server)
            checks = {}
            for kind in ["noop"] + order:
                path = PATH[kind]
                before, source = settled_count(server)
                pending, waited = drain(server, args.drain_timeout)
                if waited >= 1:
                    print(f"run {i}/{args.repeats}: waited {waited:.0f} s for the dispatcher backlog (pending now {pending})", flush=True)
                print(f"run {i}/{args.repeats}: {kind} POST {path} warm-up {args.warmup}s ...", flush=True)
                warm = run_wrk(server.url, reqs[kind]["env"], args.warmup, args.connections, args.threads)
                print(f"run {i}/{args.repeats}: {kind} POST {path} measuring {args.duration}s ...", flush=True)
                with PeakRSS(server.proc.pid) as peak:
                    x = result[kind] = run_wrk(server.url, reqs[kind]["env"], args.duration, args.connections, args.threads)
                x["peak_rss_mb"] = peak.peak
                x["jobs_pending_at_start"] = pending
                x["drain_s"] = waited
                after, source = settled_count(server)
                checks[kind] = {"before": before, "after": after, "wrk_2xx": warm["ok"] + x["ok"] if kind != "noop" else 0,
                                "warm_non2xx": warm["non2xx"]}
                warm_note = f", warm-up non-2xx {warm['non2xx']} {warm['non2xx_statuses']}" if warm["non2xx"] else ""
                print(f"  {x['rps']:,.1f} req/s, p50 {x['p50_ms']:.2f} ms, p99 {x['p99_ms']:.2f} ms, "
                      f"2xx {x['ok']}, non-2xx {x['non2xx']} {x['non2xx_statuses'] or ''}"
                      f"{warm_note}; jobs pending at start {pending}", flush=True)
            total, source = settled_count(server)
            result["check"] = {"kinds": checks, "source": source, "total": total, "smoke": smoke or 0,
                               "total_wrk_2xx": sum(c["wrk_2xx"] for c in checks.values())}
        finally:
            result["exit"] = server.stop(timeout=60)
        runs.append(result)
        if not args.keep:
            shutil.rmtree(server.data_dir, ignore_errors=True)

    md = report(args, runs, fsync, info, len(pdf), sizes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    write_summary("http", {
        "repeats": len(runs),
        **{f"{kind}_rps": statistics.median(r[kind]["rps"] for r in runs) for kind, _, _ in KINDS},
        **{f"{kind}_p99_ms": statistics.median(r[kind]["p99_ms"] for r in runs) for kind, _, _ in KINDS},
        **{f"{kind}_peak_rss_mb": max(r[kind].get("peak_rss_mb", 0) for r in runs) for kind, _, _ in KINDS},
        "rest_vs_noop": statistics.median(r["rest"]["rps"] / r["noop"]["rps"] for r in runs),
        "soap_inline_vs_rest": statistics.median(r["soap_inline"]["rps"] / r["rest"]["rps"] for r in runs),
        "soap_mtom_vs_rest": statistics.median(r["soap_mtom"]["rps"] / r["rest"]["rps"] for r in runs),
        "disk": fsync, "machine": info,
    })
    if not args.keep:
        shutil.rmtree(data_root, ignore_errors=True)
    print()
    print(md)
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
