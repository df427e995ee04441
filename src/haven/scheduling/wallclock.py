"""Office-local wall-clock times to instants, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
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
