"""Channel names: a geographic cell per area for appeals, and one per member."""

from __future__ import annotations

import math

CELL_DEGREES = 0.1  # about 11 km of latitude: a city is a handful of cells


def cell_channel(latitude: float, longitude: float) -> str:
    row = math.floor((latitude + 90) / CELL_DEGREES)
    column = math.floor((longitude + 180) / CELL_DEGREES)
    return f"cell:{row}:{column}"


def member_channel(member_id: int) -> str:
    return f"member:{member_id}"
