#!/usr/bin/env python3
"""Memory of one 25 MB document on each ingress (run it through bench/run, or alone).

    python3 bench/memory.py --bin .build/release/missive [--mb 25]

For each ingress — REST multipart, SOAP 1.1 inline (base64), SOAP MTOM/XOP and SMTP (a
MIME message with the PDF base64-encoded, STARTTLS and AUTH as a relaying ERP would) — a
fresh sandbox hub on a fresh data dir: one small letter first, then the idle resident set
(VmRSS) is the baseline; then one document just under the 25 MiB limit is sent while the
resident set is sampled every 50 ms; the figure is peak minus idle. Linux only (reads
/proc). Writes bench/results/memory-latest.md and memory.json. Reported, never asserted.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import shutil
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path

import requests

from bench import HERE, PeakRSS, machine_info, rss_mb, write_summary
from missive_testkit import MissiveServer, make_pdf

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"


def soap_letter(content: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP11}" xmlns:m="urn:missive:soap:v1">'
            '<s:Body><m:SubmitLetter><m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:envelope>'
            f'<m:document><m:content>{content}</m:content></m:document></m:SubmitLetter></s:Body></s:Envelope>')


def send(kind: str, server: MissiveServer, pdf: bytes) -> int | str:
    """Sends `pdf` as one letter over `kind`; returns the HTTP status or the SMTP reply."""
    s = server.sandbox
    basic = (s["organisationId"], server.api_key)
    action = {"SOAPAction": '"urn:missive:soap:v1#SubmitLetter"'}
    if kind == "rest":
        return requests.post(server.url + "/v1/envelopes", headers=server.headers(), timeout=600, files={
            "envelope": (None, '{"recipient": {"uid": "CHE-123.456.789"}}', "application/json"),
            "document": ("letter.pdf", pdf, "application/pdf")}).status_code
    if kind == "soap_inline":
        body = soap_letter(base64.b64encode(pdf).decode("ascii")).encode()
        return requests.post(server.url + "/soap", data=body, auth=basic, timeout=600,
                             headers={"Content-Type": "text/xml; charset=utf-8", **action}).status_code
    if kind == "soap_mtom":
        boundary = "MIMEboundary"
        root = soap_letter('<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc@missive"/>')
        body = (f'--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\nContent-ID: <root@missive>\r\n\r\n{root}\r\n'
                f'--{boundary}\r\nContent-Type: application/pdf\r\nContent-ID: <doc@missive>\r\n\r\n').encode() + pdf + f"\r\n--{boundary}--\r\n".encode()
        return requests.post(server.url + "/soap", data=body, auth=basic, timeout=600, headers={
            "Content-Type": f'multipart/related; type="application/xop+xml"; start="<root@missive>"; start-info="text/xml"; boundary="{boundary}"',
            **action}).status_code
    if kind == "smtp":
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s["smtpFrom"], f"physical@{s['smtpDomain']}", "Large letter"
        message["Message-ID"] = f"<memory-{time.time_ns()}@{s['smtpFrom'].split('@')[1]}>"
        message.set_content("Letter attached.")
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename="letter.pdf")
        context = ssl.create_default_context(cafile=s["smtpCertificate"])
        context.check_hostname = False
        with smtplib.SMTP(s["smtpHost"], s["smtpPort"], timeout=600) as client:
            client.starttls(context=context)
            client.login(s["smtpUsername"], s["smtpPassword"])
            client.send_message(message)
            return "250"
    raise ValueError(kind)


KINDS = [("rest", "REST multipart"), ("soap_inline", "SOAP inline (base64)"), ("soap_mtom", "SOAP MTOM/XOP"), ("smtp", "SMTP (base64 MIME)")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release/missive")
    ap.add_argument("--mb", type=int, default=25, help="document size in MiB (the limit is 25 MiB: 1 KiB less is sent)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "memory-latest.md")
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    root = (HERE / "results" / f"tmp-memory-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}").resolve()
    root.mkdir(parents=True, exist_ok=True)
    info = machine_info(root)
    small = make_pdf("small letter")
    big = make_pdf("large letter", pad_to=args.mb * 1024 * 1024 - 1024)
    results = {}
    try:
        for kind, label in KINDS:
            server = MissiveServer(root / kind / "data", extra_args=["--rate-limit", "0", "--admission-backlog", "0"], binary=Path(args.bin), name="bench-memory")
            server.start(timeout=300)
            try:
                assert str(send(kind, server, small)) in ("202", "200", "250"), f"{kind}: the small letter was refused"
                time.sleep(1.0)
                idle = rss_mb(server.proc.pid)
                t0 = time.monotonic()
                with PeakRSS(server.proc.pid, interval=0.02) as peak:
                    answer = send(kind, server, big)
                    time.sleep(1.0)  # the dispatcher's first look at the letter
                results[kind] = {"label": label, "idle_mb": idle, "peak_mb": peak.peak, "delta_mb": peak.peak - idle,
                                 "answer": str(answer), "seconds": time.monotonic() - t0,
                                 "hwm_mb": rss_mb(server.proc.pid, "VmHWM")}
                print(f"{label}: {answer} in {results[kind]['seconds']:.1f} s; idle {idle:.0f} MB, peak {peak.peak:.0f} MB "
                      f"(+{peak.peak - idle:.0f} MB)", flush=True)
            finally:
                server.stop(timeout=120)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines = [
        f"# One {args.mb} MB document per ingress — {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores; a fresh hub per ingress; document {len(big):,} bytes",
        "",
        "| ingress | answer | idle RSS MB | peak RSS MB | peak − idle | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for kind, label in KINDS:
        r = results[kind]
        lines.append(f"| {label} | {r['answer']} ({r['seconds']:.1f} s) | {r['idle_mb']:.0f} | {r['peak_mb']:.0f} | **+{r['delta_mb']:.0f} MB** | ≤ +64 MB |")
    md = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    write_summary("memory", {"document_bytes": len(big), **{k: {kk: vv for kk, vv in v.items() if kk != "label"} for k, v in results.items()}})
    print()
    print(md)


if __name__ == "__main__":
    main()
