"""Channel names: a geographic cell per area for appeals, and two per member (their news,
and their sign-ins).

Cells are rows of 0.1° of latitude (about 11 km), each cut into as many columns as keep a
cell about 11 km wide at that latitude: near the poles a row has few columns, so a circle
there covers a few hundred cells rather than every 0.1° of longitude.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

CELL_DEGREES = 0.1
ROWS = round(180 / CELL_DEGREES)
EQUATOR_COLUMNS = round(360 / CELL_DEGREES)


def _row(latitude: float) -> int:
    return min(ROWS - 1, max(0, math.floor((latitude + 90) / CELL_DEGREES)))


def _columns(row: int) -> int:
    south = row * CELL_DEGREES - 90
    north = south + CELL_DEGREES
    widest = 0.0 if south <= 0 <= north else min(abs(south), abs(north))
    return max(1, math.floor(EQUATOR_COLUMNS * math.cos(math.radians(widest))))


def _column(row: int, longitude: float) -> int:
    columns = _columns(row)
    return min(columns - 1, max(0, math.floor((longitude + 180) / 360 * columns)))


def cell_channel(latitude: float, longitude: float) -> str:
    row = _row(latitude)
    return f"cell:{row}:{_column(row, longitude)}"


def cells_in_box(
    south: float, north: float, longitudes: Iterable[tuple[float, float]]
) -> list[str]:
    """Every cell that a point with latitude in [south, north] and longitude in one of the
    (west, east) ranges can fall in (ranges do not cross the antimeridian)."""
    spans = list(longitudes)
    cells: list[str] = []
    for row in range(_row(south), _row(north) + 1):
        columns: set[int] = set()
        for west, east in spans:
            columns.update(range(_column(row, west), _column(row, east) + 1))
        cells.extend(f"cell:{row}:{column}" for column in sorted(columns))
    return cells


def member_channel(member_id: int) -> str:
    return f"member:{member_id}"


def sign_in_channel(member_id: int) -> str:
    """Where revocations of a member's tokens are announced, to the sockets they signed in."""
    return f"signins:{member_id}"
