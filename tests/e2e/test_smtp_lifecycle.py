"""The SMTP listener's lifecycle and relay rules with real sockets: graceful shutdown answers
idle sessions 421 and lets a message in flight finish; an allowlisted client network sends
without AUTH; a client that disconnects mid-DATA leaves nothing behind.
"""

from __future__ import annotations

import json
import signal
import smtplib
import socket
from email.message import EmailMessage

from missive_testkit import make_pdf, wait_until


def raw(server) -> socket.socket:
    sock = socket.create_connection((server.sandbox["smtpHost"], server.sandbox["smtpPort"]), timeout=30)
    assert sock.recv(4096).startswith(b"220 ")
    return sock


def reply(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n") or not any(line[3:4] == b" " for line in data.split(b"\r\n") if len(line) >= 4):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def letter(server, message_id: str, pdf_bytes: int = 200_000) -> EmailMessage:
    message = EmailMessage()
    message["From"] = server.sandbox["smtpFrom"]
    message["To"] = f"physical@{server.sandbox['smtpDomain']}"
    message["Subject"] = "Lifecycle test"
    message["Message-ID"] = f"<{message_id}@demo.sandbox.missive.ch>"
    message.set_content("Attached.")
    message.add_attachment(make_pdf(f"lifecycle {message_id}", pad_to=pdf_bytes), maintype="application", subtype="pdf", filename="l.pdf")
    return message


def authenticated(server) -> smtplib.SMTP:
    import ssl
    sandbox = server.sandbox
    context = ssl.create_default_context(cafile=sandbox["smtpCertificate"])
    context.check_hostname = False
    client = smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=30)
    client.starttls(context=context)
    client.login(sandbox["smtpUsername"], sandbox["smtpPassword"])
    return client


def test_graceful_shutdown_answers_idle_sessions_421_and_finishes_a_message_in_flight(server_factory) -> None:
    server = server_factory(name="smtp-shutdown")
    idle = raw(server)
    idle.sendall(b"EHLO idle.example\r\n")
    assert reply(idle).startswith(b"250")

    # A session in the middle of DATA when the signal arrives.
    busy = authenticated(server)
    busy.mail(server.sandbox["smtpFrom"])
    busy.rcpt(f"physical@{server.sandbox['smtpDomain']}")
    assert busy.docmd("DATA")[0] == 354
    payload = letter(server, "in-flight-1").as_bytes().replace(b"\n", b"\r\n")
    busy.sock.sendall(payload[: len(payload) // 2])

    server.proc.send_signal(signal.SIGTERM)
    goodbye = reply(idle)
    assert goodbye.startswith(b"421 4.3.2"), goodbye
    assert idle.recv(4096) == b""  # and the connection is closed

    # The message in flight is finished and acknowledged first, then the session is closed.
    busy.sock.sendall(payload[len(payload) // 2:] + b"\r\n.\r\n")
    code, text = busy.getreply()
    assert code == 250 and b"env_" in text, (code, text)
    envelope_id = text.decode().split("queued as ", 1)[1].strip()
    code, _ = busy.getreply()
    assert code == 421
    assert server.proc.wait(timeout=30) in (0, -15, 143)

    # Acknowledged means durable: after a restart the envelope is there.
    server.start()
    assert server.envelope(envelope_id)["ingress"] == "smtp"


def test_an_allowlisted_network_sends_without_auth_and_others_must_authenticate(server_factory, tmp_path) -> None:
    seed = server_factory(name="smtp-allowlist-seed")
    organisation = seed.sandbox["organisationId"]
    data_dir = seed.data_dir
    seed.stop()
    config = tmp_path / "missive.json"
    config.write_text(json.dumps({"smtpAllowlist": [{"network": "127.0.0.0/8", "organisation": organisation, "mode": "test"}]}))
    server = server_factory("--config", str(config), name="smtp-allowlist", data_dir=data_dir)
    with smtplib.SMTP(server.sandbox["smtpHost"], server.sandbox["smtpPort"], timeout=30) as client:
        refused = client.send_message(letter(server, "allowlisted-1"))
        assert refused == {}
    envelopes = [e for e in server.list_all("/v1/envelopes") if e.get("ingressReference", "").startswith("allowlisted-1@")]
    assert len(envelopes) == 1 and envelopes[0]["ingress"] == "smtp"

    # Without the allowlist the same client must authenticate.
    plain = server_factory(name="smtp-no-allowlist")
    with smtplib.SMTP(plain.sandbox["smtpHost"], plain.sandbox["smtpPort"], timeout=30) as client:
        client.ehlo()
        code, text = client.mail(plain.sandbox["smtpFrom"])
        assert code == 530, (code, text)


def test_a_client_that_disconnects_mid_data_leaves_nothing(shared_server) -> None:
    sandbox = shared_server.sandbox
    before = len(shared_server.list_all("/v1/envelopes"))
    client = authenticated(shared_server)
    client.mail(sandbox["smtpFrom"])
    client.rcpt(f"physical@{sandbox['smtpDomain']}")
    code, _ = client.docmd("DATA")
    assert code == 354
    # 3 MB of PDF: past the blob store's 1 MiB in-memory limit, so half of it is in a
    # temporary file when the client goes away.
    half = letter(shared_server, "half-1", pdf_bytes=3_000_000).as_bytes().replace(b"\n", b"\r\n")
    temporary = shared_server.data_dir / "blobs" / "tmp"
    client.sock.sendall(half[: len(half) // 2])
    wait_until(lambda: list(temporary.iterdir()), timeout=10, what="the half message spilled to a temporary file")
    client.close()  # closes the socket and smtplib's file on it (the fd stays open otherwise)
    # Nothing stored, nothing acknowledged, and the partial document is removed.
    wait_until(lambda: not list(temporary.iterdir()), timeout=10, what="the partial document removed")
    assert len(shared_server.list_all("/v1/envelopes")) == before
    # The server still serves new sessions.
    with smtplib.SMTP(sandbox["smtpHost"], sandbox["smtpPort"], timeout=30) as again:
        assert again.noop()[0] == 250


def test_a_command_trickled_byte_by_byte_times_out_like_an_idle_session(server_factory, tmp_path) -> None:
    """The timeout bounds the wait for a whole command, not the gap between two bytes: a
    client that trickles `EHLO` one byte at a time (a slowloris) is answered 421 and closed
    after smtpTimeoutSeconds, as an idle one is; a prompt client in between is unaffected."""
    import time

    config = tmp_path / "missive.json"
    config.write_text(json.dumps({"smtpTimeoutSeconds": 2}))
    server = server_factory("--config", str(config), name="smtp-trickle")
    idle, trickler = raw(server), raw(server)
    started = time.monotonic()
    answer = b""
    trickler.settimeout(0.4)
    for byte in b"EHLO trickling.example":
        try:
            trickler.send(bytes([byte]))
            answer += trickler.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            break
        if answer:
            break
    took = time.monotonic() - started
    assert answer.startswith(b"421"), answer
    assert took < 5, f"the trickler held its session for {took:.1f}s"
    idle.settimeout(5)
    assert reply(idle).startswith(b"421")
    with authenticated(server) as client:
        assert client.noop()[0] == 250
