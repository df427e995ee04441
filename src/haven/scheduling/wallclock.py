"""Office-local wall-clock times to instants, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a naive office-local wall time names, or None when it does not exist.

    A wall time skipped by a spring-forward change does not exist; one repeated by a fall-back
    change names its first occurrence (fold=0).
    """
    local = wall.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive office-local wall time of an aware instant."""
    return instant.astimezone(zone).replace(tzinfo=None)


def next_offset_change(zone: ZoneInfo, after: datetime, within_days: int = 400) -> datetime | None:
    """The first instant after `after` at which the zone's UTC offset changes (a DST change),
    to the minute; None when there is none within `within_days`."""
    start = after.astimezone(UTC)
    offset = start.astimezone(zone).utcoffset()
    day = timedelta(days=1)
    for n in range(within_days):
        if (start + (n + 1) * day).astimezone(zone).utcoffset() != offset:
            low, high = start + n * day, start + (n + 1) * day
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
    return None
