"""Contract checks for the SOAP interface (wsdl/missive.wsdl + wsdl/missive.xsd).

No server is needed. What is checked:

- both files are well-formed and self-contained (no remote schemaLocation, no network);
- every sample in samples/ validates with `xmllint --schema wsdl/missive.xsd` and every
  sample in samples/invalid/ is refused, for the reason named in its `<!-- expect: ... -->`
  comment (so a sample cannot pass as "invalid" because of a typo elsewhere);
- the WSDL's structure: document/literal wrapped, one part `parameters` per message, the
  MissiveFault on every operation, two bindings (SOAP 1.1 and 1.2) with the agreed
  soapAction values, one service with two ports;
- the third-party client zeep loads the WSDL from disk (a transport that refuses the
  network), sees both ports and every operation, and for each operation and SOAP version
  produces a request whose body validates against the XSD (and carries the right
  SOAPAction / action parameter) and parses the sample response (and a fault) back.

A missing peer (`xmllint` from Debian `libxml2-utils`, the PyPI package `zeep`) is a
failure, never a skip.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from lxml import etree

try:
    import requests
    import zeep
    from zeep.transports import Transport
except ImportError as error:  # reported by the `zeep_client` fixture, as a failure
    zeep = None
    ZEEP_IMPORT_ERROR = error

    class Transport:  # placeholder so the class below can be defined
        pass

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WSDL = ROOT / "wsdl" / "missive.wsdl"
XSD = ROOT / "wsdl" / "missive.xsd"
SAMPLES = HERE / "samples"
INVALID = SAMPLES / "invalid"

NS = "urn:missive:soap:v1"
XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP11_WSDL = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12_WSDL = "http://schemas.xmlsoap.org/wsdl/soap12/"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
XMIME = "http://www.w3.org/2005/05/xmlmime"
ADDRESS = "http://127.0.0.1:8080/soap"

OPERATIONS = ["SubmitLetter", "SubmitBatch", "GetStatus", "GetEvents", "CancelEnvelope", "CheckReachability"]
# Operation input parameters as a generated client sees them (wrapped style: the wrapper's children).
INPUT_PARAMETERS = {
    "SubmitLetter": ["clientReference", "envelope", "document", "attachment"],
    "SubmitBatch": ["item"],
    "GetStatus": ["envelopeId"],
    "GetEvents": ["envelopeId", "after", "limit"],
    "CancelEnvelope": ["envelopeId"],
    "CheckReachability": ["recipient", "kind"],
}
PORTS = {"MissiveSoap11": ("Soap11Binding", "MissiveSoap11Binding"), "MissiveSoap12": ("Soap12Binding", "MissiveSoap12Binding")}

VALID_SAMPLES = sorted(SAMPLES.glob("*.xml"))
INVALID_SAMPLES = sorted(INVALID.glob("*.xml"))


def q(local: str, ns: str = NS) -> str:
    return f"{{{ns}}}{local}"


# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def xmllint() -> str:
    path = shutil.which("xmllint")
    if path is None:
        pytest.fail("xmllint is missing: install the Debian package libxml2-utils "
                    "(apt-get install libxml2-utils)", pytrace=False)
    return path


def validate(xmllint: str, sample: Path) -> subprocess.CompletedProcess:
    return subprocess.run([xmllint, "--noout", "--nonet", "--schema", str(XSD), str(sample)],
                          capture_output=True, text=True, timeout=120)


class LocalFilesOnly(Transport):
    """A zeep transport that loads local files and refuses every network access."""

    def load(self, url):
        if urlparse(url).scheme in ("http", "https"):
            raise AssertionError(f"the WSDL made zeep fetch {url} over the network")
        return super().load(url)

    def post(self, address, message, headers):
        raise AssertionError(f"unexpected POST to {address}")

    def get(self, address, params, headers):
        raise AssertionError(f"unexpected GET of {address}")


class CannedTransport(LocalFilesOnly):
    """Captures the request zeep would send and answers with a prepared SOAP response."""

    def __init__(self, status: int, body: bytes, content_type: str):
        super().__init__()
        self.answer = (status, body, content_type)
        self.sent: list[tuple[str, bytes, dict]] = []

    def post(self, address, message, headers):
        self.sent.append((address, message, dict(headers)))
        status, body, content_type = self.answer
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = content_type
        response.encoding = "utf-8"
        response.url = address
        return response


@pytest.fixture(scope="session")
def zeep_client():
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    return zeep.Client(str(WSDL), transport=LocalFilesOnly())


def canned_client(status: int, body: bytes, content_type: str):
    transport = CannedTransport(status, body, content_type)
    return zeep.Client(str(WSDL), transport=transport), transport


# --------------------------------------------------------------------------------------
# The files themselves
# --------------------------------------------------------------------------------------

def test_xmllint_is_installed(xmllint):
    assert Path(xmllint).exists()


@pytest.mark.parametrize("path", [WSDL, XSD], ids=lambda p: p.name)
def test_well_formed(xmllint, path):
    result = subprocess.run([xmllint, "--noout", "--nonet", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", [WSDL, XSD], ids=lambda p: p.name)
def test_needs_no_network(path):
    tree = etree.parse(str(path))
    locations = tree.xpath("//@schemaLocation | //@location")
    for location in locations:
        element = location.getparent()
        if element.tag in (q("address", SOAP11_WSDL), q("address", SOAP12_WSDL)):
            continue  # the endpoint, not something to load
        assert not urlparse(str(location)).scheme, f"{path.name} loads {location} from elsewhere"
        assert (path.parent / str(location)).is_file(), f"{path.name} refers to a missing file {location}"
    assert tree.xpath("//xs:include | //xs:redefine", namespaces={"xs": XS}) == []
    assert "<!DOCTYPE" not in path.read_text(encoding="utf-8")


def test_xsd_header():
    schema = etree.parse(str(XSD)).getroot()
    assert schema.get("targetNamespace") == NS
    assert schema.get("elementFormDefault") == "qualified"
    assert schema.xpath("xs:import", namespaces={"xs": XS}) == [], "the XSD must import nothing"
    content = schema.xpath("xs:complexType[@name='Document']//xs:element[@name='content']", namespaces={"xs": XS})
    assert len(content) == 1
    assert content[0].get("type") == "xs:base64Binary"
    assert content[0].get(q("expectedContentTypes", XMIME)) == "application/pdf"


def test_wsdl_imports_the_xsd_by_relative_location():
    tree = etree.parse(str(WSDL))
    imports = tree.xpath("/wsdl:definitions/wsdl:types/xs:schema/xs:import", namespaces={"wsdl": WSDL_NS, "xs": XS})
    assert [(i.get("namespace"), i.get("schemaLocation")) for i in imports] == [(NS, "missive.xsd")]


# --------------------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------------------

def test_there_are_samples():
    assert len(VALID_SAMPLES) >= 15 and len(INVALID_SAMPLES) >= 3


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=lambda p: p.name)
def test_valid_sample_validates(xmllint, sample):
    result = validate(xmllint, sample)
    assert result.returncode == 0, result.stderr


def element_of(sample: Path) -> str:
    """`Op[.variant].response.xml` holds OpResponse; any other `Name[.variant].xml` holds Name."""
    first = sample.name.split(".")[0]
    return first + "Response" if sample.name.endswith(".response.xml") else first


@pytest.mark.parametrize("sample", VALID_SAMPLES + INVALID_SAMPLES, ids=lambda p: p.name)
def test_sample_is_named_after_its_element(sample):
    root = etree.parse(str(sample)).getroot()
    assert root.tag == q(element_of(sample)), f"{sample.name} holds {root.tag}"


def test_every_global_element_has_a_valid_sample():
    schema = etree.parse(str(XSD)).getroot()
    elements = {e.get("name") for e in schema.xpath("xs:element", namespaces={"xs": XS})}
    sampled = {etree.parse(str(s)).getroot().tag.split("}")[1] for s in VALID_SAMPLES}
    assert elements - sampled == set(), "global elements without a valid sample"


def expected_error(sample: Path) -> str:
    match = re.search(r"<!--\s*expect:\s*(.*?)\s*-->", sample.read_text(encoding="utf-8"))
    assert match, f"{sample.name} has no <!-- expect: ... --> comment"
    return match.group(1)


@pytest.mark.parametrize("sample", INVALID_SAMPLES, ids=lambda p: p.name)
def test_invalid_sample_is_refused(xmllint, sample):
    result = validate(xmllint, sample)
    assert result.returncode != 0, f"{sample.name} validates but must not"
    assert "Schemas validity error" in result.stderr, result.stderr  # not a broken schema or file
    assert expected_error(sample) in result.stderr, result.stderr


def test_required_invalid_cases_exist():
    names = {s.name for s in INVALID_SAMPLES}
    for name in ("SubmitLetter.wrong-enum.xml", "SubmitLetter.bad-uid.xml", "SubmitLetter.missing-document.xml"):
        assert name in names


def test_batch_of_101_items_is_refused(xmllint, tmp_path):
    item = (SAMPLES / "SubmitLetter.minimal.request.xml").read_text(encoding="utf-8")
    inner = item.split("<SubmitLetter xmlns=\"urn:missive:soap:v1\">", 1)[1].rsplit("</SubmitLetter>", 1)[0]
    items = "".join(f"<item>{inner}</item>" for _ in range(101))
    path = tmp_path / "SubmitBatch.101.xml"
    path.write_text(f'<SubmitBatch xmlns="urn:missive:soap:v1">{items}</SubmitBatch>', encoding="utf-8")
    result = validate(xmllint, path)
    assert result.returncode != 0
    assert "Element '{urn:missive:soap:v1}item': This element is not expected" in result.stderr, result.stderr
    path.write_text(f'<SubmitBatch xmlns="urn:missive:soap:v1">{items[:len(items) // 101 * 100]}</SubmitBatch>', encoding="utf-8")
    assert validate(xmllint, path).returncode == 0


# --------------------------------------------------------------------------------------
# WSDL structure (read directly, independent of any toolkit)
# --------------------------------------------------------------------------------------

WSDL_NSMAP = {"wsdl": WSDL_NS, "soap": SOAP11_WSDL, "soap12": SOAP12_WSDL, "xs": XS}


@pytest.fixture(scope="module")
def wsdl_root():
    return etree.parse(str(WSDL)).getroot()


def resolve(element, qname: str) -> str:
    prefix, local = qname.split(":")
    return q(local, element.nsmap[prefix])


def test_definitions(wsdl_root):
    assert wsdl_root.tag == q("definitions", WSDL_NS)
    assert wsdl_root.get("targetNamespace") == NS


def test_messages_are_wrapped_documents(wsdl_root):
    messages = wsdl_root.xpath("wsdl:message", namespaces=WSDL_NSMAP)
    expected = {f"{op}Request": op for op in OPERATIONS} | {f"{op}Response": f"{op}Response" for op in OPERATIONS}
    expected["MissiveFault"] = "fault"
    assert {m.get("name") for m in messages} == set(expected)
    for message in messages:
        parts = message.xpath("wsdl:part", namespaces=WSDL_NSMAP)
        assert len(parts) == 1 and parts[0].get("name") == "parameters", message.get("name")
        assert parts[0].get("type") is None
        assert resolve(parts[0], parts[0].get("element")) == q(expected[message.get("name")])


def test_port_type(wsdl_root):
    port_types = wsdl_root.xpath("wsdl:portType", namespaces=WSDL_NSMAP)
    assert [p.get("name") for p in port_types] == ["MissivePort"]
    operations = port_types[0].xpath("wsdl:operation", namespaces=WSDL_NSMAP)
    assert [o.get("name") for o in operations] == OPERATIONS
    for operation in operations:
        name = operation.get("name")
        (input_,) = operation.xpath("wsdl:input", namespaces=WSDL_NSMAP)
        (output,) = operation.xpath("wsdl:output", namespaces=WSDL_NSMAP)
        (fault,) = operation.xpath("wsdl:fault", namespaces=WSDL_NSMAP)
        assert resolve(input_, input_.get("message")) == q(f"{name}Request")
        assert resolve(output, output.get("message")) == q(f"{name}Response")
        assert fault.get("name") == "MissiveFault" and resolve(fault, fault.get("message")) == q("MissiveFault")


@pytest.mark.parametrize("binding_name,prefix", [("MissiveSoap11Binding", "soap"), ("MissiveSoap12Binding", "soap12")])
def test_binding(wsdl_root, binding_name, prefix):
    (binding,) = wsdl_root.xpath(f"wsdl:binding[@name='{binding_name}']", namespaces=WSDL_NSMAP)
    assert resolve(binding, binding.get("type")) == q("MissivePort")
    (soap_binding,) = binding.xpath(f"{prefix}:binding", namespaces=WSDL_NSMAP)
    assert soap_binding.get("style") == "document"
    assert soap_binding.get("transport") == HTTP_TRANSPORT
    operations = binding.xpath("wsdl:operation", namespaces=WSDL_NSMAP)
    assert [o.get("name") for o in operations] == OPERATIONS
    for operation in operations:
        (soap_operation,) = operation.xpath(f"{prefix}:operation", namespaces=WSDL_NSMAP)
        assert soap_operation.get("soapAction") == f"{NS}#{operation.get('name')}"
        assert soap_operation.get("style") in (None, "document")
        if prefix == "soap12":
            assert soap_operation.get("soapActionRequired") in (None, "false")
        for direction in ("input", "output"):
            (body,) = operation.xpath(f"wsdl:{direction}/{prefix}:body", namespaces=WSDL_NSMAP)
            assert body.get("use") == "literal"
            assert body.get("parts") is None and body.get("encodingStyle") is None
        (fault,) = operation.xpath(f"wsdl:fault[@name='MissiveFault']/{prefix}:fault", namespaces=WSDL_NSMAP)
        assert fault.get("name") == "MissiveFault" and fault.get("use") == "literal"


def test_service(wsdl_root):
    (service,) = wsdl_root.xpath("wsdl:service", namespaces=WSDL_NSMAP)
    assert service.get("name") == "MissiveService"
    ports = {p.get("name"): p for p in service.xpath("wsdl:port", namespaces=WSDL_NSMAP)}
    assert set(ports) == set(PORTS)
    assert resolve(ports["MissiveSoap11"], ports["MissiveSoap11"].get("binding")) == q("MissiveSoap11Binding")
    assert resolve(ports["MissiveSoap12"], ports["MissiveSoap12"].get("binding")) == q("MissiveSoap12Binding")
    assert ports["MissiveSoap11"].xpath("soap:address/@location", namespaces=WSDL_NSMAP) == [ADDRESS]
    assert ports["MissiveSoap12"].xpath("soap12:address/@location", namespaces=WSDL_NSMAP) == [ADDRESS]


# --------------------------------------------------------------------------------------
# zeep, a third-party client generated from the WSDL
# --------------------------------------------------------------------------------------

def test_zeep_sees_the_service_and_both_ports(zeep_client):
    services = zeep_client.wsdl.services
    assert list(services) == ["MissiveService"]
    ports = services["MissiveService"].ports
    assert set(ports) == set(PORTS)
    for name, (binding_class, binding_name) in PORTS.items():
        port = ports[name]
        assert type(port.binding).__name__ == binding_class
        assert port.binding.name == etree.QName(NS, binding_name)
        assert port.binding_options["address"] == ADDRESS


@pytest.mark.parametrize("port", list(PORTS))
@pytest.mark.parametrize("name", OPERATIONS)
def test_zeep_operation(zeep_client, port, name):
    binding = zeep_client.wsdl.services["MissiveService"].ports[port].binding
    operation = binding.get(name)
    assert operation.soapaction == f"{NS}#{name}"
    assert operation.input.body.qname == etree.QName(NS, name)
    assert operation.output.body.qname == etree.QName(NS, f"{name}Response")
    assert list(operation.faults) == ["MissiveFault"]
    assert [element_name for element_name, _ in operation.input.body.type.elements] == INPUT_PARAMETERS[name]
    assert operation.input.signature().startswith(f"{INPUT_PARAMETERS[name][0]}: ")


PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
ENVELOPE = {
    "recipient": {"postal": {"name": "Anna Muster", "street": "Bahnhofstrasse", "houseNumber": "1", "postcode": "8001", "town": "Zürich"}},
    "kind": "invoice",
    "title": "Rechnung 42",
    "reference": "INV-42",
    "policy": {"mode": "auto", "printIfNotConsultedAfterDays": 10, "notBefore": dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)},
    "print": {"mailClass": "A", "color": False, "duplex": True, "addressPlacement": "left"},
    "invoice": {"amount": "120.50", "currency": "CHF", "iban": "CH4431999123000889012", "dueDate": dt.date(2026, 12, 31)},
}
LETTER = {"clientReference": "ERP-1", "envelope": ENVELOPE,
          "document": {"filename": "letter.pdf", "mediaType": "application/pdf", "content": PDF},
          "attachment": [{"filename": "terms.pdf", "content": PDF}]}
REQUESTS = {
    "SubmitLetter": LETTER,
    "SubmitBatch": {"item": [LETTER, {"envelope": {"recipient": {"ePostAddress": "anna.muster@epost.sandbox.missive.ch"}}, "document": {"content": PDF}}]},
    "GetStatus": {"envelopeId": "env_01JDQ8Z6X4T9V2K7M3N5P8R1SA"},
    "GetEvents": {"after": "evt_01JDQ8Z6X5A0000000000000A1", "limit": 100},
    "CancelEnvelope": {"envelopeId": "env_01JDQ8Z6X4T9V2K7M3N5P8R1SA"},
    "CheckReachability": {"recipient": {"uid": "CHE-123.456.789"}, "kind": "invoice"},
}
ENVELOPES = {"MissiveSoap11": (SOAP11_ENV, "text/xml; charset=utf-8"), "MissiveSoap12": (SOAP12_ENV, "application/soap+xml; charset=utf-8")}


def soap_response(port: str, payload: bytes) -> bytes:
    env_ns, _ = ENVELOPES[port]
    body = payload.split(b"?>", 1)[1] if payload.startswith(b"<?xml") else payload
    return (f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{env_ns}"><env:Body>'.encode()
            + body + b"</env:Body></env:Envelope>")


def check_response(name: str, result) -> None:
    if name == "SubmitLetter":
        assert (result.envelopeId, result.status, result.replayed) == ("env_01JDQ8Z6X4T9V2K7M3N5P8R1SA", "accepted", False)
    elif name == "SubmitBatch":
        assert [r.index for r in result] == [0, 1, 2]
        assert [r.status for r in result] == ["accepted", "accepted", None]
        assert result[1].replayed is True
        assert result[0].error is None and result[2].error.code == "invalid_document" and result[2].envelopeId is None
    elif name == "GetStatus":
        envelope = result
        assert envelope.status == "delivered" and envelope.channel == "ebill" and envelope.statusReason.code == "ebill_registered"
        assert envelope.createdAt == dt.datetime(2026, 11, 29, 9, 59, 58, 120000, tzinfo=dt.timezone.utc)
    elif name == "GetEvents":
        assert [e.type for e in result.event] == ["accepted", "routed", "delivered", "failed"]
        assert result.event[1].reason.code == "ebill_registered" and result.event[0].channel is None
        assert result.nextCursor == "evt_01JDQ8Z6X5A0000000000000A5"
    elif name == "CancelEnvelope":
        assert result.status == "cancelled"
    elif name == "CheckReachability":
        assert (result.reachable, result.channel, result.reason.code) == (True, "epost", "epost_mailbox")


@pytest.mark.parametrize("port", list(PORTS))
@pytest.mark.parametrize("name", OPERATIONS)
def test_zeep_round_trip(xmllint, tmp_path, port, name):
    """zeep's request validates against the XSD; zeep reads the sample response."""
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    env_ns, content_type = ENVELOPES[port]
    answer = soap_response(port, (SAMPLES / f"{name}.response.xml").read_bytes())
    client, transport = canned_client(200, answer, content_type)
    service = client.bind("MissiveService", port)
    result = getattr(service, name)(**REQUESTS[name])

    (address, message, headers) = transport.sent[0]
    assert address == ADDRESS
    action = f"{NS}#{name}"
    if port == "MissiveSoap11":
        assert headers["SOAPAction"] == f'"{action}"'
        assert headers["Content-Type"].startswith("text/xml")
    else:
        assert headers["Content-Type"].startswith("application/soap+xml")
        assert f'action="{action}"' in headers["Content-Type"]
    envelope = etree.fromstring(message)
    assert envelope.tag == q("Envelope", env_ns)
    (payload,) = envelope.find(q("Body", env_ns))
    assert payload.tag == q(name)
    sent = tmp_path / f"{name}.sent.xml"
    sent.write_bytes(etree.tostring(payload, xml_declaration=True, encoding="UTF-8"))
    validation = validate(xmllint, sent)
    assert validation.returncode == 0, validation.stderr

    check_response(name, result)


