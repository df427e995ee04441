"""Resources' claimed time, read in one aggregated query and answered by bisection.

Claims travel as sortable UTC text ("YYYY-MM-DD HH:MM:SS.ffffff", the form SQLite stores
TZDateTime in), one comma-joined string per resource: an office's month of claims is tens of
thousands of timestamps, and building a Python row and a datetime for each would cost more than
everything else availability does together.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import repeat
from operator import ge

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session

from haven.scheduling.models import SlotClaim


def utc_key(instant: datetime) -> str:
    """An aware instant as the sortable UTC text claims are compared in."""
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant.replace(tzinfo=None).isoformat(" ", "microseconds")


# Sorts after every key: the start of "no further claim".
_NO_MORE_CLAIMS = "\uffff"


class BusyTimes:
    """Per resource, the starts and the ends of its live claims, both sorted.

    Claims of one resource never overlap: the database refuses that (exclusion constraint on
    PostgreSQL, trigger on SQLite). So the k-th start and the k-th end belong to one claim.
    """

    def __init__(self, claims: Iterable[tuple[int, list[str], list[str]]] = ()) -> None:
        self._claims = {
            rid: ([*sorted(starts), _NO_MORE_CLAIMS], sorted(ends)) for rid, starts, ends in claims
        }

    def free_flags(
        self, resource_id: int, span_starts: list[str], span_ends: list[str]
    ) -> list[bool]:
        """For each span [start, end) (keys from utc_key): is the resource free then?"""
        claims = self._claims.get(resource_id)
        if claims is None:
            return [True] * len(span_starts)
        claim_starts, claim_ends = claims
        # The first claim not over by a span's start must not begin before the span's end.
        # map() keeps the ten thousand bisections of a busy month out of Python bytecode.
        following = map(bisect_right, repeat(claim_ends), span_starts)
        return list(map(ge, map(claim_starts.__getitem__, following), span_ends))


def load_busy_times(
    session: Session,
    resource_ids: list[int],
    *,
    starts: datetime,
    ends: datetime,
    now: datetime,
    longest_claim_starts: datetime,
) -> BusyTimes:
    """Every live claim (appointments, unexpired holds) of the resources overlapping
    [starts, ends), in one query. Claims begin no earlier than `longest_claim_starts`."""
    if not resource_ids:
        return BusyTimes()
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows = session.execute(
        sa.select(
            SlotClaim.resource_id,
            _joined_keys(SlotClaim.starts_at, sqlite),
            _joined_keys(SlotClaim.ends_at, sqlite),
        )
        .where(
            SlotClaim.resource_id.in_(resource_ids),
            # The lower bound lets the (resource_id, starts_at) index narrow the scan.
            SlotClaim.starts_at >= longest_claim_starts,
            SlotClaim.starts_at < ends,
            SlotClaim.ends_at > starts,
            # Appointments' claims never expire; a hold's claim counts until it does.
            sa.or_(SlotClaim.expires_at.is_(None), SlotClaim.expires_at > now),
        )
        .group_by(SlotClaim.resource_id)
    )
    return BusyTimes(
        (rid, joined_starts.split(","), joined_ends.split(","))
        for rid, joined_starts, joined_ends in rows
    )


def _joined_keys(column: QueryableAttribute[datetime], sqlite: bool) -> sa.ColumnElement[str]:
    if sqlite:
        # SQLite already stores the sortable UTC text.
        return sa.func.group_concat(column, ",")
    text = sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return sa.func.string_agg(text, ",")
