"""Density hints: where a nearby search starts its circle."""

from __future__ import annotations

import math

from resolvers.geo import GeoPoint
from resolvers.rings import (
    FIRST_RING_KM,
    LARGEST_RING_KM,
    MARGIN,
    MAX_AREAS,
    SMALLEST_RING_KM,
    RingHints,
    area_of,
)

PARIS = ("Paris", (), ())


def test_with_no_hint_a_search_starts_with_the_first_ring() -> None:
    hints = RingHints()
    hints.learn(None, 50, within_km=1.0)

    assert hints.first_ring_km(PARIS, 21) == FIRST_RING_KM
    assert hints.first_ring_km(None, 21) == FIRST_RING_KM


def test_a_hint_sizes_the_circle_for_the_page_at_the_density_seen() -> None:
    hints = RingHints()
    hints.learn(PARIS, 84, within_km=0.5)

    # 84 within 0.5 km: 21 within 0.25 km, then the margin.
    assert math.isclose(hints.first_ring_km(PARIS, 21), MARGIN * 0.25)
    assert math.isclose(hints.first_ring_km(PARIS, 84), MARGIN * 0.5)


def test_the_latest_search_replaces_the_hint_and_finding_nothing_keeps_it() -> None:
    hints = RingHints()
    hints.learn(PARIS, 84, within_km=0.5)
    hints.learn(PARIS, 21, within_km=0.5)
    hints.learn(PARIS, 0, within_km=2.0)

    assert math.isclose(hints.first_ring_km(PARIS, 21), MARGIN * 0.5)


def test_a_hint_moves_the_start_within_bounds() -> None:
    sparse, dense = RingHints(), RingHints()
    sparse.learn(PARIS, 1, within_km=50.0)
    dense.learn(PARIS, 1_000_000, within_km=SMALLEST_RING_KM)

    assert sparse.first_ring_km(PARIS, 21) == LARGEST_RING_KM
    assert dense.first_ring_km(PARIS, 21) == SMALLEST_RING_KM


def test_a_circle_too_small_to_tell_a_density_teaches_nothing() -> None:
    hints = RingHints()
    hints.learn(PARIS, 1, within_km=1e-160)  # its density would overflow to infinity

    assert hints.first_ring_km(PARIS, 21) == FIRST_RING_KM


def test_past_its_bound_the_process_learns_afresh() -> None:
    hints = RingHints()
    for key in range(MAX_AREAS):
        hints.learn(key, 10, within_km=0.5)
    hints.learn("one more", 10, within_km=0.5)

    assert hints.first_ring_km(0, 10) == FIRST_RING_KM
    assert math.isclose(hints.first_ring_km("one more", 10), MARGIN * 0.5)


def test_areas_are_a_tenth_of_a_degree_either_side_of_zero() -> None:
    assert area_of(GeoPoint(48.85, 2.35)) == (488, 23)
    assert area_of(GeoPoint(-0.05, -179.99)) == (-1, -1800)