def test_zeep_sends_inline_base64(zeep_client):
    message = zeep_client.create_message(zeep_client.service, "SubmitLetter", **LETTER)
    content = message.find(f".//{q('document')}/{q('content')}")
    assert base64.b64decode(content.text) == PDF


def fault_envelope(port: str, code: str, text: str) -> bytes:
    detail = f'<m:fault xmlns:m="{NS}"><m:code>{code}</m:code><m:text>{text}</m:text></m:fault>'
    side = "Client" if code not in ("rate_limited", "temporarily_unavailable", "idempotency_in_flight", "internal_error") else "Server"
    if port == "MissiveSoap11":
        body = (f"<soap:Fault><faultcode>soap:{side}</faultcode><faultstring>{text}</faultstring>"
                f"<detail>{detail}</detail></soap:Fault>")
        return f'<soap:Envelope xmlns:soap="{SOAP11_ENV}"><soap:Body>{body}</soap:Body></soap:Envelope>'.encode()
    value = "Sender" if side == "Client" else "Receiver"
    body = (f'<env:Fault><env:Code><env:Value>env:{value}</env:Value><env:Subcode><env:Value xmlns:m="{NS}">m:{code}</env:Value>'
            f'</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">{text}</env:Text></env:Reason>'
            f"<env:Detail>{detail}</env:Detail></env:Fault>")
    return f'<env:Envelope xmlns:env="{SOAP12_ENV}"><env:Body>{body}</env:Body></env:Envelope>'.encode()


