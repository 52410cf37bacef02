"""Contract checks for the SOAP interface (wsdl/missive.wsdl + wsdl/missive.xsd).

No server is needed. What is checked:

- both files are well-formed and self-contained (no remote schemaLocation, no network);
- every sample in samples/ validates with `xmllint --schema wsdl/missive.xsd` and every
  sample in samples/invalid/ is refused, for the reason named in its `<!-- expect: ... -->`
  comment (so a sample cannot pass as "invalid" because of a typo elsewhere);
- the WSDL's structure: document/literal wrapped, one part `parameters` per message, two
  portTypes: MissivePort (Missive's operations, the MissiveFault on every one) and
  MissiveStatusCallbackPort (StatusNotification, implemented by the sender, no fault); for
  each a SOAP 1.1 and a SOAP 1.2 binding with the agreed soapAction values (SOAP 1.2:
  soapActionRequired="false"), and a service with a port for each binding: MissiveService
  and MissiveStatusCallbackService (placeholder address);
- the third-party client zeep loads the WSDL from disk (a transport that refuses the
  network), sees both services, their ports and every operation, and for each operation and
  SOAP version produces a request whose body validates against the XSD (and carries the
  right SOAPAction / action parameter) and parses the sample response (and a fault) back;
  for StatusNotification, zeep plays Missive calling the sender's callback endpoint.

A missing peer (`xmllint` from Debian `libxml2-utils`, the PyPI package `zeep`) is a
failure, never a skip.
"""

from __future__ import annotations

import base64
import json
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
CALLBACK_ADDRESS = "https://erp.example/missive/status"  # a placeholder: the sender registers its own URL

OPERATIONS = ["SubmitLetter", "SubmitBatch", "GetStatus", "GetEvidence", "GetEvents", "CancelEnvelope", "CheckReachability",
              "CheckReachabilityBatch", "SetStatusCallback", "RemoveStatusCallback"]
CALLBACK_OPERATIONS = ["StatusNotification"]
# Operation input parameters as a generated client sees them (wrapped style: the wrapper's children).
INPUT_PARAMETERS = {
    "SubmitLetter": ["clientReference", "envelope", "document", "attachment"],
    "SubmitBatch": ["item"],
    "GetStatus": ["envelopeId"],
    "GetEvidence": ["envelopeId"],
    "GetEvents": ["envelopeId", "after", "limit"],
    "CancelEnvelope": ["envelopeId"],
    "CheckReachability": ["recipient", "kind"],
    "CheckReachabilityBatch": ["item", "kind"],
    "SetStatusCallback": ["url", "soapVersion", "eventType"],
    "RemoveStatusCallback": [],
    "StatusNotification": ["notificationId", "type", "event"],
}
PORTS = {"MissiveSoap11": ("Soap11Binding", "MissiveSoap11Binding"), "MissiveSoap12": ("Soap12Binding", "MissiveSoap12Binding")}
CALLBACK_PORTS = {"MissiveStatusCallbackSoap11": ("Soap11Binding", "MissiveStatusCallbackSoap11Binding"),
                  "MissiveStatusCallbackSoap12": ("Soap12Binding", "MissiveStatusCallbackSoap12Binding")}
