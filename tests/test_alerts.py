"""Alerts: a matching new listing notifies the alert's owner; others stay silent; at most
ten, within 100 km, and a refusal stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from models import Alert, Database
from tests.api import Api, SignedIn
from tests.community import count, notifications_of, refused
from tests.live import LYON, NEAR_PARIS, PARIS

BIKE = {"type": "OFFER", "kind": "GOOD", "category": "transport", "title": "A red bike"}


async def create_alert(api: Api, member: SignedIn, **input: Any) -> dict[str, Any]:
    data = await api.data(
        "CreateAlert", {"input": {"near": PARIS, "radiusKm": 5, **input}}, token=member.token
    )
    payload: dict[str, Any] = data["createAlert"]
    return payload


async def post(api: Api, member: SignedIn, location: dict[str, float], **changes: Any) -> str:
    listing = {**BIKE, "description": "", "digos": 3, "location": location, **changes}
    payload = (await api.data("CreateListing", {"input": listing}, token=member.token))[
        "createListing"
    ]
    assert payload["userErrors"] == []
    listing_id: str = payload["listing"]["id"]
    return listing_id


@pytest.fixture
async def watcher(api: Api) -> SignedIn:
    return await api.register(display_name="Watcher")


@pytest.fixture
async def poster(api: Api) -> SignedIn:
    return await api.register(display_name="Poster")


async def test_an_alert_tells_of_a_matching_offer_and_not_of_one_out_of_range(
    api: Api, watcher: SignedIn, poster: SignedIn
) -> None:
    saved = await create_alert(api, watcher, types=["OFFER"], text="bike")
    assert saved["userErrors"] == []

    near = await post(api, poster, NEAR_PARIS)
    await post(api, poster, LYON)

    [told] = await notifications_of(api, watcher)
    assert (told["kind"], told["listing"]["id"], told["actor"]["id"]) == (
        "ALERT_MATCH",
        near,
        poster.id,
    )
    assert told["text"] == "New near you: “A red bike”"


@pytest.mark.parametrize(
    "alert",
    [{"types": ["NEED"]}, {"categories": ["books"]}, {"text": "sofa"}, {"radiusKm": 0.5}],
    ids=["type", "category", "text", "radius"],
)
async def test_an_alert_stays_silent_for_what_it_does_not_look_for(
    api: Api, watcher: SignedIn, poster: SignedIn, alert: dict[str, Any]
) -> None:
    assert (await create_alert(api, watcher, **alert))["userErrors"] == []

    await post(api, poster, NEAR_PARIS)

    assert await notifications_of(api, watcher) == []


async def test_a_member_is_not_told_of_their_own_listing(api: Api, watcher: SignedIn) -> None:
    await create_alert(api, watcher)

    await post(api, watcher, PARIS)

    assert await notifications_of(api, watcher) == []


async def test_an_eleventh_alert_is_refused(
    api: Api, database: Database, watcher: SignedIn
) -> None:
    for _ in range(10):
        assert (await create_alert(api, watcher))["userErrors"] == []

    assert refused(await create_alert(api, watcher), "alert") == [("LIMIT_REACHED", None)]
    assert await count(database, Alert) == 10


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        ({"radiusKm": 100.5}, "radiusKm"),
        ({"radiusKm": 0}, "radiusKm"),
        ({"near": {"latitude": 91, "longitude": 0}}, "near.latitude"),
        ({"categories": ["nope"]}, "categories"),
        ({"text": "x" * 201}, "text"),
    ],
)
async def test_a_wrong_alert_is_refused_and_not_saved(
    api: Api, database: Database, watcher: SignedIn, alert: dict[str, Any], field: str
) -> None:
    assert refused(await create_alert(api, watcher, **alert), "alert") == [("VALIDATION", field)]
    assert await count(database, Alert) == 0


async def test_my_alerts_and_deleting_one(api: Api, watcher: SignedIn, poster: SignedIn) -> None:
    saved = (await create_alert(api, watcher, categories=["transport"]))["alert"]

    mine = (await api.data("MyAlerts", token=watcher.token))["myAlerts"]
    assert [(a["id"], a["near"], a["radiusKm"], a["categories"], a["types"]) for a in mine] == [
        (saved["id"], PARIS, 5.0, ["transport"], [])
    ]
    theirs = await api.data("DeleteAlert", {"input": {"alertId": saved["id"]}}, token=poster.token)
    assert refused(theirs["deleteAlert"], "deletedAlertId") == [("NOT_FOUND", "alertId")]
    gone = await api.data("DeleteAlert", {"input": {"alertId": saved["id"]}}, token=watcher.token)
    assert gone["deleteAlert"] == {"deletedAlertId": saved["id"], "userErrors": []}
    assert (await api.data("MyAlerts", token=watcher.token))["myAlerts"] == []
