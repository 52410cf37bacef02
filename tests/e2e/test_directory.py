"""The recipient directory: address matching as integrators write addresses, and batch
reachability over REST and SOAP (zeep) with the directory's reason codes.

The sandbox seeds one recipient per answer: a digital mailbox (Anna Muster, Bahnhofstrasse 1,
8001 Zürich), opted out, not verified, two Hans Meier on Dorfstrasse 3 and 5 in 3006 Bern
(multiple_matches without a house number), eBill, paper only and unknown.
"""

from __future__ import annotations

import pytest
import requests
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

from missive_testkit import assert_problem, wait_for_events

ANNA = {"name": "Anna Muster", "street": "Bahnhofstrasse", "houseNumber": "1", "postcode": "8001", "town": "Zürich"}


def batch(server, items: list[dict], kind: str | None = None, key: str | None = None) -> list[dict]:
    body: dict = {"items": items}
    if kind:
        body["kind"] = kind
    response = server.post("/v1/reachability-checks", json=body, key=key)
    assert response.status_code == 200, response.text
    answers = response.json()["items"]
    assert [a["index"] for a in answers] == list(range(len(items)))
    return answers


def soap_service(server):
    session = requests.Session()
    session.auth = (server.sandbox["organisationId"], server.api_key)
    return Client(f"{server.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap12")


# Anna's address as senders write it: each one must reach her mailbox.
ANNA_SPELLINGS = [
    {**ANNA},
    {**ANNA, "name": "Muster Anna"},
    {**ANNA, "name": "Frau Anna Muster"},
    {**ANNA, "name": "ANNA MUSTER", "street": "BAHNHOFSTR.", "town": "ZURICH"},
    {**ANNA, "street": "Bahnhofstr", "houseNumber": None},
    {**ANNA, "street": "Bahnhof-Strasse 1", "houseNumber": None},
    {**ANNA, "street": "  Bahnhof   Str.  ", "houseNumber": " 1 "},
    {**ANNA, "name": "Änna Müster", "street": "Bahnhofstraße"},
    {**ANNA, "houseNumber": None},  # no number: she is the only Anna Muster on the street
]


@pytest.mark.parametrize("postal", ANNA_SPELLINGS, ids=range(len(ANNA_SPELLINGS)))
def test_an_address_written_differently_reaches_the_mailbox(shared_server, postal: dict) -> None:
    postal = {k: v for k, v in postal.items() if v is not None}
    [answer] = batch(shared_server, [{"recipient": {"postal": postal}}])
    assert (answer["channel"], answer["digital"], answer["reason"]["code"]) == ("epost", True, "epost_mailbox"), (postal, answer)
    assert "directoryReason" not in answer


def test_batch_reason_codes_for_every_directory_answer(shared_server) -> None:
    s = shared_server
    hans = s.recipient("multiple-matches")["recipient"]
    items = [
        {"reference": "digital", "recipient": s.recipient("digital")["recipient"]},
        {"reference": "opted-out", "recipient": s.recipient("opted-out")["recipient"]},
        {"reference": "not-verified", "recipient": s.recipient("not-verified")["recipient"]},
        {"reference": "multiple", "recipient": hans},
        {"reference": "hans-5", "recipient": {"postal": {**hans["postal"], "houseNumber": "5"}}},
        {"reference": "unknown", "recipient": s.recipient("unreachable")["recipient"]},
        {"reference": "paper", "recipient": s.recipient("physical")["recipient"]},
        {"reference": "ebill", "recipient": s.recipient("ebill")["recipient"]},
        {"recipient": {"ePostAddress": "otto.ohnepost@epost.sandbox.missive.ch", "postal": {
            "name": "Otto Ohnepost", "street": "Seeweg", "houseNumber": "2", "postcode": "6003", "town": "Luzern"}}},
    ]
    answers = batch(s, items, kind="letter")
    got = {a.get("reference", "otto-with-address"): (a["reachable"], a["channel"], a["reason"]["code"], a.get("directoryReason", {}).get("code"))
           for a in answers}
    assert got == {
        "digital": (True, "epost", "epost_mailbox", None),
        "opted-out": (False, "none", "opted_out", "opted_out"),
        "not-verified": (False, "none", "not_verified", "not_verified"),
        "multiple": (True, "physical", "postal_address", "multiple_matches"),
        "hans-5": (True, "epost", "epost_mailbox", None),
        "unknown": (False, "none", "not_found", "not_found"),
        "paper": (True, "physical", "postal_address", "not_found"),
        "ebill": (True, "ebill", "ebill_address", None),  # addressed by eBill id alone
        "otto-with-address": (True, "physical", "postal_address", "opted_out"),
    }, got
    # A line that breaks the schema is the client's bug: the batch is refused, naming the line.
    bad = s.post("/v1/reachability-checks", json={"items": items[:2] + [{"recipient": {"postal": {**ANNA, "postcode": "80011"}}}]})
    problem = assert_problem(bad, 422, "invalid_field")
    assert [e["pointer"] for e in problem["errors"]] == ["/items/2/recipient/postal/postcode"], problem
    # An invoice for the eBill recipient goes digital.
    [invoice] = batch(s, [{"recipient": s.recipient("ebill")["recipient"]}], kind="invoice")
    assert (invoice["channel"], invoice["digital"]) == ("ebill", True) and "directoryReason" not in invoice