# portType -> (its operations, whether every operation declares the MissiveFault)
PORT_TYPES = {"MissivePort": (OPERATIONS, True), "MissiveStatusCallbackPort": (CALLBACK_OPERATIONS, False)}
# binding -> (SOAP binding prefix in WSDL_NSMAP, portType)
BINDINGS = {
    "MissiveSoap11Binding": ("soap", "MissivePort"),
    "MissiveSoap12Binding": ("soap12", "MissivePort"),
    "MissiveStatusCallbackSoap11Binding": ("soap", "MissiveStatusCallbackPort"),
    "MissiveStatusCallbackSoap12Binding": ("soap12", "MissiveStatusCallbackPort"),
}
# service -> (address, ports, operations)
SERVICES = {
    "MissiveService": (ADDRESS, PORTS, OPERATIONS),
    "MissiveStatusCallbackService": (CALLBACK_ADDRESS, CALLBACK_PORTS, CALLBACK_OPERATIONS),
}
SERVICE_OPERATIONS = [(service, port, name) for service, (_, ports, operations) in SERVICES.items()
                      for port in ports for name in operations]

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
    assert len(VALID_SAMPLES) >= 29 and len(INVALID_SAMPLES) >= 3


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
    for name in ("SubmitLetter.wrong-enum.xml", "SubmitLetter.bad-uid.xml", "SubmitLetter.missing-document.xml",
                 "SetStatusCallback.too-many-event-types.xml", "SetStatusCallback.unknown-soap-version.xml",
                 "StatusNotification.missing-notification-id.xml", "StatusNotification.legacy-reference.xml"):
        assert name in names


def test_reachability_batch_of_1001_items_is_refused(xmllint, tmp_path):
    item = '<item><recipient><uid>CHE-123.456.789</uid></recipient></item>'
    path = tmp_path / "CheckReachabilityBatch.1001.xml"
    path.write_text(f'<CheckReachabilityBatch xmlns="urn:missive:soap:v1">{item * 1001}</CheckReachabilityBatch>', encoding="utf-8")
    result = validate(xmllint, path)
    assert result.returncode != 0
    assert "Element '{urn:missive:soap:v1}item': This element is not expected" in result.stderr, result.stderr
    path.write_text(f'<CheckReachabilityBatch xmlns="urn:missive:soap:v1">{item * 1000}</CheckReachabilityBatch>', encoding="utf-8")
    assert validate(xmllint, path).returncode == 0


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


def test_status_callback_accepts_every_event_type_once(xmllint, tmp_path):
    """eventType allows each of the 11 statuses (EnvelopeStatus) and not one more."""
    schema = etree.parse(str(XSD)).getroot()
    statuses = schema.xpath("xs:simpleType[@name='EnvelopeStatus']/xs:restriction/xs:enumeration/@value", namespaces={"xs": XS})
    assert len(statuses) == 11
    (event_type,) = schema.xpath("xs:element[@name='SetStatusCallback']//xs:element[@name='eventType']", namespaces={"xs": XS})
    assert (event_type.get("type"), event_type.get("minOccurs"), event_type.get("maxOccurs")) == ("m:EnvelopeStatus", "0", "11")
    path = tmp_path / "SetStatusCallback.all.xml"
    url = "<url>https://erp.example.ch/missive/status</url><soapVersion>1.1</soapVersion>"
    for types, valid in ((statuses, True), (statuses + ["delivered"], False)):
        children = "".join(f"<eventType>{t}</eventType>" for t in types)
        path.write_text(f'<SetStatusCallback xmlns="urn:missive:soap:v1">{url}{children}</SetStatusCallback>', encoding="utf-8")
        result = validate(xmllint, path)
        assert (result.returncode == 0) is valid, result.stderr
        if not valid:
            assert "Element '{urn:missive:soap:v1}eventType': This element is not expected" in result.stderr, result.stderr


NOTIFICATION_ID = re.compile(r"msg_[0-9A-HJKMNP-TV-Z]{26}")


@pytest.mark.parametrize("sample", [s for s in VALID_SAMPLES if element_of(s) == "StatusNotification"], ids=lambda p: p.name)
def test_status_notification_sample_is_consistent(sample):
    """What the XSD cannot say: type is "envelope." + the event's type, or "webhook.test" without event."""
    root = etree.parse(str(sample)).getroot()
    assert [child.tag for child in root][:2] == [q("notificationId"), q("type")]
    assert NOTIFICATION_ID.fullmatch(root.findtext(q("notificationId")))
    event = root.find(q("event"))
    if event is None:
        assert root.findtext(q("type")) == "webhook.test"
    else:
        assert root.findtext(q("type")) == "envelope." + event.findtext(q("type"))
        assert event.findtext(q("id")).startswith("evt_") and event.findtext(q("envelopeId")).startswith("env_")


