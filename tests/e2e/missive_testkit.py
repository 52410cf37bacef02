"""Shared helpers for Missive's end-to-end tests (and the schemathesis hooks / benchmark).

Everything here talks to a *real* `missive serve --sandbox` process over real sockets on
127.0.0.1. Nothing is mocked. The helpers are deliberately small and synchronous:

* `make_pdf()`            - a real, minimal, well-formed PDF (optionally padded to a size).
* `MissiveServer`         - start / stop / kill -9 / restart a server on a data dir and read
                            its `sandbox.json`.
* `WebhookReceiver`       - a local HTTP endpoint that verifies Standard Webhooks signatures.
* `wait_for_events()` &c. - polling helpers with deadlines (never fixed sleeps).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

# Terminal envelope states (see the brief / DESIGN.md section 4). `posted` may later become
# `returned`, and `delivered` is terminal only for eBill.
TERMINAL_TYPES = {"consulted", "not_consulted", "posted", "returned", "failed", "cancelled", "rejected"}

# Every HTTP call in the suite has a timeout: a hung server must fail a test, not hang CI.
HTTP_TIMEOUT = 15


# --------------------------------------------------------------------------------------
# PDF documents
# --------------------------------------------------------------------------------------

def make_pdf(text: str = "Missive e2e test letter", pad_to: int = 0, binary_padding: bool = True) -> bytes:
    """Return a small but structurally valid PDF 1.4 document.

    It has a header `%PDF-1.4`, a catalog, a page tree with one `/Type /Page`, a content
    stream, a correct cross-reference table, a trailer, `startxref` and `%%EOF`.

    With `pad_to`, an extra (unreferenced-by-page, but listed in xref) stream object is
    added so that the file is at least `pad_to` bytes long; with `binary_padding` its
    content is pseudo-random bytes (exercises binary-safe handling), otherwise ASCII.
    """
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET\n".encode("ascii", "replace")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]

    def assemble(objs: list[bytes]) -> bytes:
        out = bytearray(b"%PDF-1.4\n")
        if binary_padding:
            # The customary binary comment line telling tools the file is binary.
            out += b"%\xe2\xe3\xcf\xd3\n"
        offsets = []
        for number, body in enumerate(objs, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref_at = len(out)
        out += b"xref\n0 %d\n" % (len(objs) + 1)
        out += b"0000000000 65535 f \n"
        for off in offsets:
            out += b"%010d 00000 n \n" % off
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref_at)
        return bytes(out)

    pdf = assemble(objects)
    if pad_to and len(pdf) < pad_to:
        missing = pad_to - len(pdf) + 64  # a little slack for the extra object's framing
        if binary_padding:
            # Deterministic pseudo-random bytes (no dependency on os.urandom for repeatability).
            seed = hashlib.sha256(text.encode()).digest()
            count = missing // 32 + 1
            payload = b"".join(hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() for counter in range(count))[:missing]
        else:
            payload = (b"% padding " * (missing // 10 + 1))[:missing]
        objects.append(b"<< /Length %d >>\nstream\n" % len(payload) + payload + b"\nendstream")
        pdf = assemble(objects)
    return pdf


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------------------
# Problem details
# --------------------------------------------------------------------------------------

def assert_problem(resp: requests.Response, statuses: int | Iterable[int], code: str | None = None) -> dict:
    """Assert `resp` is an RFC 9457 problem with one of `statuses`; return the parsed body."""
    allowed = {statuses} if isinstance(statuses, int) else set(statuses)
    ctx = f"{resp.request.method} {resp.request.url} -> {resp.status_code} {resp.headers.get('content-type')} {resp.text[:500]!r}"
    assert resp.status_code in allowed, f"expected status {sorted(allowed)}: {ctx}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.split(";")[0].strip().lower() == "application/problem+json", f"not problem+json: {ctx}"
    body = resp.json()
    for key in ("type", "title", "status", "code"):
        assert key in body, f"problem lacks {key!r}: {ctx}"
    assert body["status"] == resp.status_code, f"problem.status != HTTP status: {ctx}"
    assert isinstance(body["code"], str) and body["code"], f"empty problem.code: {ctx}"
    # The spec: `code` is "also the last segment of `type`" (a URL path or a URN).
    last = re.split(r"[/:#]", str(body["type"]).rstrip("/"))[-1]
    assert last == body["code"], f"type does not end in code: {ctx}"
    if code is not None:
        assert body["code"] == code, f"expected code {code!r}: {ctx}"
    return body


# --------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------

def missive_bin() -> Path:
    """The binary under test: $MISSIVE_BIN or <repo>/.build/debug/missive."""
    raw = os.environ.get("MISSIVE_BIN") or str(REPO_ROOT / ".build" / "debug" / "missive")
    path = Path(raw)
    if not path.is_absolute():
        path = (REPO_ROOT / path).resolve()
    return path


class ServerStartError(RuntimeError):
    pass


class MissiveServer:
    """One `missive serve --sandbox` process on a data dir.

    After `start()`: `url`, `api_key`, `organisation_id`, `recipients` (list of dicts from
    sandbox.json) and `sandbox` (the whole parsed sandbox.json) are set.
    """

    def __init__(self, data_dir: Path, extra_args: Iterable[str] = (), binary: Path | None = None, name: str = "missive"):
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args)
        self.binary = binary or missive_bin()
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.{name}.log"
        self.sandbox: dict = {}
        self.url = ""
        self.api_key = ""
        self.organisation_id = ""
        self.recipients: list[dict] = []
        self.session = requests.Session()
        self.starts = 0

    # -- lifecycle -------------------------------------------------------------------

    def command(self) -> list[str]:
        # Port 0 for HTTP and SMTP: tests run several servers side by side.
        smtp = [] if "--smtp-port" in self.extra_args else ["--smtp-port", "0"]
        return [str(self.binary), "serve", "--sandbox", "--data-dir", str(self.data_dir), "--http-port", "0", *smtp, *self.extra_args]

    def start(self, timeout: float = 60.0) -> "MissiveServer":
        if not self.binary.exists():
            raise ServerStartError(f"missive binary not found at {self.binary} (build it, or set MISSIVE_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        sandbox_file = self.data_dir / "sandbox.json"
        # On a restart the previous run's sandbox.json is still there; remove it so that we
        # only read the one this process writes once it listens (its port is new).
        sandbox_file.unlink(missing_ok=True)
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(self.data_dir.parent))
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerStartError(f"missive exited with {self.proc.returncode} before writing sandbox.json\n{self.log_tail()}")
            if sandbox_file.exists():
                try:
                    self.sandbox = json.loads(sandbox_file.read_text())
                    break
                except (json.JSONDecodeError, OSError):
                    pass  # being written right now; read again
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError(f"no {sandbox_file} within {timeout}s\n{self.log_tail()}")
            time.sleep(0.05)
        self.url = self.sandbox["httpURL"].rstrip("/")
        self.api_key = self.sandbox["apiKey"]
        self.organisation_id = self.sandbox.get("organisationId", "")
        self.recipients = self.sandbox["recipients"]
        # sandbox.json is written once listening, but be tolerant of a short gap.
        wait_until(lambda: self._healthy(), timeout=max(1.0, deadline - time.monotonic()), what="GET /healthz answers 200")
        return self

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait, then SIGKILL. Returns the exit code (None if it never ran)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.session.close()
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9: no chance to flush or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> "MissiveServer":
        self.stop()
        self.session = requests.Session()
        return self.start()

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no log at {self.log_path})"
        return f"----- last {lines} lines of {self.log_path} -----\n" + "\n".join(text[-lines:])

    # -- convenience -----------------------------------------------------------------

    def recipient(self, outcome: str) -> dict:
        """The sandbox.json entry for one outcome (has `recipient`, maybe `mailboxKey`)."""
        for entry in self.recipients:
            if entry.get("outcome") == outcome:
                return entry
        raise AssertionError(f"sandbox.json has no recipient with outcome {outcome!r}: {[r.get('outcome') for r in self.recipients]}")

    def headers(self, key: str | None = None, **extra: str) -> dict:
        return {"Authorization": f"Bearer {key or self.api_key}", **extra}

    def request(self, method: str, path: str, key: str | None = None, headers: dict | None = None, **kw: Any) -> requests.Response:
        """An authenticated request (API key unless `key` is given; key="" sends none)."""
        hdrs = {} if key == "" else self.headers(key)
        hdrs.update(headers or {})
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return self.session.request(method, self.url + path, headers=hdrs, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def metric(self, series: str) -> int:
        """One series of /metrics, e.g. `missive_jobs_due` or
        `missive_channel_deliveries_in_flight{channel="ebill"}`; fails when it is missing."""
        match = re.search(rf"^{re.escape(series)}\s+([0-9.eE+]+)\s*$", self.get("/metrics").text, re.M)
        assert match, f"{series} missing from /metrics"
        return int(float(match.group(1)))

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def submit(self, envelope: dict, document: bytes, *, key: str | None = None, idempotency_key: str | None = None,
               attachments: Iterable[bytes] = (), boundary: str | None = None) -> requests.Response:
        """Multipart submission: `envelope` JSON part, `document` PDF part, `attachment` parts."""
        body, ctype = multipart_body(envelope, document, attachments=attachments, boundary=boundary)
        headers = {"Content-Type": ctype}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self.post("/v1/envelopes", key=key, headers=headers, data=body)

    def submit_ok(self, envelope: dict, document: bytes, **kw: Any) -> dict:
        resp = self.submit(envelope, document, **kw)
        assert resp.status_code == 202, f"submission failed: {resp.status_code} {resp.text[:500]}"
        body = resp.json()
        assert body["id"].startswith("env_"), body
        return body

    def events(self, envelope_id: str, key: str | None = None) -> list[dict]:
        resp = self.get(f"/v1/envelopes/{envelope_id}/events", key=key)
        assert resp.status_code == 200, f"events of {envelope_id}: {resp.status_code} {resp.text[:300]}"
        return resp.json()["items"]

    def envelope(self, envelope_id: str, key: str | None = None) -> dict:
        resp = self.get(f"/v1/envelopes/{envelope_id}", key=key)
        assert resp.status_code == 200, f"envelope {envelope_id}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def list_all(self, path: str, params: dict | None = None, key: str | None = None, cursor_param: str = "cursor",
                 max_pages: int = 1000) -> list[dict]:
        """Follow `nextCursor` until it is absent (envelopes / mailbox letters)."""
        params = dict(params or {})
        items: list[dict] = []
        for _ in range(max_pages):
            resp = self.get(path, params=params, key=key)
            assert resp.status_code == 200, f"GET {path} {params}: {resp.status_code} {resp.text[:300]}"
            page = resp.json()
            items.extend(page["items"])
            nxt = page.get("nextCursor")
            if not nxt or not page["items"]:
                return items
            params[cursor_param] = nxt
        raise AssertionError(f"GET {path}: more than {max_pages} pages")

    def create_org(self, name: str) -> dict:
        """`missive org create --data-dir DIR --name NAME` -> {"organisationId", "apiKey"}."""
        out = subprocess.run([str(self.binary), "org", "create", "--data-dir", str(self.data_dir), "--name", name],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"missive org create failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
        # The JSON object may be pretty-printed and surrounded by log lines.
        text = out.stdout
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            raise AssertionError(f"missive org create printed no JSON object:\n{out.stdout}\n{out.stderr}")
        assert data["apiKey"].startswith("mk_"), data
        assert data["organisationId"], data
        return data


def multipart_body(envelope: dict | str | bytes | None, document: bytes | None, *, attachments: Iterable[bytes] = (),
                   boundary: str | None = None, envelope_type: str = "application/json",
                   document_type: str = "application/pdf") -> tuple[bytes, str]:
    """Encode a multipart/form-data body by hand (so a test controls every byte, including
    the boundary: a fixed boundary makes a repeated request byte-identical).

    `envelope` may be a dict (JSON-encoded), raw str/bytes (e.g. malformed JSON) or None
    (part omitted); `document` None omits the document part."""
    boundary = boundary or f"missive-e2e-{uuid.uuid4().hex}"
    crlf = b"\r\n"
    out = bytearray()

    def part(name: str, data: bytes, ctype: str, filename: str | None = None) -> None:
        nonlocal out
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--" + boundary.encode() + crlf
        out += f"Content-Disposition: {disp}".encode() + crlf
        out += f"Content-Type: {ctype}".encode() + crlf + crlf
        out += data + crlf

    if envelope is not None:
        raw = json.dumps(envelope).encode() if isinstance(envelope, dict) else (envelope.encode() if isinstance(envelope, str) else envelope)
        part("envelope", raw, envelope_type)
    if document is not None:
        part("document", document, document_type, "letter.pdf")
    for i, att in enumerate(attachments):
        part("attachment", att, "application/pdf", f"attachment-{i}.pdf")
    out += b"--" + boundary.encode() + b"--" + crlf
    return bytes(out), f"multipart/form-data; boundary={boundary}"


# --------------------------------------------------------------------------------------
# Polling
# --------------------------------------------------------------------------------------

def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, what: str = "condition",
               describe: Callable[[], str] | None = None) -> Any:
    """Call `predicate` until it returns something truthy; return that. Fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            extra = f"\nlast state: {describe()}" if describe else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