def test_single_check_and_batch_agree(shared_server) -> None:
    s = shared_server
    for outcome in ("digital", "opted-out", "not-verified", "multiple-matches", "physical", "unreachable"):
        recipient = s.recipient(outcome)["recipient"]
        params = {k: v for k, v in recipient.items() if k != "postal"} | recipient.get("postal", {})
        single = s.get("/v1/reachability", params=params)
        assert single.status_code == 200, single.text
        [one] = batch(s, [{"recipient": recipient}])
        one.pop("index")
        assert single.json() == one, outcome


def test_batch_of_1000_is_answered_and_1001_refused(shared_server) -> None:
    s = shared_server
    items = [{"reference": f"K-{i}", "recipient": {"postal": {**ANNA, "houseNumber": str(i)}}} for i in range(1000)]
    answers = batch(s, items)
    assert [a["reference"] for a in answers] == [f"K-{i}" for i in range(1000)]
    assert answers[1]["channel"] == "epost" and answers[2]["directoryReason"]["code"] == "not_found"
    assert_problem(s.post("/v1/reachability-checks", json={"items": items + items[:1]}), 400, "invalid_request")


@pytest.mark.parametrize("body,status", [
    ({"items": []}, 400),
    ({}, 400),
    ({"items": [{"recipient": {}}]}, 422),
    ({"items": [{"recipient": {"uid": "CHE-123"}}]}, 422),
    ({"items": [{"recipient": {"postal": {"name": "A", "street": "B", "postcode": "8001"}}}]}, 400),
    ({"items": [{"recipient": {"uid": "CHE-123.456.789"}, "extra": 1}]}, 400),
    ({"items": [{"recipient": {"uid": "CHE-123.456.789"}}], "kind": "parcel"}, 400),
    ({"items": [{"reference": "a\u0007b", "recipient": {"uid": "CHE-123.456.789"}}]}, 422),
    ({"items": [{"reference": "x" * 101, "recipient": {"uid": "CHE-123.456.789"}}]}, 422),
    ({"items": "everyone"}, 400),
])
def test_bad_batches_get_problem_json(shared_server, body: dict, status: int) -> None:
    assert_problem(shared_server.post("/v1/reachability-checks", json=body), (400, 422) if status == 400 else status)


def test_batch_needs_a_reading_role_and_a_key(shared_server) -> None:
    s = shared_server
    auditor = s.post("/v1/api-keys", json={"name": "audit", "roles": ["auditor"], "mode": "test"}).json()["secret"]
    sender = s.post("/v1/api-keys", json={"name": "send", "roles": ["sender"], "mode": "test"}).json()["secret"]
    body = {"items": [{"recipient": {"uid": "CHE-123.456.789"}}]}
    assert_problem(s.post("/v1/reachability-checks", json=body, key=auditor), 403, "forbidden")
    assert s.post("/v1/reachability-checks", json=body, key=sender).status_code == 200
    assert_problem(requests.post(s.url + "/v1/reachability-checks", json=body, timeout=10), 401)
    mailbox_key = s.recipient("digital")["mailboxKey"]
    assert_problem(s.post("/v1/reachability-checks", json=body, key=mailbox_key), 403)


