"""An external RFC 3161 time-stamp authority stamps the seals instead of the built-in one.

The peer is OpenSSL's own TSA (`openssl ts -reply`) behind a small HTTP front end, with its
own root and a time-stamping certificate (critical EKU timeStamping) — a stand-in for a
qualified provider, which cannot be reached from here. The hub is started with
`--time-stamp-url` and `--time-stamp-trust-anchor`; openssl verifies the seals against the
sandbox root plus the TSA's root, and the embedded token is the external TSA's. While the
TSA is down, letters are still accepted and their evidence waits; it is issued once the TSA
answers again. A TSA whose tokens do not chain to the configured anchor is never trusted.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from missive_testkit import make_pdf, signature_time_stamp, ts_verify, wait_until

OPENSSL = "/usr/bin/openssl"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert result.returncode == 0, (args, result.stderr)
    return result


def make_tsa(folder: Path, name: str) -> Path:
    """A root and a TSA certificate, and an `openssl ts` configuration using them."""
    folder.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-subj", f"/CN={name} Root", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    run("req", "-new", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=folder)
    (folder / "tsa.ext").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                    "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    run("x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem",
        "-days", "2", "-extfile", "tsa.ext", cwd=folder)
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(f"""
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    return folder


class OpenSSLTSA:
    """HTTP front end for `openssl ts -reply`; `down` makes it answer 503."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.down = False
        self.requests = 0
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                tsa.requests += 1
                if tsa.down or self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_response(503 if tsa.down else 415)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                name = uuid.uuid4().hex
                query, reply = tsa.folder / f"{name}.tsq", tsa.folder / f"{name}.tsr"
                query.write_bytes(body)
                result = subprocess.run([OPENSSL, "ts", "-reply", "-config", str(tsa.folder / "tsa.cnf"), "-queryfile", str(query),
                                         "-out", str(reply)], capture_output=True, timeout=30)
                data = reply.read_bytes() if result.returncode == 0 else b""
                self.send_response(200 if data else 500)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def external_tsa(tmp_path: Path):
    tsa = OpenSSLTSA(make_tsa(tmp_path / "tsa", "Test Qualified TSA"))
    yield tsa
    tsa.close()


def start_hub(server_factory, tsa: OpenSSLTSA, anchor: Path, tmp_path: Path):
    config = tmp_path / "missive.json"
    config.write_text(json.dumps({"channelRetryBaseSeconds": 1}))  # a failed seal is retried after ~1 s
    return server_factory("--config", str(config), "--time-stamp-url", tsa.url, "--time-stamp-trust-anchor", str(anchor), name="external-tsa")


def acceptance(server, envelope_id: str, timeout: float = 30) -> dict:
    return wait_until(lambda: next((i for i in server.get(f"/v1/envelopes/{envelope_id}/evidence").json()["items"]
                                    if i["event"] == "SubmissionAcceptance"), None), timeout=timeout, what="the acceptance evidence")


def test_seals_carry_the_external_tsas_token_and_openssl_verifies_them(server_factory, external_tsa: OpenSSLTSA, tmp_path: Path) -> None:
    server = start_hub(server_factory, external_tsa, external_tsa.folder / "root.pem", tmp_path)
    pdf = make_pdf(f"external tsa {uuid.uuid4()}")
    envelope = server.submit_ok({"recipient": server.recipient("physical")["recipient"]}, pdf)
    item = acceptance(server, envelope["id"])
    assert external_tsa.requests >= 2  # the record's seal and the document's seal
    record, seal = server.get(item["recordUrl"]).content, server.get(item["sealUrl"]).content
    (tmp_path / "record.json").write_bytes(record)
    (tmp_path / "record.p7s").write_bytes(seal)
    anchors = tmp_path / "anchors.pem"
    anchors.write_text(Path(server.sandbox["trustAnchor"]).read_text() + (external_tsa.folder / "root.pem").read_text())
    verified = subprocess.run([OPENSSL, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "record.p7s"), "-content",
                               str(tmp_path / "record.json"), "-CAfile", str(anchors), "-purpose", "any", "-cades", "-out", "/dev/null"],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    printed = run("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "record.p7s")).stdout
    assert "id-smime-aa-timeStampToken" in printed and "Test Qualified TSA" in printed
    # The embedded token verifies against the external TSA's root, and not against the sandbox's.
    signature, token = signature_time_stamp(seal)
    assert ts_verify(token, signature, str(external_tsa.folder / "root.pem"), tmp_path).returncode == 0
    assert ts_verify(token, signature, server.sandbox["trustAnchor"], tmp_path).returncode != 0
    # The hub's own verification knows both roots.
    import base64
    report = server.post("/v1/evidence-verifications", json={"record": base64.b64encode(record).decode(), "seal": base64.b64encode(seal).decode(),
                                                              "document": base64.b64encode(pdf).decode()}).json()
    assert report["valid"] is True, report
    # Offline: the seal's root alone does not vouch for the external TSA; with its root it does.
    (tmp_path / "letter.pdf").write_bytes(pdf)
    cli = [str(server.binary), "verify", str(tmp_path / "letter.pdf"), str(tmp_path / "record.json"), "--trust-anchor", server.sandbox["trustAnchor"]]
    alone = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert alone.returncode == 1 and "time-stamp" in alone.stdout, alone.stdout
    both = subprocess.run(cli + ["--tsa-trust-anchor", str(external_tsa.folder / "root.pem")], capture_output=True, text=True, timeout=60)
    assert both.returncode == 0, both.stdout + both.stderr


def test_while_the_tsa_is_down_letters_are_accepted_and_their_evidence_waits(server_factory, external_tsa: OpenSSLTSA, tmp_path: Path) -> None:
    server = start_hub(server_factory, external_tsa, external_tsa.folder / "root.pem", tmp_path)
    external_tsa.down = True
    envelope = server.submit_ok({"recipient": server.recipient("physical")["recipient"]}, make_pdf(f"tsa down {uuid.uuid4()}"))
    wait_until(lambda: external_tsa.requests >= 2, timeout=30, what="a seal attempt against the down TSA")
    assert server.get(f"/v1/envelopes/{envelope['id']}/evidence").json()["items"] == []
    assert server.envelope(envelope["id"])["status"] != "rejected"
    external_tsa.down = False
    item = acceptance(server, envelope["id"], timeout=60)
    assert item["event"] == "SubmissionAcceptance"


def test_a_tsa_that_does_not_chain_to_the_configured_anchor_is_never_trusted(server_factory, external_tsa: OpenSSLTSA, tmp_path: Path) -> None:
    stranger = make_tsa(tmp_path / "stranger", "Somebody Else")  # a root that did not issue the TSA's certificate
    server = start_hub(server_factory, external_tsa, stranger / "root.pem", tmp_path)
    envelope = server.submit_ok({"recipient": server.recipient("physical")["recipient"]}, make_pdf(f"untrusted tsa {uuid.uuid4()}"))
    wait_until(lambda: external_tsa.requests >= 3, timeout=30, what="seal attempts (first try and a retry)")
    assert server.get(f"/v1/envelopes/{envelope['id']}/evidence").json()["items"] == []
