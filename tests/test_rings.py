"""Density hints: where a nearby search starts its circle."""

from __future__ import annotations

import math

from resolvers.geo import GeoPoint
from resolvers.rings import MARGIN, MAX_AREAS, RingHints, area_of

PARIS = ("Paris", (), ())


def test_with_no_hint_a_search_starts_where_it_is_told() -> None:
    hints = RingHints()
    hints.learn(None, 50, within_km=1.0)

    assert hints.first_ring_km(PARIS, 21, otherwise=0.1) == 0.1
    assert hints.first_ring_km(None, 21, otherwise=0.1) == 0.1


def test_a_hint_sizes_the_circle_for_the_page_at_the_density_seen() -> None:
    hints = RingHints()
    hints.learn(PARIS, 84, within_km=0.5)

    # 84 within 0.5 km: 21 within 0.25 km, then the margin.
    assert math.isclose(hints.first_ring_km(PARIS, 21, otherwise=0.1), MARGIN * 0.25)
    assert math.isclose(hints.first_ring_km(PARIS, 84, otherwise=0.1), MARGIN * 0.5)


def test_the_latest_search_replaces_the_hint_and_finding_nothing_keeps_it() -> None:
    hints = RingHints()
    hints.learn(PARIS, 84, within_km=0.5)
    hints.learn(PARIS, 21, within_km=0.5)
    hints.learn(PARIS, 0, within_km=2.0)

    assert math.isclose(hints.first_ring_km(PARIS, 21, otherwise=0.1), MARGIN * 0.5)


def test_past_its_bound_the_process_learns_afresh() -> None:
    hints = RingHints()
    for key in range(MAX_AREAS):
        hints.learn(key, 10, within_km=1.0)
    hints.learn("one more", 10, within_km=1.0)

    assert hints.first_ring_km(0, 10, otherwise=0.1) == 0.1
    assert math.isclose(hints.first_ring_km("one more", 10, otherwise=0.1), MARGIN * 1.0)


def test_areas_are_a_tenth_of_a_degree_either_side_of_zero() -> None:
    assert area_of(GeoPoint(48.85, 2.35)) == (488, 23)
    assert area_of(GeoPoint(-0.05, -179.99)) == (-1, -1800)