def event_types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(x == y for y in it) for x in needle)


def wait_for_events(server: MissiveServer, envelope_id: str, expected: list[str], timeout: float = 30.0,
                    key: str | None = None) -> list[dict]:
    """Poll GET /v1/envelopes/{id}/events until the types in `expected` have appeared in that
    order (other events may be interleaved). Returns all events seen."""
    last: list[dict] = []

    def check() -> list[dict] | None:
        nonlocal last
        last = server.events(envelope_id, key=key)
        return last if is_subsequence(expected, event_types(last)) else None

    return wait_until(check, timeout=timeout, interval=0.2, what=f"events {expected} on {envelope_id}",
                      describe=lambda: json.dumps(last, indent=1)[:3000])


# --------------------------------------------------------------------------------------
# Webhook receiver
# --------------------------------------------------------------------------------------

@dataclass
class Delivery:
    headers: dict
    body: bytes
    verified: bool
    payload: Any = None
    error: str = ""
    status_sent: int = 0
    at: float = field(default_factory=time.monotonic)


class WebhookReceiver:
    """A local endpoint that verifies each delivery with the `standardwebhooks` library.

    * `secret` must be set (from the create response) - requests that arrive before it is
      set wait up to 10 s for it.
    * `fail_first`: answer 500 to the first N requests.
    * `delay`: sleep this long before answering each request (a slow endpoint).
    * `requests`: every request received (verified or not); `verified`: parsed payloads of
      verified deliveries, in arrival order; `failures`: deliveries that did not verify.
    """

    def __init__(self, fail_first: int = 0, delay: float = 0.0):
        from standardwebhooks import Webhook  # imported here so a missing peer fails loudly at use

        self._Webhook = Webhook
        self.fail_first = fail_first
        self.delay = delay
        self.requests: list[Delivery] = []
        self._secret: str | None = None
        self._secret_set = threading.Event()
        self._closing = threading.Event()
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = receiver._handle(dict(self.headers.items()), body)
                if receiver.delay:
                    receiver._closing.wait(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    @property
    def secret(self) -> str | None:
        return self._secret

    @secret.setter
    def secret(self, value: str) -> None:
        self._secret = value
        self._secret_set.set()

    def _handle(self, headers: dict, body: bytes) -> int:
        self._secret_set.wait(10)
        delivery = Delivery(headers={k.lower(): v for k, v in headers.items()}, body=body, verified=False)
        try:
            if not self._secret:
                raise RuntimeError("receiver has no secret")
            delivery.payload = self._Webhook(self._secret).verify(body, headers)
            delivery.verified = True
        except Exception as exc:  # noqa: BLE001 - record any verification failure
            delivery.error = f"{type(exc).__name__}: {exc}"
            try:
                delivery.payload = json.loads(body)
            except Exception:  # noqa: BLE001
                pass
        with self._cond:
            index = len(self.requests)
            delivery.status_sent = 500 if index < self.fail_first else 200
            self.requests.append(delivery)
            self._cond.notify_all()
        return delivery.status_sent

    # -- views -----------------------------------------------------------------------

    @property
    def failures(self) -> list[Delivery]:
        with self._cond:
            return [d for d in self.requests if not d.verified]

    @property
    def verified(self) -> list[dict]:
        """Payloads of verified deliveries that were answered 2xx (i.e. that count)."""
        with self._cond:
            return [d.payload for d in self.requests if d.verified and d.status_sent < 300]

    def envelope_events(self, envelope_id: str) -> list[dict]:
        """`data` of verified `envelope.*` deliveries for one envelope (deduplicated by event id)."""
        seen: dict[str, dict] = {}
        for p in self.verified:
            if str(p.get("type", "")).startswith("envelope.") and p.get("data", {}).get("envelopeId") == envelope_id:
                seen.setdefault(p["data"]["id"], p)
        return list(seen.values())

    def wait_for(self, predicate: Callable[["WebhookReceiver"], Any], timeout: float = 30.0, what: str = "webhook deliveries") -> Any:
        return wait_until(lambda: predicate(self), timeout=timeout, interval=0.1, what=what, describe=self.describe)

    def wait_for_envelope_events(self, events: list[dict], timeout: float = 30.0) -> list[dict]:
        """Wait until every event in `events` (from the events API) arrived verified, and check
        each delivery's payload matches the event."""
        assert events, "no events to wait for"
        envelope_id = events[0]["envelopeId"]
        wanted = {e["id"]: e for e in events}

        def got_all(r: "WebhookReceiver") -> list[dict] | None:
            got = {p["data"]["id"]: p for p in r.envelope_events(envelope_id)}
            return list(got.values()) if set(wanted) <= set(got) else None

        payloads = self.wait_for(got_all, timeout=timeout, what=f"webhooks for events {[e['type'] for e in events]} of {envelope_id}")
        by_id = {p["data"]["id"]: p for p in payloads}
        for event_id, event in wanted.items():
            p = by_id[event_id]
            assert p["type"] == f"envelope.{event['type']}", (p, event)
            assert isinstance(p.get("timestamp"), str) and p["timestamp"], p
            for k in ("id", "envelopeId", "type"):
                assert p["data"][k] == event[k], (k, p, event)
            if "channel" in event:
                assert p["data"].get("channel") == event["channel"], (p, event)
        return payloads

    def describe(self) -> str:
        with self._cond:
            rows = [f"  {d.status_sent} verified={d.verified} id={d.headers.get('webhook-id')} "
                    f"type={(d.payload or {}).get('type') if isinstance(d.payload, dict) else None} "
                    f"err={d.error}" for d in self.requests[-40:]]
        return f"{len(self.requests)} requests to {self.url}:\n" + "\n".join(rows)

    def close(self) -> None:
        self._closing.set()
        self._secret_set.set()
        self.server.shutdown()
        self.server.server_close()


def create_webhook(server: MissiveServer, receiver: WebhookReceiver, event_types: list[str] | None = None,
                   key: str | None = None) -> dict:
    body: dict[str, Any] = {"url": receiver.url, "description": "e2e receiver"}
    if event_types is not None:
        body["eventTypes"] = event_types
    resp = server.post("/v1/webhooks", json=body, key=key)
    assert resp.status_code == 201, f"create webhook: {resp.status_code} {resp.text[:500]}"
    hook = resp.json()
    assert hook["id"], hook
    assert str(hook.get("secret", "")).startswith("whsec_"), f"secret missing or not whsec_: {hook}"
    receiver.secret = hook["secret"]
    return hook


def wait_for_status(server: MissiveServer, envelope_id: str, status: str, timeout: float = 15.0, key: str | None = None) -> dict:
    """Poll GET /v1/envelopes/{id} until its `status` is `status`; return the envelope."""
    last: dict = {}

    def check() -> dict | None:
        nonlocal last
        last = server.envelope(envelope_id, key=key)
        return last if last.get("status") == status else None

    return wait_until(check, timeout=timeout, interval=0.2, what=f"{envelope_id} status {status!r}",
                      describe=lambda: json.dumps(last)[:2000])


def parse_time(value: str) -> "datetime":
    """Parse an RFC 3339 date-time (with `Z` or an offset, any fractional digits)."""
    from datetime import datetime

    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    # fromisoformat in 3.11 accepts up to 6 fractional digits; trim longer ones.
    if "." in v:
        head, _, rest = v.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        v = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    return datetime.fromisoformat(v)


# --- CMS seals ---------------------------------------------------------------------

def der_children(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """The TLV elements in `data`: (tag, contents, the whole element)."""
    out, i = [], 0
    while i < len(data):
        tag, length, start = data[i], data[i + 1], i + 2
        if length & 0x80:
            count = length & 0x7F
            length, start = int.from_bytes(data[start:start + count], "big"), start + count
        out.append((tag, data[start:start + length], data[i:start + length]))
        i = start + length
    return out


def signature_time_stamp(seal: bytes) -> tuple[bytes, bytes]:
    """(the signer's signature value, the DER time-stamp token in its unsigned attributes),
    read from the CMS structure (ContentInfo → SignedData → SignerInfo) by hand."""
    (_, content_info, _), = der_children(seal)
    signed_data = der_children(der_children(content_info)[1][1])[0][1]
    signer_infos = [c for t, c, _ in der_children(signed_data) if t == 0x31][-1]
    (_, signer_info, _), = der_children(signer_infos)
    fields = der_children(signer_info)
    signature = next(c for t, c, _ in fields if t == 0x04)
    unsigned = next(c for t, c, _ in fields if t == 0xA1)
    token_oid = bytes.fromhex("060b2a864886f70d010910020e")  # id-aa-signatureTimeStampToken
    for _, attribute, _ in der_children(unsigned):
        oid, values = der_children(attribute)
        if oid[2] == token_oid:
            return signature, der_children(values[1])[0][2]
    raise AssertionError("the seal has no signature time-stamp token")


def ts_verify(token: bytes, signature: bytes, ca_file: str, tmp: Path) -> subprocess.CompletedProcess:
    """`openssl ts -verify` of an embedded token: its imprint must be the SHA-256 of the signature."""
    (tmp / "token.der").write_bytes(token)
    assert Path("/usr/bin/openssl").exists(), "openssl is missing (scripts/test installs it)"
    return subprocess.run(["/usr/bin/openssl", "ts", "-verify", "-digest", hashlib.sha256(signature).hexdigest(), "-token_in",
                           "-in", str(tmp / "token.der"), "-CAfile", ca_file], capture_output=True, text=True, timeout=60)
