"""The auth response (wire-api §4.1), login alerts and enumeration (beyond single endpoints)."""

from __future__ import annotations

from tests.cast import PASSWORD

USERS = "/api/collections/users"
SIGN_IN = f"{USERS}/auth-with-password"
BODY = {"identity": "owner@example.com", "password": PASSWORD}


def test_auth_response_expands_relations(api, cast, make_collection):
    team = make_collection(
        {
            "name": "teams",
            "type": "base",
            "fields": [{"name": "title", "type": "text"}],
            "viewRule": "",
        }
    )
    users = api.get("/api/collections/users", token=cast.superuser).json()
    fields = users["fields"] + [
        {"name": "team", "type": "relation", "collectionId": team["id"], "maxSelect": 1}
    ]
    assert (
        api.patch(
            "/api/collections/users", json={"fields": fields}, token=cast.superuser
        ).status_code
        == 200
    )
    made = api.post(
        "/api/collections/teams/records", json={"title": "Blue"}, token=cast.superuser
    ).json()
    api.patch(f"{USERS}/records/{cast.owner_id}", json={"team": made["id"]}, token=cast.superuser)
    data = api.post(f"{SIGN_IN}?expand=team", json=BODY).json()
    assert data["record"]["expand"]["team"]["title"] == "Blue"
    picked = api.post(
        f"{SIGN_IN}?fields=record.email,record.expand.team.title&expand=team", json=BODY
    ).json()
    assert picked == {
        "record": {"email": "owner@example.com", "expand": {"team": {"title": "Blue"}}}
    }


def test_a_login_from_a_new_place_sends_an_alert(api, cast, mailbox):
    # the cast signed in once from this test's address: that is a known place now
    assert api.post(SIGN_IN, json=BODY).status_code == 200
    assert mailbox.to("owner@example.com") == []
    api.from_ip("203.0.113.5").post(SIGN_IN, json=BODY, headers={"User-Agent": "Tablet/1.0"})
    alert = mailbox.wait_for("owner@example.com")
    assert alert.subject == "Login from a new location"
    assert "203.0.113.5 Tablet/1.0" in alert.html
    mailbox.clear()
    api.post(SIGN_IN, json=BODY, headers={"User-Agent": "Tablet/1.0"})
    assert mailbox.to("owner@example.com") == []


def test_alerts_can_be_switched_off(api, cast, mailbox, configure):
    configure("users", authAlert={"enabled": False})
    api.from_ip("203.0.113.6").post(SIGN_IN, json=BODY)
    assert mailbox.to("owner@example.com") == []


def test_no_endpoint_tells_whether_an_address_exists(api, cast, mailbox, configure):
    configure("users", otp={"enabled": True})
    probes = [
        ("request-verification", lambda e: {"email": e}),
        ("request-password-reset", lambda e: {"email": e}),
        ("request-otp", lambda e: {"email": e}),
        ("auth-with-password", lambda e: {"identity": e, "password": "wrong-password"}),
    ]
    for endpoint, body in probes:
        known = api.post(f"{USERS}/{endpoint}", json=body("other@example.com"))
        unknown = api.post(f"{USERS}/{endpoint}", json=body("nobody@example.com"))
        assert known.status_code == unknown.status_code, endpoint
        if known.content and b"otpId" not in known.content:
            assert known.content == unknown.content, endpoint
        if b"otpId" in known.content:
            assert known.json().keys() == unknown.json().keys()
