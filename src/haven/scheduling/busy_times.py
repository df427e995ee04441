"""Resources' claimed time, read in one aggregated query and answered by bisection.

An office's month of claims is tens of thousands of timestamps; building a Python row and a
datetime for each would cost more than everything else availability does together. So each
resource's claims travel as one comma-joined string of sortable keys, in the form that is
cheapest for the database at hand: on SQLite the UTC text it stores TZDateTime in
("YYYY-MM-DD HH:MM:SS.ffffff"), on PostgreSQL whole microseconds since the epoch. Slot times
are turned into the same keys, once each, before comparing.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import ge
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session

from haven.db import TZDateTime
from haven.scheduling.models import SlotClaim

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def utc_text_key(instant: datetime) -> str:
    """An aware instant as the sortable UTC text SQLite stores it as."""
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant.isoformat(" ", "microseconds")[:26]  # without "+00:00"


def epoch_micros_key(instant: datetime) -> int:
    """An aware instant as whole microseconds since the Unix epoch."""
    return (instant - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class KeyForm:
    """How one database sends claim times, and the matching key for a Python instant."""

    joined: Callable[[QueryableAttribute[datetime]], sa.ColumnElement[str]]
    split: Callable[[str], list[Any]]
    key: Callable[[datetime], Any]
    # Sorts after every key: stands for "no further claim".
    beyond: Any


SQLITE_KEYS = KeyForm(
    joined=lambda column: sa.func.group_concat(column, ","),
    split=lambda joined: joined.split(","),
    key=utc_text_key,
    beyond="\uffff",
)
POSTGRESQL_KEYS = KeyForm(
    joined=lambda column: sa.func.string_agg(
        sa.cast(sa.cast(sa.extract("epoch", column) * 1_000_000, sa.BigInteger), sa.Text), ","
    ),
    split=lambda joined: list(map(int, joined.split(","))),
    key=epoch_micros_key,
    beyond=2**63,
)


class BusyTimes:
    """Per resource, the starts and the ends of its live claims, both sorted.

    Claims of one resource never overlap: the database refuses that (exclusion constraint on
    PostgreSQL, trigger on SQLite). So the k-th start and the k-th end belong to one claim.
    """

    def __init__(
        self, form: KeyForm, claims: Iterable[tuple[int, list[Any], list[Any]]] = ()
    ) -> None:
        self.key = form.key
        self._claims = {
            rid: ([*sorted(starts), form.beyond], sorted(ends)) for rid, starts, ends in claims
        }

    def free_flags(
        self, resource_id: int, span_starts: list[Any], span_ends: list[Any]
    ) -> list[bool]:
        """For each span [start, end) (keys from self.key): is the resource free then?"""
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
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    form = SQLITE_KEYS if is_sqlite else POSTGRESQL_KEYS
    if not resource_ids:
        return BusyTimes(form)
    parameters = {
        "resource_ids": resource_ids,
        "lowest_start": longest_claim_starts,
        "starts": starts,
        "ends": ends,
        "now": now,
    }
    rows = session.execute(_claims_query(is_sqlite), parameters)
    return BusyTimes(
        form,
        (
            (rid, form.split(joined_starts), form.split(joined_ends))
            for rid, joined_starts, joined_ends in rows
        ),
    )


@functools.cache
def _claims_query(is_sqlite: bool) -> sa.Select[int, str, str]:
    """Built once per database kind (every booking runs it); values are bound."""
    form = SQLITE_KEYS if is_sqlite else POSTGRESQL_KEYS
    return (
        sa.select(
            SlotClaim.resource_id,
            form.joined(SlotClaim.starts_at),
            form.joined(SlotClaim.ends_at),
        )
        .where(
            SlotClaim.resource_id.in_(sa.bindparam("resource_ids", expanding=True)),
            # The lower bound lets the (resource_id, starts_at) index narrow the scan.
            SlotClaim.starts_at >= sa.bindparam("lowest_start", type_=TZDateTime),
            SlotClaim.starts_at < sa.bindparam("ends", type_=TZDateTime),
            SlotClaim.ends_at > sa.bindparam("starts", type_=TZDateTime),
            # Appointments' claims never expire; a hold's claim counts until it does.
            sa.or_(
                SlotClaim.expires_at.is_(None),
                SlotClaim.expires_at > sa.bindparam("now", type_=TZDateTime),
            ),
        )
        .group_by(SlotClaim.resource_id)
    )
