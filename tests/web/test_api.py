"""The read-only JSON API: a token, and the report's numbers by period, field, official, device."""

from __future__ import annotations

import pytest

from hailong.server.accounts import users as accounts


@pytest.fixture
def api(served):
    """Return a GET function carrying a fresh token, and the token."""
    with served.engine.begin() as conn:
        token = accounts.add_token(conn, "erp", "test")
    client = served.app.test_client()

    def get(path, token=token):
        return client.get(path, headers={"Authorization": f"Bearer {token}"})

    return get


def test_without_a_valid_token_the_api_answers_401(served, api):
    client = served.app.test_client()
    assert client.get("/api/v1/summary").status_code == 401
    assert client.get("/api/v1/summary").headers["WWW-Authenticate"].startswith("Bearer")
    assert api("/api/v1/summary", token="hl_guess").status_code == 401
    with served.engine.begin() as conn:
        accounts.revoke_token(conn, "erp", "test")
    assert api("/api/v1/fields").status_code == 401


def test_summary_by_period(api):
    body = api("/api/v1/summary?period=2024-03").get_json()
    assert body["period"] == {"label": "2024-03", "kind": "month", "convention": "calendar",
                              "from": "2024-03-01", "to": "2024-03-31", "title": "Tháng 03/2024"}  # fmt: skip
    assert body["ratings"] == 32 and body["rate_pct"] == 84.4
    assert body["counts"] == {"4": 17, "3": 10, "2": 2, "1": 3}
    assert body["trend"]["previous_rate_pct"] == 62.5 and body["trend"]["total_diff"] == 24
    assert body["screening"]["raw"] == 37 and body["screening"]["quarantined"] == 1
    # Hộ tịch (16/20) and Đất đai (6/8) are short: the total is not met, 1 + 1 short.
    assert body["coverage"] == {"fields": 3, "fields_met": 1, "ratings": 31, "dossiers": 38,
                                "coverage_pct": 81.6, "meets_target": False, "needed": 2,
                                "outside_ratings": 1, "missing_months": [], "target_pct": 80.0}  # fmt: skip


def test_by_field_and_official(api):
    fields = {f["code"]: f for f in api("/api/v1/fields?period=2024-03").get_json()["fields"]}
    assert fields["ho-tich"]["coverage_pct"] == 80.0 and fields["ho-tich"]["needed"] == 1
    assert fields[None]["name"] == "Không ghi lĩnh vực" and fields[None]["ratings"] == 1
    officials = api("/api/v1/officials?period=2024-03").get_json()["officials"]
    first, held = officials[0], officials[-1]
    assert (first["code"], first["rank"], first["rate_pct"]) == ("cb-01", 1, 90.9)
    assert held["held_back"] and held["rate_pct"] is None and held["rank"] is None


def test_by_device(api):
    body = api("/api/v1/devices?period=2024-03").get_json()
    kiosks = {d["device"]: d for d in body["devices"]}
    assert kiosks["k1"]["state"] == "online" and kiosks["k1"]["last_seq"] == 24
    assert kiosks["k2"]["faults"] == ["button-2-stuck"]
    # March: k1 19 live presses less 1 excluded, k2 10, k3 5 less 1 excluded: the 32 counted.
    assert [kiosks[k]["ratings"] for k in ("k1", "k2", "k3")] == [18, 10, 4]


def test_a_bad_period_is_a_400_with_a_reason(api):
    response = api("/api/v1/summary?period=2024-13")
    assert response.status_code == 400
    assert "2024-13" in response.get_json()["error"]