def test_status_notification_samples_cover_both_kinds():
    kinds = {etree.parse(str(s)).getroot().find(q("event")) is None
             for s in VALID_SAMPLES if element_of(s) == "StatusNotification"}
    assert kinds == {True, False}, "a StatusNotification sample with an event and one without (webhook.test)"


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
    operations = OPERATIONS + CALLBACK_OPERATIONS
    expected = {f"{op}Request": op for op in operations} | {f"{op}Response": f"{op}Response" for op in operations}
    expected["MissiveFault"] = "fault"
    assert {m.get("name") for m in messages} == set(expected)
    assert len(messages) == len(expected), "duplicate message names"
    for message in messages:
        parts = message.xpath("wsdl:part", namespaces=WSDL_NSMAP)
        assert len(parts) == 1 and parts[0].get("name") == "parameters", message.get("name")
        assert parts[0].get("type") is None
        assert resolve(parts[0], parts[0].get("element")) == q(expected[message.get("name")])


def test_wrapper_elements_exist_once(wsdl_root):
    """Every element a message names is a global element of the XSD, and no two operations share one."""
    schema = etree.parse(str(XSD)).getroot()
    elements = [e.get("name") for e in schema.xpath("xs:element", namespaces={"xs": XS})]
    assert len(elements) == len(set(elements))
    used = [resolve(part, part.get("element")) for part in wsdl_root.xpath("wsdl:message/wsdl:part", namespaces=WSDL_NSMAP)]
    assert len(used) == len(set(used)), "two messages name the same element"
    assert {u.split("}")[1] for u in used} <= set(elements)


def test_port_types(wsdl_root):
    port_types = wsdl_root.xpath("wsdl:portType", namespaces=WSDL_NSMAP)
    assert [p.get("name") for p in port_types] == list(PORT_TYPES)


@pytest.mark.parametrize("port_type_name", list(PORT_TYPES))
def test_port_type(wsdl_root, port_type_name):
    expected_operations, with_fault = PORT_TYPES[port_type_name]
    (port_type,) = wsdl_root.xpath(f"wsdl:portType[@name='{port_type_name}']", namespaces=WSDL_NSMAP)
    operations = port_type.xpath("wsdl:operation", namespaces=WSDL_NSMAP)
    assert [o.get("name") for o in operations] == expected_operations
    for operation in operations:
        name = operation.get("name")
        assert operation.get("parameterOrder") is None
        # request-response only (WS-I BP R2303: no solicit-response or notification operations)
        assert [etree.QName(c).localname for c in operation if c.tag is not etree.Comment
                and c.tag != q("documentation", WSDL_NS)] == ["input", "output"] + (["fault"] if with_fault else [])
        (input_,) = operation.xpath("wsdl:input", namespaces=WSDL_NSMAP)
        (output,) = operation.xpath("wsdl:output", namespaces=WSDL_NSMAP)
        assert resolve(input_, input_.get("message")) == q(f"{name}Request")
        assert resolve(output, output.get("message")) == q(f"{name}Response")
        assert (input_.get("name"), output.get("name")) == (f"{name}Request", f"{name}Response")
        faults = operation.xpath("wsdl:fault", namespaces=WSDL_NSMAP)
        if with_fault:
            (fault,) = faults
            assert fault.get("name") == "MissiveFault" and resolve(fault, fault.get("message")) == q("MissiveFault")
        else:
            assert faults == [], f"{name} declares a fault"


def test_bindings(wsdl_root):
    bindings = wsdl_root.xpath("wsdl:binding", namespaces=WSDL_NSMAP)
    assert [b.get("name") for b in bindings] == list(BINDINGS)


