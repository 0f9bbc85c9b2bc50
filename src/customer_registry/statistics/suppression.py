"""Small-cell suppression: no statistic may single out a person (R2, R3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

from pydantic import BaseModel, Field

# A cell that counts fewer people than this is never shown as a number.
MINIMUM_CELL_SIZE = 5


class CellCount(BaseModel):
    """A number of people, or `suppressed` when showing it could identify someone."""

    count: int | None = Field(description="Null when suppressed.")
    suppressed: bool


def suppress(counts: Mapping[str, int]) -> dict[str, CellCount]:
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
        key: CellCount(count=None, suppressed=True)
        if key in hidden
        else CellCount(count=count, suppressed=False)
        for key, count in counts.items()
    }


async def suppress_overlapping(
    people: Mapping[str, int], people_in: Callable[[Collection[str]], Awaitable[int]]
) -> set[str]:
    """The keys to suppress in a breakdown where one person can fall in several cells.

    A customer who orders in three months is in three cells, so the hidden cells' counts
    cannot simply be added up: `people_in` counts the distinct people of a set of cells in
    the database. Cells under the minimum are hidden; then, while the hidden cells together
    hold 1-4 distinct people (whose figures the total would give away), the smallest shown
    cell is hidden too.
    """
    hidden = {key for key, count in people.items() if count < MINIMUM_CELL_SIZE}
    shown = sorted((count, key) for key, count in people.items() if key not in hidden)
    while shown and sum(people[key] for key in hidden) > 0:
        if await people_in(hidden) >= MINIMUM_CELL_SIZE:
            break
        hidden.add(shown.pop(0)[1])
    return hidden