@pytest.mark.parametrize("port,status", [("MissiveSoap11", 500), ("MissiveSoap12", 400), ("MissiveSoap12", 500)])
def test_zeep_reads_the_fault_format(port, status):
    """The fault format documented in docs/soap.md reaches a zeep caller intact."""
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    code = "not_found" if status != 500 or port == "MissiveSoap11" else "temporarily_unavailable"
    client, _ = canned_client(status, fault_envelope(port, code, "No such envelope."), ENVELOPES[port][1])
    service = client.bind("MissiveService", port)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        service.GetStatus(envelopeId="env_01JDQ8Z6X4T9V2K7M3N5P8R1SA")
    fault = raised.value
    assert fault.message == "No such envelope."
    assert fault.detail.findtext(f"{q('fault')}/{q('code')}") == code
    if port == "MissiveSoap12":
        assert fault.code.endswith("Sender" if status == 400 else "Receiver")
        assert [s.localname for s in fault.subcodes] == [code] and fault.subcodes[0].namespace == NS
    else:
        assert fault.code == "soap:Client"


def test_zeep_parses_a_status_notification(zeep_client):
    """A sender's callback endpoint written with zeep can read StatusNotification."""
    element = zeep_client.get_element(f"{{{NS}}}StatusNotification")
    node = etree.parse(str(SAMPLES / "StatusNotification.xml")).getroot()
    notification = element.parse(node, zeep_client.wsdl.types)
    assert notification.event.type == "posted" and notification.event.channel == "physical"
    assert notification.reference == "PAY-2026-11-0002"


def test_zeep_parses_the_fault_detail(zeep_client):
    element = zeep_client.get_element(f"{{{NS}}}fault")
    fault = element.parse(etree.parse(str(SAMPLES / "fault.xml")).getroot(), zeep_client.wsdl.types)
    assert fault.code == "invalid_field"