@pytest.mark.parametrize("binding_name", list(BINDINGS))
def test_binding(wsdl_root, binding_name):
    prefix, port_type_name = BINDINGS[binding_name]
    expected_operations, with_fault = PORT_TYPES[port_type_name]
    (binding,) = wsdl_root.xpath(f"wsdl:binding[@name='{binding_name}']", namespaces=WSDL_NSMAP)
    assert resolve(binding, binding.get("type")) == q(port_type_name)
    (soap_binding,) = binding.xpath(f"{prefix}:binding", namespaces=WSDL_NSMAP)
    other = "soap12" if prefix == "soap" else "soap"
    assert binding.xpath(f".//{other}:*", namespaces=WSDL_NSMAP) == [], f"{binding_name} mixes SOAP versions"
    assert soap_binding.get("style") == "document"
    assert soap_binding.get("transport") == HTTP_TRANSPORT
    operations = binding.xpath("wsdl:operation", namespaces=WSDL_NSMAP)
    assert [o.get("name") for o in operations] == expected_operations
    for operation in operations:
        (soap_operation,) = operation.xpath(f"{prefix}:operation", namespaces=WSDL_NSMAP)
        assert soap_operation.get("soapAction") == f"{NS}#{operation.get('name')}"
        assert soap_operation.get("style") in (None, "document")
        if prefix == "soap12":
            # the action parameter is optional, as the bindings document (the attribute's default is "true")
            assert soap_operation.get("soapActionRequired") == "false"
        for direction, suffix in (("input", "Request"), ("output", "Response")):
            (side,) = operation.xpath(f"wsdl:{direction}", namespaces=WSDL_NSMAP)
            assert side.get("name") == f"{operation.get('name')}{suffix}", "must match the portType's name"
            (body,) = side.xpath(f"{prefix}:body", namespaces=WSDL_NSMAP)
            assert body.get("use") == "literal"
            assert body.get("parts") is None and body.get("encodingStyle") is None and body.get("namespace") is None
            assert side.xpath(f"{prefix}:header", namespaces=WSDL_NSMAP) == []
        faults = operation.xpath("wsdl:fault", namespaces=WSDL_NSMAP)
        if with_fault:
            (wsdl_fault,) = faults
            (fault,) = wsdl_fault.xpath(f"{prefix}:fault", namespaces=WSDL_NSMAP)
            assert wsdl_fault.get("name") == "MissiveFault"
            assert fault.get("name") == "MissiveFault" and fault.get("use") == "literal"
            assert fault.get("namespace") is None and fault.get("encodingStyle") is None
        else:
            assert faults == []


def test_services(wsdl_root):
    services = wsdl_root.xpath("wsdl:service", namespaces=WSDL_NSMAP)
    assert [s.get("name") for s in services] == list(SERVICES)


@pytest.mark.parametrize("service_name", list(SERVICES))
def test_service(wsdl_root, service_name):
    address, expected_ports, _ = SERVICES[service_name]
    (service,) = wsdl_root.xpath(f"wsdl:service[@name='{service_name}']", namespaces=WSDL_NSMAP)
    ports = {p.get("name"): p for p in service.xpath("wsdl:port", namespaces=WSDL_NSMAP)}
    assert list(ports) == list(expected_ports)
    for port_name, (_, binding_name) in expected_ports.items():
        port = ports[port_name]
        assert resolve(port, port.get("binding")) == q(binding_name)
        prefix, _ = BINDINGS[binding_name]
        other = "soap12" if prefix == "soap" else "soap"
        assert port.xpath(f"{prefix}:address/@location", namespaces=WSDL_NSMAP) == [address]
        assert port.xpath(f"{other}:address", namespaces=WSDL_NSMAP) == []


# --------------------------------------------------------------------------------------
# zeep, a third-party client generated from the WSDL
# --------------------------------------------------------------------------------------

def test_zeep_sees_both_services_and_their_ports(zeep_client):
    services = zeep_client.wsdl.services
    assert list(services) == list(SERVICES)
    for service_name, (address, expected_ports, operations) in SERVICES.items():
        ports = services[service_name].ports
        assert list(ports) == list(expected_ports)
        for name, (binding_class, binding_name) in expected_ports.items():
            port = ports[name]
            assert type(port.binding).__name__ == binding_class
            assert port.binding.name == etree.QName(NS, binding_name)
            assert port.binding.port_name == etree.QName(NS, BINDINGS[binding_name][1])
            assert port.binding_options["address"] == address
            assert list(port.binding.all()) == operations


