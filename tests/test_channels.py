"""Cells: a feed's circle, anywhere on Earth, listens to a few dozen cells at most, and one of
them carries every listing shown within it."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from realtime.channels import MAX_CELLS, cell_channels, cells_in_box
from resolvers.geo import GeoPoint, haversine_km
from resolvers.listing_feed import MAX_RADIUS_KM
from resolvers.nearby import bounding_box
from tests.test_nearby import destination


@settings(max_examples=2000, deadline=None)
@given(
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    radius_km=st.floats(0.001, MAX_RADIUS_KM),
    fraction=st.floats(0, 1),
    bearing=st.floats(0, 2 * math.pi),
)
def test_a_feed_listens_to_few_cells_and_hears_every_listing_in_its_circle(
    latitude: float, longitude: float, radius_km: float, fraction: float, bearing: float
) -> None:
    centre = GeoPoint(latitude, longitude)
    shown = destination(centre, radius_km * fraction, bearing).rounded()
    box = bounding_box(centre, radius_km)

    listened = cells_in_box(box.south, box.north, box.longitudes)

    assert len(listened) <= MAX_CELLS
    if haversine_km(centre, shown) <= radius_km:
        assert set(cell_channels(shown.latitude, shown.longitude)) & set(listened)
