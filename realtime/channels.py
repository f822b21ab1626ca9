"""Channel names: geographic cells for new listings, and two per member (their news, and
their sign-ins).

Cells come in two sizes. Fine cells are rows of 0.1° of latitude (about 11 km), each cut into
as many columns as keep a cell about 11 km wide at that latitude: near the poles a row has
few columns. Wide cells are the same at 1° (about 111 km). A new listing is announced in the
fine and the wide cell of its point; a feed listens to the fine cells its circle touches,
or, where those would be more than MAX_CELLS, to the wide ones (a 100 km circle touches a
dozen at most), and filters what it hears. So a feed costs a process a few dozen channels
at most, and feeds in one area share them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# The most cells one feed listens to: beyond, it listens to wide cells.
MAX_CELLS = 64


@dataclass(frozen=True, slots=True)
class Grid:
    name: str
    degrees: float

    @property
    def rows(self) -> int:
        return round(180 / self.degrees)

    def row(self, latitude: float) -> int:
        return min(self.rows - 1, max(0, math.floor((latitude + 90) / self.degrees)))

    def columns(self, row: int) -> int:
        south = row * self.degrees - 90
        north = south + self.degrees
        widest = 0.0 if south <= 0 <= north else min(abs(south), abs(north))
        return max(1, math.floor(360 / self.degrees * math.cos(math.radians(widest))))

    def column(self, row: int, longitude: float) -> int:
        columns = self.columns(row)
        return min(columns - 1, max(0, math.floor((longitude + 180) / 360 * columns)))

    def cell(self, latitude: float, longitude: float) -> str:
        row = self.row(latitude)
        return f"{self.name}:{row}:{self.column(row, longitude)}"

    def cells_in_box(
        self, south: float, north: float, spans: list[tuple[float, float]]
    ) -> list[str]:
        cells: list[str] = []
        for row in range(self.row(south), self.row(north) + 1):
            columns: set[int] = set()
            for west, east in spans:
                columns.update(range(self.column(row, west), self.column(row, east) + 1))
            cells.extend(f"{self.name}:{row}:{column}" for column in sorted(columns))
        return cells


FINE = Grid("cell", 0.1)
WIDE = Grid("region", 1.0)


def cell_channel(latitude: float, longitude: float) -> str:
    """The fine cell of a point."""
    return FINE.cell(latitude, longitude)


def cell_channels(latitude: float, longitude: float) -> list[str]:
    """Where a new listing at this point is announced: its fine cell and its wide one."""
    return [FINE.cell(latitude, longitude), WIDE.cell(latitude, longitude)]


def cells_in_box(
    south: float, north: float, longitudes: Iterable[tuple[float, float]]
) -> list[str]:
    """The cells that together hear every listing with latitude in [south, north] and
    longitude in one of the (west, east) ranges (ranges do not cross the antimeridian):
    fine ones, or wide ones where the fine ones would be more than MAX_CELLS."""
    spans = list(longitudes)
    fine = FINE.cells_in_box(south, north, spans)
    return fine if len(fine) <= MAX_CELLS else WIDE.cells_in_box(south, north, spans)


def member_channel(member_id: int) -> str:
    return f"member:{member_id}"


# Where a process that wrote mail wakes the one that sends it.
OUTBOX_CHANNEL = "outbox"


def sign_in_channel(member_id: int) -> str:
    """Where revocations of a member's tokens are announced, to the sockets they signed in."""
    return f"signins:{member_id}"