def service_operations():
    return [pytest.param(service, port, name, id=f"{port}-{name}") for service, port, name in SERVICE_OPERATIONS]


@pytest.mark.parametrize("service,port,name", service_operations())
def test_zeep_operation(zeep_client, service, port, name):
    binding = zeep_client.wsdl.services[service].ports[port].binding
    operation = binding.get(name)
    assert operation.soapaction == f"{NS}#{name}"
    assert operation.input.body.qname == etree.QName(NS, name)
    assert operation.output.body.qname == etree.QName(NS, f"{name}Response")
    assert list(operation.faults) == (["MissiveFault"] if name in OPERATIONS else [])
    assert [element_name for element_name, _ in operation.input.body.type.elements] == INPUT_PARAMETERS[name]
    if INPUT_PARAMETERS[name]:
        assert operation.input.signature().startswith(f"{INPUT_PARAMETERS[name][0]}: ")
    else:
        assert operation.input.signature() == ""


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
    "GetEvidence": {"envelopeId": "env_01JDQ8Z6X4T9V2K7M3N5P8R1SA"},
    "GetEvents": {"after": "evt_01JDQ8Z6X5A0000000000000A1", "limit": 100},
    "CancelEnvelope": {"envelopeId": "env_01JDQ8Z6X4T9V2K7M3N5P8R1SA"},
    "CheckReachability": {"recipient": {"uid": "CHE-123.456.789"}, "kind": "invoice"},
    "CheckReachabilityBatch": {"item": [{"reference": "K-1", "recipient": {"uid": "CHE-123.456.789"}},
                                        {"recipient": {"ePostAddress": "anna.muster@epost.sandbox.missive.ch"}}], "kind": "letter"},
    "SetStatusCallback": {"url": "https://erp.example.ch/missive/status", "soapVersion": "1.2", "eventType": ["delivered", "failed"]},
    "RemoveStatusCallback": {},
    # zeep in Missive's place, calling the sender's callback endpoint
    "StatusNotification": {"notificationId": "msg_01JDQ9C3D4E5F6G7H8J9K0M1N2", "type": "envelope.routed",
                           "event": {"id": "evt_01JDQ8Z6X5A0000000000000A3", "envelopeId": "env_01JDQ8Z6X4T9V2K7M3N5P8R1SA",
                                     "type": "routed", "at": dt.datetime(2026, 11, 29, 9, 59, 58, 300000, tzinfo=dt.timezone.utc),
                                     "channel": "ebill", "reason": {"code": "ebill_registered", "text": "The recipient is registered for eBill."}}},
}
# The sample each operation's answer comes from.
RESPONSE_SAMPLES = {name: f"{name}.response.xml" for name in OPERATIONS} | {"StatusNotification": "StatusNotificationResponse.xml"}
ENVELOPES = {"Soap11": (SOAP11_ENV, "text/xml; charset=utf-8"), "Soap12": (SOAP12_ENV, "application/soap+xml; charset=utf-8")}


def soap_version(port: str) -> str:
    """"Soap11" or "Soap12", from a port name such as MissiveSoap12 or MissiveStatusCallbackSoap11."""
    version = port[-6:]
    assert version in ENVELOPES, port
    return version


