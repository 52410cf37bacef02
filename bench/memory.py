#!/usr/bin/env python3
"""Peak memory of one 25 MB document on each ingress (REST multipart, SOAP MTOM).

    python3 bench/memory.py [--bin .build/release/missive] [--mb 25]

Starts a sandbox server on a fresh data dir, sends one small letter (the idle baseline), then
one large PDF over SOAP MTOM and over REST multipart, and prints the server's peak RSS
(VmHWM) and RSS after each, read from /proc. Linux only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/missive")
    ap.add_argument("--mb", type=int, default=25)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="missive-memory-")) / "data"
    server = subprocess.Popen([args.bin, "serve", "--sandbox", "--data-dir", str(data), "--http-port", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sandbox_file = data / "sandbox.json"
        for _ in range(600):
            if sandbox_file.exists():
                break
            time.sleep(0.1)
        s = json.loads(sandbox_file.read_text())

        def mem() -> str:
            status = Path(f"/proc/{server.pid}/status").read_text()
            peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024
            return f"peak {peak} MB, rss {rss} MB"

        envelope = json.dumps({"recipient": {"uid": "CHE-123.456.789"}})
        small = b"%PDF-1.4\n1 0 obj<</Type /Page>>endobj\n%%EOF\n"
        auth = {"Authorization": "Bearer " + s["apiKey"]}
        requests.post(s["httpURL"] + "/v1/envelopes", headers=auth, timeout=60,
                      files={"envelope": (None, envelope, "application/json"), "document": ("a.pdf", small, "application/pdf")})
        print(f"idle (after one small letter): {mem()}")
        big = b"%PDF-1.4\n1 0 obj<</Type /Page>>endobj\n%" + os.urandom(args.mb * 1024 * 1024 - 100) + b"\n%%EOF\n"

        boundary = "MIMEboundary"
        soap = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:missive:soap:v1">'
                '<s:Body><m:SubmitLetter><m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:envelope>'
                '<m:document><m:content><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc"/></m:content>'
                '</m:document></m:SubmitLetter></s:Body></s:Envelope>')
        body = (f'--{boundary}\r\nContent-Type: application/xop+xml; type="text/xml"\r\nContent-ID: <root>\r\n\r\n{soap}\r\n'
                f'--{boundary}\r\nContent-Type: application/pdf\r\nContent-ID: <doc>\r\n\r\n').encode() + big + f"\r\n--{boundary}--\r\n".encode()
        started = time.time()
        r = requests.post(s["httpURL"] + "/soap", data=body, timeout=300, auth=(s["organisationId"], s["apiKey"]),
                          headers={"Content-Type": f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; start-info="text/xml"',
                                   "SOAPAction": '""'})
        print(f"SOAP MTOM {args.mb} MB: HTTP {r.status_code} in {time.time() - started:.1f} s; {mem()}")
        started = time.time()
        r = requests.post(s["httpURL"] + "/v1/envelopes", headers=auth, timeout=300,
                          files={"envelope": (None, envelope, "application/json"), "document": ("a.pdf", big, "application/pdf")})
        print(f"REST multipart {args.mb} MB: HTTP {r.status_code} in {time.time() - started:.1f} s; {mem()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