def test_soap_batch_with_zeep_matches_rest(shared_server) -> None:
    s = shared_server
    service = soap_service(s)
    recipients = [s.recipient(o)["recipient"] for o in ("digital", "opted-out", "not-verified", "multiple-matches", "unreachable")]
    items = [{"reference": f"R{i}", "recipient": r} for i, r in enumerate(recipients)]
    results = service.CheckReachabilityBatch(item=items, kind="letter")
    rest = batch(s, items, kind="letter")
    assert len(results) == len(rest) == 5
    for soap, json_answer in zip(results, rest):
        assert soap.index == json_answer["index"] and soap.reference == json_answer.get("reference")
        assert (soap.reachable, soap.channel, soap.reason.code, soap.digital) == (
            json_answer["reachable"], json_answer["channel"], json_answer["reason"]["code"], json_answer["digital"])
        assert (soap.directoryReason.code if soap.directoryReason else None) == json_answer.get("directoryReason", {}).get("code")
    single = service.CheckReachability(recipient=s.recipient("opted-out")["recipient"])
    assert (single.reachable, single.digital, single.directoryReason.code) == (False, False, "opted_out")


def test_soap_batch_limits_are_faults(shared_server) -> None:
    service = soap_service(shared_server)
    item = {"recipient": {"uid": "CHE-123.456.789"}}
    # zeep itself refuses what the XSD forbids; the server must refuse it too, so send it raw.
    def raw(items: str) -> requests.Response:
        body = (f'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:m="urn:missive:soap:v1"><soap:Body>'
                f'<m:CheckReachabilityBatch>{items}</m:CheckReachabilityBatch></soap:Body></soap:Envelope>')
        return requests.post(shared_server.url + "/soap", data=body.encode(), timeout=30,
                             auth=(shared_server.sandbox["organisationId"], shared_server.api_key),
                             headers={"Content-Type": 'application/soap+xml; charset=utf-8; action="urn:missive:soap:v1#CheckReachabilityBatch"'})
    line = "<m:item><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:item>"
    for items, words in ((line * 1001, "1 to 1000"), ("", "1 to 1000"),
                         (f"<m:item><m:reference>{'x' * 101}</m:reference><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:item>", "reference"),
                         ("<m:item><m:reference>K</m:reference></m:item>", "recipient is required")):
        response = raw(items)
        assert response.status_code in (400, 500) and b"Fault" in response.content, response.text[:300]
        assert words in response.text, response.text[:500]
    # A line the server cannot check is answered, not faulted: the rest of the batch counts.
    answer = raw(line + "<m:item><m:recipient><m:uid>CHE-1</m:uid></m:recipient></m:item>")
    assert answer.status_code == 200 and answer.text.count("<m:result>") + answer.text.count(":result>") >= 2, answer.text[:500]
    assert "invalid_recipient" in answer.text and "uid must look like" in answer.text
    # The server is still up and answers the next call.
    assert service.CheckReachabilityBatch(item=[item])[0].index == 0


def test_sending_follows_the_directory_answer(shared_server, pdf: bytes) -> None:
    """What the check says is what happens: Hans without house number is printed (never a
    guess), with the number he gets the letter in his mailbox."""
    s = shared_server
    hans = s.recipient("multiple-matches")["recipient"]
    printed = s.submit_ok({"recipient": hans}, pdf)["id"]
    digital = s.submit_ok({"recipient": {"postal": {**hans["postal"], "houseNumber": "3"}}}, pdf)["id"]
    assert [e["channel"] for e in wait_for_events(s, printed, ["accepted", "routed"]) if e["type"] == "routed"] == ["physical"]
    assert [e["channel"] for e in wait_for_events(s, digital, ["accepted", "routed", "delivered"]) if e["type"] == "routed"] == ["epost"]


def test_only_verified_organisations_may_look_into_the_directory(shared_server) -> None:
    """The directory tells who has a digital mailbox: a registered organisation that has not
    entered its verification code yet is refused, with its test key too."""
    s = shared_server
    new = requests.post(f"{s.url}/v1/registrations", timeout=30, json={
        "legalName": "Neugier AG", "postalAddress": {"name": "Neugier AG", "street": "Weg", "houseNumber": "3", "postcode": "6003", "town": "Luzern"}}).json()
    anna = s.recipient("digital")["recipient"]
    for key in (new["testKey"], new["liveKey"]):
        assert_problem(s.get("/v1/reachability", params={"ePostAddress": anna["postal"]["name"].replace(" ", ".").lower() + "@epost.sandbox.missive.ch"}, key=key),
                       403, "organisation_not_verified")
        assert_problem(s.post("/v1/reachability-checks", json={"items": [{"recipient": anna}]}, key=key), 403, "organisation_not_verified")
    session = requests.Session()
    session.auth = (new["organisation"]["id"], new["testKey"])
    service = Client(f"{s.url}/soap?wsdl", transport=Transport(session=session)).bind("MissiveService", "MissiveSoap12")
    with pytest.raises(Fault) as fault:
        service.CheckReachabilityBatch(item=[{"recipient": anna}])
    assert "verified" in fault.value.message