def soap_response(port: str, payload: bytes) -> bytes:
    env_ns, _ = ENVELOPES[soap_version(port)]
    body = etree.tostring(etree.fromstring(payload))  # the element alone: no XML declaration, no comment before it
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
    elif name == "GetEvidence":
        assert [e.event for e in result] == ["SubmissionAcceptance", "ContentConsignment"]
        assert json.loads(result[0].record)["event"] == "SubmissionAcceptance"
        assert result[0].seal.startswith(b"0\x82") and result[1].documentSeal == []
        assert [(d.index, len(d.sha256)) for d in result[0].documentSeal] == [(0, 64)]
    elif name == "GetEvents":
        assert [e.type for e in result.event] == ["accepted", "routed", "delivered", "failed"]
        assert result.event[1].reason.code == "ebill_registered" and result.event[0].channel is None
        assert result.nextCursor == "evt_01JDQ8Z6X5A0000000000000A5"
    elif name == "CancelEnvelope":
        assert result.status == "cancelled"
    elif name == "CheckReachability":
        assert (result.reachable, result.channel, result.reason.code) == (True, "epost", "epost_mailbox")
        assert result.digital is True and result.directoryReason is None
    elif name == "CheckReachabilityBatch":
        assert [(r.index, r.reference, r.channel, r.digital) for r in result] == [(0, "K-1001", "epost", True), (1, "K-1002", "physical", False), (2, None, "none", False)]
        assert [r.directoryReason.code for r in result[1:]] == ["multiple_matches", "not_found"]
        assert result[2].reason.code == "not_found" and result[2].reachable is False
    elif name == "SetStatusCallback":
        assert result.callbackId == "whk_01JDQ9B7W2E5R8T1Y4M6N9P3QZ"
        assert result.signingSecret.startswith("whsec_") and len(base64.b64decode(result.signingSecret[6:], validate=True)) == 32
    elif name == "RemoveStatusCallback":
        assert result is True
    elif name == "StatusNotification":
        assert result is None  # the empty StatusNotificationResponse
    else:
        raise AssertionError(f"no check for {name}")


@pytest.mark.parametrize("service_name,port,name", service_operations())
def test_zeep_round_trip(xmllint, tmp_path, service_name, port, name):
    """zeep's request validates against the XSD; zeep reads the sample response."""
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    env_ns, content_type = ENVELOPES[soap_version(port)]
    answer = soap_response(port, (SAMPLES / RESPONSE_SAMPLES[name]).read_bytes())
    client, transport = canned_client(200, answer, content_type)
    service = client.bind(service_name, port)
    result = getattr(service, name)(**REQUESTS[name])

    (address, message, headers) = transport.sent[0]
    assert len(transport.sent) == 1
    assert address == SERVICES[service_name][0]
    action = f"{NS}#{name}"
    if soap_version(port) == "Soap11":
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
    sent_children = list(dict.fromkeys(etree.QName(child).localname for child in payload))
    assert sent_children == [p for p in INPUT_PARAMETERS[name] if p in REQUESTS[name]]

    check_response(name, result)


@pytest.mark.parametrize("port", list(PORTS))
def test_zeep_sends_a_minimal_set_status_callback(xmllint, tmp_path, port):
    """Only url: soapVersion and eventType are left out, not sent empty."""
    client, transport = canned_client(200, soap_response(port, (SAMPLES / "SetStatusCallback.response.xml").read_bytes()),
                                      ENVELOPES[soap_version(port)][1])
    client.bind("MissiveService", port).SetStatusCallback(url="https://erp.example.ch/missive/status")
    envelope = etree.fromstring(transport.sent[0][1])
    (payload,) = envelope.find(q("Body", ENVELOPES[soap_version(port)][0]))
    expected = etree.parse(str(SAMPLES / "SetStatusCallback.minimal.request.xml")).getroot()
    assert [(c.tag, c.text) for c in payload] == [(c.tag, c.text) for c in expected if c.tag is not etree.Comment]
    sent = tmp_path / "SetStatusCallback.sent.xml"
    sent.write_bytes(etree.tostring(payload, xml_declaration=True, encoding="UTF-8"))
    assert validate(xmllint, sent).returncode == 0


def test_zeep_sends_inline_base64(zeep_client):
    message = zeep_client.create_message(zeep_client.service, "SubmitLetter", **LETTER)
    content = message.find(f".//{q('document')}/{q('content')}")
    assert base64.b64decode(content.text) == PDF


