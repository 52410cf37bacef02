"""People of an organisation and their two-step login, end to end.

An admin invites a person with roles; the person sets a password and an authenticator with
the one-time setup token and confirms with a first code; then logs in with password and
TOTP (computed here per RFC 6238 with hmac/hashlib) or a recovery code. The session token
works like an API key with the person's roles, and stops at once on logout, removal or a
role change. Wrong passwords and unknown emails look alike; brute force meets a back-off
(429) and then a lock (403) an admin lifts; TOTP codes and recovery codes work once;
challenges and sessions expire; the last admin user stays; another organisation's users are
404. Tests that move the clock far get their own server.
"""

from __future__ import annotations

import base64
import json
import subprocess
import hashlib
import hmac
import struct
import time
import uuid
from datetime import datetime

import pytest
import requests

from missive_testkit import assert_problem, make_pdf

PASSWORD = "correct horse battery staple"


def totp(secret: str, at: float) -> str:
    """RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at Unix time `at`."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def server_now(server) -> float:
    body = server.get("/v1/sandbox/clock").json()
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00")).timestamp()


def advance(server, seconds: int) -> None:
    response = server.post("/v1/sandbox/clock", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def open_post(server, path: str, body: dict) -> requests.Response:
    """A request without any credential (setup and login need none)."""
    return server.request("POST", path, key="", json=body)


def invite(server, roles: list[str], key: str | None = None, email: str | None = None) -> dict:
    email = email or f"person-{uuid.uuid4().hex[:8]}@example.ch"
    response = server.post("/v1/users", key=key, json={"email": email, "roles": roles})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["setupToken"].startswith("msu_") and body["user"]["status"] == "invited", body
    assert body["user"]["roles"] == roles and body["user"]["email"] == email
    return body


def new_user(server, roles: list[str], key: str | None = None) -> dict:
    """Invited, set up and confirmed: {id, email, secret, recoveryCodes, organisationId}."""
    invited = invite(server, roles, key=key)
    setup = open_post(server, "/v1/user-setup", {"setupToken": invited["setupToken"], "password": PASSWORD})
    assert setup.status_code == 200, setup.text
    enrolment = setup.json()
    confirm = open_post(server, "/v1/user-setup/confirm", {"setupToken": invited["setupToken"], "code": totp(enrolment["totpSecret"], server_now(server))})
    assert confirm.status_code == 200 and confirm.json()["status"] == "active", confirm.text
    organisation = server.get("/v1/organisation", key=key).json()["id"]
    return {"id": invited["user"]["id"], "email": invited["user"]["email"], "secret": enrolment["totpSecret"],
            "recoveryCodes": enrolment["recoveryCodes"], "organisationId": organisation}


def first_step(server, user: dict, password: str = PASSWORD, email: str | None = None) -> requests.Response:
    return open_post(server, "/v1/sessions", {"organisationId": user["organisationId"], "email": email or user["email"], "password": password})


def challenge(server, user: dict) -> str:
    response = first_step(server, user)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["challenge"].startswith("msc_") and body["expiresAt"]
    return body["challenge"]


def fresh_code(server, user: dict) -> str:
    """A code of a time step later than any used before: the clock moves one step on."""
    advance(server, 30)
    return totp(user["secret"], server_now(server))


def login(server, user: dict) -> str:
    response = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "code": fresh_code(server, user)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sessionToken"].startswith("mss_") and body["user"]["id"] == user["id"] and body["expiresAt"]
    return body["sessionToken"]


@pytest.fixture(scope="module")
def users_server(session_server_factory):
    # Its own clock: logins move it a step (30 s) at a time.
    return session_server_factory(name="users")


def physical(server) -> dict:
    return {"recipient": server.recipient("physical")["recipient"]}


def test_invite_set_up_confirm_and_work_with_the_roles(users_server) -> None:
    server = users_server
    sender, reader, admin = new_user(server, ["sender"]), new_user(server, ["reader"]), new_user(server, ["admin"])

    # A sender's session submits and follows letters, and may do nothing of an admin.
    sender_session = login(server, sender)
    envelope = server.submit_ok(physical(server), make_pdf("sent by a person"), key=sender_session)
    assert envelope["mode"] == "live"
    assert server.get(f"/v1/envelopes/{envelope['id']}", key=sender_session).status_code == 200
    for method, path, body in (("GET", "/v1/users", None), ("POST", "/v1/users", {"email": "x@example.ch", "roles": ["admin"]}),
                               ("POST", "/v1/api-keys", {"roles": ["admin"]}), ("GET", "/v1/api-keys", None),
                               ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x"})):
        detail = assert_problem(server.request(method, path, key=sender_session, json=body), 403, "forbidden")["detail"]
        assert "user" in detail and "admin" in detail, detail

    # A reader's session reads, and does not submit.
    reader_session = login(server, reader)
    assert server.get(f"/v1/envelopes/{envelope['id']}", key=reader_session).status_code == 200
    assert server.get("/v1/events", key=reader_session).status_code == 200
    assert_problem(server.submit(physical(server), make_pdf("reader"), key=reader_session), 403, "forbidden")
    # Sessions are for the sender API; mailboxes keep their own keys.
    assert_problem(server.get("/v1/mailbox/letters", key=reader_session), 403, "forbidden")

    # An admin's session manages people; a role change takes effect at once.
    admin_session = login(server, admin)
    listed = server.get("/v1/users", key=admin_session)
    assert listed.status_code == 200, listed.text
    assert {sender["id"], reader["id"], admin["id"]} <= {u["id"] for u in listed.json()["items"]}
    assert "secret" not in listed.text.lower() and "password" not in listed.text.lower()
    changed = server.request("PUT", f"/v1/users/{reader['id']}/roles", key=admin_session, json={"roles": ["reader", "sender"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["sender", "reader"], changed.text
    assert server.submit(physical(server), make_pdf("reader promoted"), key=reader_session).status_code == 202
    changed = server.request("PUT", f"/v1/users/{reader['id']}/roles", key=admin_session, json={"roles": ["auditor"]})
    assert changed.status_code == 200, changed.text
    assert_problem(server.get(f"/v1/envelopes/{envelope['id']}", key=reader_session), 403, "forbidden")
    assert server.get(f"/v1/envelopes/{envelope['id']}/evidence", key=reader_session).status_code == 200
    # Removal ends the person's sessions at once, and their login.
    assert server.request("DELETE", f"/v1/users/{reader['id']}", key=admin_session).status_code == 204
    assert_problem(server.get("/v1/events", key=reader_session), 401, "unauthenticated")
    assert_problem(first_step(server, reader), 401, "unauthenticated")
    removed = next(u for u in server.get("/v1/users").json()["items"] if u["id"] == reader["id"])
    assert removed["status"] == "removed"
    # The email of a removed person may be invited again.
    invite(server, ["reader"], email=reader["email"])


def test_invitation_and_setup_refuse_bad_input(users_server) -> None:
    server = users_server
    invited = invite(server, ["sender"], email="Lena.Muster@Example.ch")
    # Emails are unique per organisation, whatever their case.
    assert_problem(server.post("/v1/users", json={"email": "lena.muster@example.CH", "roles": ["reader"]}), 409, "conflict")
    for body in ({"email": "no-at-sign", "roles": ["sender"]}, {"email": "a b@example.ch", "roles": ["sender"]},
                 {"email": "x@example.ch", "roles": []}, {"email": "x@example.ch", "roles": ["owner"]},
                 {"email": "x@example.ch", "roles": ["sender", "sender"]}, {"email": "x@example.ch"}):
        assert_problem(server.post("/v1/users", json=body), (400, 422))
    token = invited["setupToken"]
    # The password policy, before anything is stored.
    assert_problem(open_post(server, "/v1/user-setup", {"setupToken": token, "password": "short"}), (400, 422))
    assert_problem(open_post(server, "/v1/user-setup", {"setupToken": "msu_" + "x" * 32, "password": PASSWORD}), 401, "unauthenticated")
    # Setting up twice before confirming replaces the secret.
    first = open_post(server, "/v1/user-setup", {"setupToken": token, "password": PASSWORD}).json()
    enrolment = open_post(server, "/v1/user-setup", {"setupToken": token, "password": PASSWORD}).json()
    assert first["totpSecret"] != enrolment["totpSecret"]
    assert enrolment["otpauthUri"].startswith("otpauth://totp/Missive:") and f"secret={enrolment['totpSecret']}" in enrolment["otpauthUri"]
    assert len(enrolment["recoveryCodes"]) == 10 and len(set(enrolment["recoveryCodes"])) == 10
    now = server_now(server)
    # An invited person cannot log in yet.
    assert_problem(first_step(server, {"organisationId": server.sandbox["organisationId"], "email": invited["user"]["email"]}), 401)
    stale = totp(first["totpSecret"], now)
    wrong = "000000" if totp(enrolment["totpSecret"], now) != "000000" else "111111"
    assert_problem(open_post(server, "/v1/user-setup/confirm", {"setupToken": token, "code": wrong}), 422, "verification_failed")
    if stale != totp(enrolment["totpSecret"], now):
        assert_problem(open_post(server, "/v1/user-setup/confirm", {"setupToken": token, "code": stale}), 422)
    assert_problem(open_post(server, "/v1/user-setup/confirm", {"setupToken": token, "code": "12ab56"}), 400)
    confirmed = open_post(server, "/v1/user-setup/confirm", {"setupToken": token, "code": totp(enrolment["totpSecret"], now)})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "active", confirmed.text
    # The setup token is spent.
    assert_problem(open_post(server, "/v1/user-setup/confirm", {"setupToken": token, "code": totp(enrolment["totpSecret"], now)}), 401)
    assert_problem(open_post(server, "/v1/user-setup", {"setupToken": token, "password": PASSWORD}), 401)
    # Login by the email in another case works.
    person = {"id": invited["user"]["id"], "email": "LENA.muster@example.ch", "secret": enrolment["totpSecret"],
              "organisationId": server.sandbox["organisationId"]}
    assert login(server, person).startswith("mss_")


def test_setup_tokens_expire_after_seven_days(server_factory) -> None:
    server = server_factory(name="users-setup-expiry")
    invited = invite(server, ["sender"])
    advance(server, 7 * 86_400 + 1)
    assert_problem(open_post(server, "/v1/user-setup", {"setupToken": invited["setupToken"], "password": PASSWORD}), 401, "unauthenticated")


def test_wrong_password_and_unknown_email_answer_alike(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])

    def timed(response_of) -> tuple[requests.Response, float]:
        started = time.monotonic()
        response = response_of()
        return response, time.monotonic() - started

    answers = []
    for attempt in (lambda: first_step(server, user, password="not the password"),
                    lambda: first_step(server, user, email=f"nobody-{uuid.uuid4().hex[:6]}@example.ch"),
                    lambda: first_step(server, {**user, "organisationId": "org_01KB0000000000000000000000"}),
                    lambda: first_step(server, {**user, "organisationId": "not an id"})):
        response, seconds = timed(attempt)
        body = assert_problem(response, 401, "unauthenticated")
        answers.append((body["detail"], seconds))
    assert len({detail for detail, _ in answers}) == 1, answers
    # An unknown email costs a password check all the same (scrypt): never a fast "no".
    wrong_password, unknown_email = answers[0][1], answers[1][1]
    assert unknown_email >= wrong_password / 4, answers
    # Only the wrong password counted (unknown people have no count); a good login clears it.
    assert login(server, user).startswith("mss_")


def test_totp_codes_and_recovery_codes_work_once(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    ticket = challenge(server, user)
    code = fresh_code(server, user)
    first = open_post(server, "/v1/sessions/second-factor", {"challenge": ticket, "code": code})
    assert first.status_code == 201, first.text
    # The same code again, with a new challenge: a replay.
    replay = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "code": code})
    assert_problem(replay, 401, "unauthenticated")
    # A challenge is single-use too, and an unknown one is refused.
    for spent in (ticket, "msc_" + "A" * 32):
        assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": spent, "code": fresh_code(server, user)}), 401, "unauthenticated")

    recovery = user["recoveryCodes"][3]
    step = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "recoveryCode": recovery.upper()})
    assert step.status_code == 201, step.text
    again = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "recoveryCode": recovery})
    assert_problem(again, 401, "unauthenticated")
    other = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "recoveryCode": user["recoveryCodes"][4]})
    assert other.status_code == 201, other.text
    # Exactly one of code and recoveryCode.
    ticket = challenge(server, user)
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": ticket}), 400)
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": ticket, "code": "123456", "recoveryCode": recovery}), 400)
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": ticket, "code": "12345"}), 400)


def test_logout_ends_the_session_at_once(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    session, other = login(server, user), login(server, user)
    assert server.get("/v1/events", key=session).status_code == 200
    assert server.request("DELETE", "/v1/sessions/current", key=session).status_code == 204
    assert_problem(server.get("/v1/events", key=session), 401, "unauthenticated")
    assert_problem(server.request("DELETE", "/v1/sessions/current", key=session), 401)
    # Other sessions of the person live on; an API key does not "log out".
    assert server.get("/v1/events", key=other).status_code == 200
    assert_problem(server.request("DELETE", "/v1/sessions/current"), 403, "forbidden")
    assert_problem(server.request("DELETE", "/v1/sessions/current", key=""), 401)


def test_a_challenge_expires_after_five_minutes(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    ticket = challenge(server, user)
    advance(server, 301)
    expired = open_post(server, "/v1/sessions/second-factor", {"challenge": ticket, "code": totp(user["secret"], server_now(server))})
    assert "expired" in assert_problem(expired, 401, "unauthenticated")["detail"]


def test_the_last_active_admin_user_stays(users_server) -> None:
    server = users_server
    registered = requests.post(f"{server.url}/v1/registrations", timeout=30, json={
        "legalName": "Admins AG", "postalAddress": {"name": "Admins AG", "street": "Bahnhofstrasse", "houseNumber": "1", "postcode": "8001", "town": "Zürich"}}).json()
    key = registered["testKey"]
    # An invited admin may be removed while no admin user is active.
    pending = invite(server, ["admin"], key=key)
    assert server.request("DELETE", f"/v1/users/{pending['user']['id']}", key=key).status_code == 204
    first = new_user(server, ["admin", "sender"], key=key)
    assert_problem(server.request("DELETE", f"/v1/users/{first['id']}", key=key), 409, "conflict")
    assert_problem(server.request("PUT", f"/v1/users/{first['id']}/roles", key=key, json={"roles": ["sender"]}), 409, "conflict")
    # Its own session cannot either.
    session = login(server, first)
    assert_problem(server.request("DELETE", f"/v1/users/{first['id']}", key=session), 409, "conflict")
    second = new_user(server, ["admin"], key=key)
    demoted = server.request("PUT", f"/v1/users/{first['id']}/roles", key=session, json={"roles": ["sender"]})
    assert demoted.status_code == 200, demoted.text
    # The demotion holds at once for the session that did it.
    assert_problem(server.get("/v1/users", key=session), 403, "forbidden")
    assert_problem(server.request("DELETE", f"/v1/users/{second['id']}", key=key), 409, "conflict")
    assert server.request("DELETE", f"/v1/users/{first['id']}", key=key).status_code == 204
    assert server.request("DELETE", f"/v1/users/{first['id']}", key=key).status_code == 204  # already removed


def test_another_organisations_users_are_404(users_server) -> None:
    server = users_server
    mine = new_user(server, ["sender"])
    other = requests.post(f"{server.url}/v1/registrations", timeout=30, json={
        "legalName": "Fremd Personal AG", "postalAddress": {"name": "Fremd Personal AG", "street": "Weg", "houseNumber": "4", "postcode": "6003", "town": "Luzern"}}).json()
    key = other["testKey"]
    for method, path, body in (("PUT", f"/v1/users/{mine['id']}/roles", {"roles": ["admin"]}), ("DELETE", f"/v1/users/{mine['id']}", None),
                               ("POST", f"/v1/users/{mine['id']}/unlock", None)):
        assert_problem(server.request(method, path, key=key, json=body), 404, "not_found")
    assert mine["id"] not in server.get("/v1/users", key=key).text
    # The same email in another organisation is another person: no login there.
    assert_problem(first_step(server, {**mine, "organisationId": other["organisation"]["id"]}), 401)
    assert next(u for u in server.get("/v1/users").json()["items"] if u["id"] == mine["id"])["roles"] == ["sender"]
    # B may invite the same email for itself.
    invite(server, ["reader"], key=key, email=mine["email"])


def test_setup_and_login_calls_share_a_server_wide_budget(server_factory) -> None:
    server = server_factory(name="users-flood")
    # The budget is 20 a second with bursts of 100: calls faster than 20 a second run out of it
    # after somewhat more than 100, however slow this machine is today.
    answers = []
    for n in range(1000):
        answers.append(open_post(server, "/v1/user-setup", {"setupToken": f"msu_{n:032d}", "password": PASSWORD}))
        if answers[-1].status_code == 429:
            break
    assert {a.status_code for a in answers[:90]} == {401}
    limited = assert_problem(answers[-1], 429, "rate_limited")
    assert "login" in limited["detail"] and int(answers[-1].headers["Retry-After"]) >= 1


def test_brute_force_meets_a_back_off_then_a_lock(server_factory) -> None:
    server = server_factory(name="users-brute-force")
    user = new_user(server, ["sender"])
    for _ in range(4):  # 3 free failures, then the 4th is allowed and counted
        assert_problem(first_step(server, user, password="guess " * 3), 401, "unauthenticated")
    limited = first_step(server, user)  # even the right password waits now
    assert_problem(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    # Wrong codes in the second step count as well.
    advance(server, 2)
    ticket = challenge(server, user)  # the password is right: the count stays
    advance(server, 2)
    wrong = "000000" if totp(user["secret"], server_now(server)) != "000000" else "111111"
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": ticket, "code": wrong}), 401)
    failures = 5
    while failures < 20:
        limited = first_step(server, user, password="still guessing")
        assert_problem(limited, 429, "rate_limited")
        advance(server, int(limited.headers["Retry-After"]))
        assert_problem(first_step(server, user, password="still guessing"), (401, 403))
        failures += 1
    locked = assert_problem(first_step(server, user), 403, "account_locked")
    assert "administrator" in locked["detail"]
    advance(server, 86_400)
    assert_problem(first_step(server, user), 403, "account_locked")
    listed = next(u for u in server.get("/v1/users").json()["items"] if u["id"] == user["id"])
    assert listed["locked"] is True
    unlocked = server.post(f"/v1/users/{user['id']}/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False, unlocked.text
    assert login(server, user).startswith("mss_")


def test_sessions_expire_when_idle_and_after_twelve_hours(server_factory) -> None:
    server = server_factory(name="users-session-expiry")
    user = new_user(server, ["reader"])
    idle = login(server, user)
    advance(server, 31 * 60)
    assert_problem(server.get("/v1/events", key=idle), 401, "unauthenticated")
    busy = login(server, user)
    for _ in range(12 * 3 - 1):  # used every 20 minutes: alive until 12 hours after login
        advance(server, 20 * 60)
        assert server.get("/v1/events", key=busy).status_code == 200
    advance(server, 20 * 60 + 1)
    assert_problem(server.get("/v1/events", key=busy), 401, "unauthenticated")


# --------------------------------------------------------------------------------------
# Self-service and reset
# --------------------------------------------------------------------------------------

NEW_PASSWORD = "a different horse, same battery"


def test_me_shows_the_person_and_keys_are_not_people(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader", "auditor"])
    session = login(server, user)
    me = server.get("/v1/me", key=session)
    assert me.status_code == 200, me.text
    assert (me.json()["id"], me.json()["email"], me.json()["roles"], me.json()["status"]) == (user["id"], user["email"], ["reader", "auditor"], "active")
    assert_problem(server.get("/v1/me"), 403, "forbidden")  # the admin API key
    assert_problem(server.get("/v1/me", key=""), 401)
    assert_problem(server.get("/v1/me", key=server.recipient("digital")["mailboxKey"]), 403)


def test_changing_the_password_ends_the_other_sessions(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    session, other = login(server, user), login(server, user)
    change = {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    # A wrong current password is refused and counts as a failed login.
    wrong = server.request("PUT", "/v1/me/password", key=session, json={**change, "currentPassword": "not the password"})
    assert_problem(wrong, 422, "verification_failed")
    for body, status in (({**change, "newPassword": "short"}, (400, 422)), ({**change, "newPassword": PASSWORD}, 422),
                         ({"currentPassword": PASSWORD}, 400), ({**change, "extra": 1}, 400)):
        assert_problem(server.request("PUT", "/v1/me/password", key=session, json=body), status)
    assert server.request("PUT", "/v1/me/password", key=session, json=change).status_code == 204
    # This session stays, the other has ended; the old password no longer logs in, the new one does.
    assert server.get("/v1/events", key=session).status_code == 200
    assert_problem(server.get("/v1/events", key=other), 401, "unauthenticated")
    advance(server, 120)  # past the back-off the wrong password earned
    assert_problem(first_step(server, user), 401, "unauthenticated")
    advance(server, 120)
    assert first_step(server, user, password=NEW_PASSWORD).status_code == 200
    # API keys have no password.
    assert_problem(server.request("PUT", "/v1/me/password", json=change), 403, "forbidden")


def test_new_recovery_codes_replace_the_old_ones(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    session = login(server, user)
    assert_problem(server.post("/v1/me/recovery-codes", key=session, json={"code": "12345"}), 400)
    assert_problem(server.post("/v1/me/recovery-codes", key=session, json={"code": "000000" if totp(user["secret"], server_now(server)) != "000000" else "111111"}), 422, "verification_failed")
    code = fresh_code(server, user)
    response = server.post("/v1/me/recovery-codes", key=session, json={"code": code})
    assert response.status_code == 200, response.text
    codes = response.json()["recoveryCodes"]
    assert len(codes) == 10 and not set(codes) & set(user["recoveryCodes"])
    # The code that authorised it cannot be used again, neither here nor to log in.
    assert_problem(server.post("/v1/me/recovery-codes", key=session, json={"code": code}), 422, "verification_failed")
    advance(server, 120)  # past the back-off the failures above earned
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "code": code}), 401)
    advance(server, 120)
    # Old codes are dead, new ones work.
    assert_problem(open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "recoveryCode": user["recoveryCodes"][0]}), 401)
    advance(server, 120)
    assert open_post(server, "/v1/sessions/second-factor", {"challenge": challenge(server, user), "recoveryCode": codes[0]}).status_code == 201


def test_log_out_everywhere(users_server) -> None:
    server = users_server
    user = new_user(server, ["reader"])
    sessions = [login(server, user) for _ in range(3)]
    assert server.request("DELETE", "/v1/me/sessions", key=sessions[0]).status_code == 204
    for session in sessions:
        assert_problem(server.get("/v1/events", key=session), 401, "unauthenticated")
    assert_problem(server.request("DELETE", "/v1/me/sessions"), 403, "forbidden")


def test_an_admin_resets_a_person_who_lost_their_phone(users_server) -> None:
    server = users_server
    user = new_user(server, ["sender"])
    session = login(server, user)
    reset = server.post(f"/v1/users/{user['id']}/reset")
    assert reset.status_code == 200, reset.text
    body = reset.json()
    assert body["setupToken"].startswith("msu_") and body["user"]["status"] == "invited" and body["user"]["roles"] == ["sender"]
    # Every session ended; password and authenticator are gone.
    assert_problem(server.get("/v1/events", key=session), 401, "unauthenticated")
    assert_problem(first_step(server, user), 401, "unauthenticated")
    # Setting up again with the new token: a new secret, new codes, the same person.
    setup = open_post(server, "/v1/user-setup", {"setupToken": body["setupToken"], "password": NEW_PASSWORD})
    assert setup.status_code == 200, setup.text
    enrolment = setup.json()
    assert enrolment["totpSecret"] != user["secret"]
    confirm = open_post(server, "/v1/user-setup/confirm", {"setupToken": body["setupToken"], "code": totp(enrolment["totpSecret"], server_now(server))})
    assert confirm.status_code == 200 and confirm.json()["id"] == user["id"], confirm.text
    again = {**user, "secret": enrolment["totpSecret"]}
    response = open_post(server, "/v1/sessions/second-factor", {"challenge": challenge_with(server, again, NEW_PASSWORD), "code": fresh_code(server, again)})
    assert response.status_code == 201, response.text
    # Only admins reset; a removed user and another organisation's user cannot be reset.
    assert_problem(server.post(f"/v1/users/{user['id']}/reset", key=response.json()["sessionToken"]), 403, "forbidden")
    other = server.create_org("Reset Ltd")
    assert_problem(server.post(f"/v1/users/{user['id']}/reset", key=other["apiKey"]), 404)
    gone = new_user(server, ["reader"])
    assert server.request("DELETE", f"/v1/users/{gone['id']}").status_code == 204
    assert_problem(server.post(f"/v1/users/{gone['id']}/reset"), 409, "conflict")


def challenge_with(server, user: dict, password: str) -> str:
    response = first_step(server, user, password=password)
    assert response.status_code == 200, response.text
    return response.json()["challenge"]


def cli(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(server.binary), *args, "--data-dir", str(server.data_dir)], capture_output=True, text=True, timeout=60)


def test_the_operator_bootstraps_the_first_admin_person_from_the_command_line(users_server) -> None:
    server = users_server
    org = server.create_org("Bootstrap AG")["organisationId"]
    out = cli(server, "user", "invite", "--organisation", org, "--email", "first.admin@bootstrap.ch")
    assert out.returncode == 0, out.stderr
    invited = json.loads(out.stdout[out.stdout.find("{"):out.stdout.rfind("}") + 1])
    assert invited["roles"] == ["admin"] and invited["setupToken"].startswith("msu_")
    setup = open_post(server, "/v1/user-setup", {"setupToken": invited["setupToken"], "password": PASSWORD})
    assert setup.status_code == 200, setup.text
    secret = setup.json()["totpSecret"]
    assert open_post(server, "/v1/user-setup/confirm", {"setupToken": invited["setupToken"], "code": totp(secret, server_now(server))}).status_code == 200
    person = {"id": invited["userId"], "email": "first.admin@bootstrap.ch", "secret": secret, "organisationId": org}
    session = login(server, person)
    assert [u["email"] for u in server.get("/v1/users", key=session).json()["items"]] == ["first.admin@bootstrap.ch"]

    listed = cli(server, "user", "list", "--organisation", org)
    assert listed.returncode == 0 and invited["userId"] in listed.stdout and "active" in listed.stdout and "msu_" not in listed.stdout, listed
    reset = cli(server, "user", "reset", "--organisation", org, invited["userId"])
    assert reset.returncode == 0 and '"setupToken"' in reset.stdout, reset.stderr
    assert_problem(server.get("/v1/users", key=session), 401, "unauthenticated")
    # Bad input: a wrong role, an unknown organisation or user.
    for args in (("user", "invite", "--organisation", org, "--email", "x@bootstrap.ch", "--role", "owner"),
                 ("user", "reset", "--organisation", org, "usr_00000000000000000000000000"),
                 ("user", "list", "--organisation", "not-an-org")):
        failed = cli(server, *args)
        assert failed.returncode != 0 and failed.stderr.strip(), (args, failed.stdout)
