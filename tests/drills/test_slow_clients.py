"""Drill: 1,000 idle or trickling connections on HTTP and on SMTP.

The hub runs with short timeouts from a `--config` file (`httpIdleTimeoutSeconds`,
`smtpTimeoutSeconds`: 4 s instead of 60 s and 300 s) so the drill does not wait minutes;
the code paths are the production ones.

HTTP: 600 connections that send nothing, 300 that trickle a request head one byte every
half second and never finish it (slowloris), 100 that send a head announcing a body and
trickle the body. SMTP: 700 sessions that read the greeting and say nothing, 300 that
trickle a command one byte at a time and never end the line - from 50 loopback addresses
(127.0.1.x), as the hub allows 20 sessions per client address.

It proves, for each protocol:
1. new clients are not blocked: while the 1,000 are held, fresh clients from another
   address get answers at once (HTTP: health checks and a 202 submission; SMTP: a whole
   STARTTLS + AUTH session that sends a letter);
2. the timeouts reclaim every one of the 1,000 - idle and trickling alike - within the
   timeout plus a margin, and the hub stays healthy afterwards.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from urllib.parse import urlparse

from drillkit import smtp_client, smtp_message, smtp_send, write_config
from missive_testkit import MissiveServer, make_pdf

TIMEOUT = 4.0
MARGIN = 4.0
HTTP_IDLE, HTTP_HEAD_TRICKLE, HTTP_BODY_TRICKLE = 600, 300, 100
SMTP_IDLE, SMTP_TRICKLE, SMTP_SOURCES = 700, 300, 50


class Crowd:
    """Client sockets that are either idle or trickle bytes, one byte per socket every
    `every` seconds, from a single thread."""

    def __init__(self) -> None:
        self.idle: list[socket.socket] = []
        self.trickling: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self, host: str, port: int, source: str | None = None, first: bytes = b"", read_greeting: bool = False,
             trickle: bool = False) -> socket.socket:
        s = socket.create_connection((host, port), timeout=10, source_address=(source, 0) if source else None)
        if read_greeting:
            greeting = s.recv(512)
            assert greeting.startswith(b"220"), f"no greeting but {greeting!r} (connection {len(self.idle) + len(self.trickling) + 1})"
        if first:
            s.sendall(first)
        s.setblocking(False)
        (self.trickling if trickle else self.idle).append(s)
        return s

    def start(self) -> None:
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for s in self.trickling:
                try:
                    s.send(b"a")
                except OSError:
                    pass  # closed by the server: that is what the drill waits for

    @property
    def all(self) -> list[socket.socket]:
        return self.idle + self.trickling

    def wait_all_closed(self, deadline: float) -> tuple[int, list[int]]:
        """Waits until the server closed every socket (EOF or reset). Returns
        (how many closed, indices of those still open at the deadline)."""
        open_ = {s.fileno(): (i, s) for i, s in enumerate(self.all)}
        poller = select.poll()  # not select(): descriptors here go well past FD_SETSIZE
        for fd in open_:
            poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        while open_ and time.monotonic() < deadline:
            for fd, _ in poller.poll(200):
                if fd not in open_:
                    continue
                s = open_[fd][1]
                try:
                    while True:
                        if not s.recv(65536):
                            raise ConnectionResetError
                except BlockingIOError:
                    continue
                except OSError:
                    open_.pop(fd, None)
                    poller.unregister(fd)
        return len(self.all) - len(open_), sorted(i for i, _ in open_.values())

    def close(self) -> None:
        self.stop.set()
        for s in self.all:
            try:
                s.close()
            except OSError:
                pass


def hub(server_factory, tmp_path) -> MissiveServer:
    config = write_config(tmp_path / "missive.json", httpIdleTimeoutSeconds=TIMEOUT, smtpTimeoutSeconds=TIMEOUT)
    return server_factory("--config", str(config), "--rate-limit", "0", name="slow")


def test_http_idle_and_trickling_clients(server_factory, tmp_path) -> None:
    server = hub(server_factory, tmp_path)
    url = urlparse(server.url)
    crowd = Crowd()
    try:
        t0 = time.monotonic()
        for _ in range(HTTP_IDLE):
            crowd.open(url.hostname, url.port)
        for _ in range(HTTP_HEAD_TRICKLE):
            crowd.open(url.hostname, url.port, first=b"GET /healthz HTTP/1.1\r\nHost: missive\r\nX-Slow: ", trickle=True)
        for _ in range(HTTP_BODY_TRICKLE):
            head = (f"POST /v1/envelopes HTTP/1.1\r\nHost: missive\r\nAuthorization: Bearer {server.api_key}\r\n"
                    "Content-Type: multipart/form-data; boundary=slow\r\nContent-Length: 1000000\r\n\r\n--slow\r\n").encode()
            crowd.open(url.hostname, url.port, first=head, trickle=True)
        crowd.start()
        opened = time.monotonic()
        print(f"\nHTTP: {len(crowd.all)} connections held ({opened - t0:.1f}s to open)")

        # 1. New clients are served at once.
        worst = 0.0
        for _ in range(20):
            t = time.monotonic()
            assert server.get("/healthz", key="", timeout=5).status_code == 200
            worst = max(worst, time.monotonic() - t)
        t = time.monotonic()
        answer = server.submit({"recipient": server.recipient("physical")["recipient"]}, make_pdf("slow clients"))
        assert answer.status_code == 202, answer.text[:300]
        print(f"HTTP: slowest of 20 health checks {worst * 1000:.0f} ms, submission {1000 * (time.monotonic() - t):.0f} ms")
        assert worst < 1.0, f"a health check took {worst:.2f}s with 1,000 slow clients held"

        # 2. The idle timeout reclaims all of them, tricklers included.
        closed, left = crowd.wait_all_closed(opened + TIMEOUT + MARGIN)
        print(f"HTTP: {closed} of {len(crowd.all)} closed by the hub within {time.monotonic() - opened:.1f}s")
        kinds = {"idle": sum(i < HTTP_IDLE for i in left),
                 "head trickle": sum(HTTP_IDLE <= i < HTTP_IDLE + HTTP_HEAD_TRICKLE for i in left),
                 "body trickle": sum(i >= HTTP_IDLE + HTTP_HEAD_TRICKLE for i in left)}
        assert not left, f"{len(left)} connections not reclaimed after {TIMEOUT + MARGIN}s: {kinds}"
        assert server.get("/healthz", key="").status_code == 200
    finally:
        crowd.close()


def test_smtp_idle_and_trickling_clients(server_factory, tmp_path) -> None:
    server = hub(server_factory, tmp_path)
    host, port = server.sandbox["smtpHost"], server.sandbox["smtpPort"]
    crowd = Crowd()
    try:
        t0 = time.monotonic()
        for n in range(SMTP_IDLE + SMTP_TRICKLE):
            source = f"127.0.1.{n % SMTP_SOURCES + 1}"
            trickle = n >= SMTP_IDLE
            crowd.open(host, port, source=source, read_greeting=True, first=b"EHLO slow" if trickle else b"", trickle=trickle)
        crowd.start()
        opened = time.monotonic()
        print(f"\nSMTP: {len(crowd.all)} sessions held ({opened - t0:.1f}s to open)")

        # 1. A new client (another address) gets a whole session through at once.
        t = time.monotonic()
        client = smtp_client(server, timeout=10)
        code, text = smtp_send(client, smtp_message(server, "physical", f"slow-{time.time_ns()}@drill.example", make_pdf("smtp slow")))
        client.quit()
        took = time.monotonic() - t
        assert code == 250, (code, text)
        print(f"SMTP: a new session sent a letter in {took * 1000:.0f} ms with 1,000 slow sessions held")
        assert took < 5.0

        # 2. The timeout reclaims all of them, tricklers included.
        closed, left = crowd.wait_all_closed(opened + TIMEOUT + MARGIN)
        print(f"SMTP: {closed} of {len(crowd.all)} closed by the hub within {time.monotonic() - opened:.1f}s")
        kinds = {"idle": sum(i < SMTP_IDLE for i in left), "trickle": sum(i >= SMTP_IDLE for i in left)}
        assert not left, f"{len(left)} sessions not reclaimed after {TIMEOUT + MARGIN}s: {kinds}"
        client = smtp_client(server, timeout=10)
        assert client.noop()[0] == 250
        client.quit()
    finally:
        crowd.close()