def fault_envelope(port: str, code: str, text: str) -> bytes:
    detail = f'<m:fault xmlns:m="{NS}"><m:code>{code}</m:code><m:text>{text}</m:text></m:fault>'
    side = "Client" if code not in ("rate_limited", "temporarily_unavailable", "idempotency_in_flight", "internal_error") else "Server"
    if soap_version(port) == "Soap11":
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
    client, _ = canned_client(status, fault_envelope(port, code, "No such envelope."), ENVELOPES[soap_version(port)][1])
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


@pytest.mark.parametrize("port,status", [("MissiveSoap11", 500), ("MissiveSoap12", 400)])
def test_zeep_reads_a_fault_of_set_status_callback(port, status):
    """SetStatusCallback declares the MissiveFault too, e.g. for a refused URL."""
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    text = "/SetStatusCallback/url: must be https."
    client, _ = canned_client(status, fault_envelope(port, "invalid_field", text), ENVELOPES[soap_version(port)][1])
    with pytest.raises(zeep.exceptions.Fault) as raised:
        client.bind("MissiveService", port).SetStatusCallback(url="http://erp.example.ch/missive/status")
    assert raised.value.message == text
    assert raised.value.detail.findtext(f"{q('fault')}/{q('code')}") == "invalid_field"


def test_zeep_parses_a_status_notification(zeep_client):
    """A sender's callback endpoint written with zeep can read StatusNotification."""
    element = zeep_client.get_element(f"{{{NS}}}StatusNotification")
    node = etree.parse(str(SAMPLES / "StatusNotification.xml")).getroot()
    notification = element.parse(node, zeep_client.wsdl.types)
    assert notification.notificationId == "msg_01JDQ9C3D4E5F6G7H8J9K0M1N2"
    assert notification.type == "envelope.posted"
    event = notification.event
    assert (event.id, event.envelopeId) == ("evt_01JDQ8Z6X5A0000000000000A6", "env_01JDQ9A0B1C2D3E4F5G6H7J8KA")
    assert event.type == "posted" and event.channel == "physical" and event.reason is None
    assert event.at == dt.datetime(2026, 11, 30, 16, 20, tzinfo=dt.timezone.utc)
    assert not hasattr(notification, "reference")


def test_zeep_parses_a_test_notification(zeep_client):
    """webhook.test carries no event."""
    element = zeep_client.get_element(f"{{{NS}}}StatusNotification")
    node = etree.parse(str(SAMPLES / "StatusNotification.webhook-test.xml")).getroot()
    notification = element.parse(node, zeep_client.wsdl.types)
    assert (notification.notificationId, notification.type, notification.event) == (
        "msg_01JDQ9C3D4E5F6G7H8J9K0M1N3", "webhook.test", None)


@pytest.mark.parametrize("port", list(CALLBACK_PORTS))
def test_zeep_callback_endpoint_reads_a_notification_envelope(port):
    """The sender's side: zeep's callback binding parses the whole SOAP request Missive POSTs."""
    if zeep is None:
        pytest.fail(f"zeep is missing ({ZEEP_IMPORT_ERROR}): pip install zeep", pytrace=False)
    client = zeep.Client(str(WSDL), transport=LocalFilesOnly())
    operation = client.wsdl.services["MissiveStatusCallbackService"].ports[port].binding.get("StatusNotification")
    envelope = etree.fromstring(soap_response(port, (SAMPLES / "StatusNotification.xml").read_bytes()))
    parsed = operation.input.deserialize(envelope)
    assert (parsed.notificationId, parsed.type) == ("msg_01JDQ9C3D4E5F6G7H8J9K0M1N2", "envelope.posted")
    assert parsed.event.type == "posted" and parsed.event.envelopeId == "env_01JDQ9A0B1C2D3E4F5G6H7J8KA"


def test_zeep_parses_the_fault_detail(zeep_client):
    element = zeep_client.get_element(f"{{{NS}}}fault")
    fault = element.parse(etree.parse(str(SAMPLES / "fault.xml")).getroot(), zeep_client.wsdl.types)
    assert fault.code == "invalid_field"
