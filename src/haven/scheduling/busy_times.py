"""Resources' claimed time as sorted integer intervals, answering "is it free?" by bisection."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable


class BusyTimes:
    """Claims per resource as [start, end) epoch seconds; built once per availability query."""

    def __init__(self, claims: Iterable[tuple[int, int, int]]) -> None:
        by_resource: dict[int, list[tuple[int, int]]] = {}
        for resource_id, starts, ends in claims:
            by_resource.setdefault(resource_id, []).append((starts, ends))
        self._starts: dict[int, list[int]] = {}
        # Running maximum of the ends: claims of one resource never overlap (the database
        # guards that), but the running maximum keeps the answer right even if some did.
        self._max_ends: dict[int, list[int]] = {}
        for resource_id, spans in by_resource.items():
            spans.sort()
            self._starts[resource_id] = [starts for starts, _ in spans]
            running, max_ends = 0, []
            for _, ends in spans:
                running = max(running, ends)
                max_ends.append(running)
            self._max_ends[resource_id] = max_ends

    def is_free(self, resource_id: int, starts: int, ends: int) -> bool:
        """True when no claim of the resource overlaps [starts, ends)."""
        claim_starts = self._starts.get(resource_id)
        if not claim_starts:
            return True
        last_before_end = bisect_left(claim_starts, ends) - 1
        return last_before_end < 0 or self._max_ends[resource_id][last_before_end] <= starts
