"""The goodvibes discount (design.md): each goodvibe is worth INDIGO_GOODVIBE_VALUE digos off,
at most INDIGO_MAX_DISCOUNT_PERCENT of the price rounded down; goodvibes beyond are not taken."""

from __future__ import annotations

import pytest

from resolvers.economy import Economy
from resolvers.settlement import Discount, discount


@pytest.mark.parametrize(
    ("value", "percent", "price", "goodvibes", "expected"),
    [
        (1, 50, 9, 10, Discount(goodvibes=4, digos=4)),  # 4.5 rounded down
        (1, 50, 9, 3, Discount(goodvibes=3, digos=3)),
        (1, 50, 10, 5, Discount(goodvibes=5, digos=5)),
        (1, 50, 1, 7, Discount(goodvibes=0, digos=0)),  # half of 1 digo is nothing
        (1, 50, 0, 7, Discount(goodvibes=0, digos=0)),  # a gift
        (1, 0, 40, 7, Discount(goodvibes=0, digos=0)),
        (1, 100, 6, 9, Discount(goodvibes=6, digos=6)),
        (2, 50, 10, 9, Discount(goodvibes=2, digos=4)),  # a third would pay 6 of a 5 cap
        (2, 30, 10, 1, Discount(goodvibes=1, digos=2)),
        (3, 50, 5, 4, Discount(goodvibes=0, digos=0)),  # one goodvibe is worth more than 2
    ],
)
def test_goodvibes_buy_whole_digos_up_to_the_cap(
    value: int, percent: int, price: int, goodvibes: int, expected: Discount
) -> None:
    economy = Economy(goodvibe_value=value, max_discount_percent=percent)

    assert discount(economy, price, goodvibes) == expected
