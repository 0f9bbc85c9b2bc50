"""Small-cell suppression: no statistic may single out a person (R2, R3)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

# A cell that counts fewer people than this is never shown as a number.
MINIMUM_CELL_SIZE = 5


class Count(BaseModel):
    """A number of people, or `suppressed` when showing it could identify someone."""

    count: int | None = Field(description="Null when suppressed.")
    suppressed: bool


def suppress(counts: Mapping[str, int]) -> dict[str, Count]:
    """The cells of one breakdown, with every cell under the minimum suppressed.

    When the suppressed cells together hold 1-4 people, their sum could be recovered from
    the total (which another breakdown of the same people gives away), so the smallest
    shown cells are suppressed as well until the hidden sum is zero or at least the minimum.
    """
    hidden = {key for key, count in counts.items() if count < MINIMUM_CELL_SIZE}
    shown = sorted((count, key) for key, count in counts.items() if key not in hidden)
    while 0 < sum(counts[key] for key in hidden) < MINIMUM_CELL_SIZE and shown:
        hidden.add(shown.pop(0)[1])
    return {
        key: Count(count=None, suppressed=True)
        if key in hidden
        else Count(count=count, suppressed=False)
        for key, count in counts.items()
    }
