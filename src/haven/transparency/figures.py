"""The transparency report's figures, computed from ledger entries and nothing else.

``compute_figures`` reads the entries of one log prefix (the entries covered by a signed
checkpoint) and derives every number the public report shows, so anyone holding the served tiles
can recompute them (``haven report transparency --from-log URL``). The database is never
consulted here: the same function runs over the database's entries and over the served ones.

What each figure counts (schema: docs/transparency-schema.md):

- a request belongs to the period in which its ``disclosure:request:received`` entry was made;
- its agency category comes from the agency's ``disclosure:agency:registered`` entry;
- its outcome is the last deciding entry: ``disclosure:request:rejected`` or an evaluation with
  outcome ``rejected_invalid`` (rejected as invalid), an evaluation with outcome ``denied`` or a
  decision ``denied`` (denied), a decision ``narrowed`` or a decision after an evaluation that
  narrowed (narrowed), a decision ``approved`` (approved as asked), an evaluation routed to the
  central office (routed), none yet (pending); "produced" is a ``disclosure:production:produced``
  entry for the request, counted beside the outcome;
- time to decision runs from the received entry to the deciding entry;
- notices: ``disclosure:notice:handled`` gives notices sent (queued to the person), delayed by a
  written order, and not required; people produced in requests with no notice entry yet are
  pending;
- agreements and injunctions are in force on the period's last day; policy versions are the
  installed and activated versions up to the period's end.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from haven.errors import Invalid

REQUEST_REF = "disclosure-request:"
RECEIVED = "disclosure:request:received"
REJECTED = "disclosure:request:rejected"
EVALUATED = "disclosure:request:evaluated"
DECIDED = "disclosure:request:decided"
PRODUCED = "disclosure:production:produced"
NOTICE = "disclosure:notice:handled"
AGENCY = "disclosure:agency:registered"
AGREEMENT = "disclosure:matching_agreement:recorded"
INJUNCTION = "disclosure:injunction:recorded"
INJUNCTION_LIFTED = "disclosure:injunction:lifted"
POLICY_KINDS = {
    "disclosure:policy:installed": "installed",
    "disclosure:policy:activated": "in force",
}

# A request received in the period is followed to its outcome whenever that came (up to the
# checkpoint); registers and policy versions are taken as they stood at the period's end.
_AS_OF_PERIOD_END = {AGREEMENT, INJUNCTION, INJUNCTION_LIFTED, *POLICY_KINDS}
OUTCOMES = ("rejected_invalid", "denied", "narrowed", "approved", "routed", "pending")
_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


class BadPeriod(Invalid):
    code = "transparency_bad_period"


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end) in UTC, with the label the report prints."""

    label: str
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def parse_period(text: str) -> Period:
    """``2026Q4`` (a calendar quarter) or ``2026-10-01..2026-12-31`` (both days included)."""
    quarter = _QUARTER.fullmatch(text.strip())
    if quarter:
        year, number = int(quarter[1]), int(quarter[2])
        start = datetime(year, 3 * number - 2, 1, tzinfo=UTC)
        end = (
            datetime(year + 1, 1, 1, tzinfo=UTC)
            if number == 4
            else start.replace(month=3 * number + 1)
        )
        return Period(text.strip(), start, end)
    span = _RANGE.fullmatch(text.strip())
    if span:
        try:
            first, last = date.fromisoformat(span[1]), date.fromisoformat(span[2])
        except ValueError:
            raise BadPeriod(f"'{text}' names a day that does not exist", field="period") from None
        if last < first:
            raise BadPeriod("the period ends before it starts", field="period")
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        return Period(text.strip(), start, end)
    raise BadPeriod(
        "a period is a quarter like 2026Q4 or a range like 2026-10-01..2026-12-31",
        field="period",
    )


def quarter_of(instant: datetime) -> Period:
    """The calendar quarter ``instant`` falls in."""
    return parse_period(f"{instant.year}Q{(instant.month - 1) // 3 + 1}")


@dataclass
class _Request:
    received_at: datetime
    agency: int | None
    basis: str
    individuals: int
    outcome: str = "pending"
    policy_narrowed: bool = False
    decided_at: datetime | None = None
    produced_people: int | None = None
    notices: Counter[str] = field(default_factory=Counter)
    noticed: bool = False


@dataclass(frozen=True)
class Figures:
    """Exact figures (before banding) for one period, and the log prefix they come from."""

    period: Period
    entries: int
    requests: int
    by_agency_category: dict[str, int]
    by_legal_basis: dict[str, int]
    outcomes: dict[str, int]
    produced: int
    people_specified: int
    people_produced: int
    notices: dict[str, int]
    decision_seconds: list[int]
    agreements_in_force: int
    injunctions_in_force: int
    policy_versions: list[dict[str, Any]]


def compute_figures(entries: Iterable[bytes], period: Period) -> Figures:
    """Every figure of the report for ``period`` from the log's entries (in log order)."""
    categories: dict[int, str] = {}
    requests: dict[str, _Request] = {}
    agreements: dict[int, tuple[date, date]] = {}
    injunctions: dict[int, tuple[datetime, datetime | None]] = {}
    lifted: set[int] = set()
    policies: list[dict[str, Any]] = []
    count = 0
    for data in entries:
        count += 1
        entry = json.loads(data)
        kind, time = entry.get("kind"), _instant(entry.get("time"))
        if time is None:
            continue
        if kind in _AS_OF_PERIOD_END and time >= period.end:
            continue  # registers and policy are reported as they stood at the period's end
        if kind == AGENCY:
            categories[int(entry["agency"])] = str(entry["category"])
        elif kind == AGREEMENT:
            agreements[int(entry["agreement"])] = (
                date.fromisoformat(str(entry["starts_on"])[:10]),
                date.fromisoformat(str(entry["ends_on"])[:10]),
            )
        elif kind == INJUNCTION:
            until = entry.get("effective_until")
            injunctions[int(entry["injunction"])] = (
                _instant(entry["effective_from"]) or time,
                _instant(until) if until else None,
            )
        elif kind == INJUNCTION_LIFTED:
            lifted.add(int(entry["injunction"]))
        elif kind in POLICY_KINDS:
            policies.append(
                {
                    "version": entry.get("version"),
                    "sha256": entry.get("sha256"),
                    "event": POLICY_KINDS[kind],
                    "at": entry["time"],
                }
            )
        elif kind == RECEIVED and period.start <= time < period.end:
            ref = _request_ref(entry)
            if ref is not None:
                requests[ref] = _Request(
                    received_at=time,
                    agency=entry.get("agency"),
                    basis=str(entry.get("basis") or "unknown"),
                    individuals=int(entry.get("individuals") or 0),
                )
        else:
            _follow_request(requests, entry, kind, time)
    return _figures(period, count, requests, categories, agreements, injunctions, lifted, policies)


def _follow_request(
    requests: Mapping[str, _Request], entry: Mapping[str, Any], kind: Any, time: datetime
) -> None:
    """Apply a later entry about a request received in the period."""
    ref = _request_ref(entry)
    request = requests.get(ref) if ref is not None else None
    if request is None:
        return
    if kind == REJECTED:
        request.outcome, request.decided_at = "rejected_invalid", time
    elif kind == EVALUATED:
        outcome = entry.get("outcome")
        if outcome in ("rejected_invalid", "denied"):
            request.outcome, request.decided_at = str(outcome), time
        elif outcome == "routed_to_central_office":
            request.outcome, request.decided_at = "routed", time
        elif outcome == "narrowed":
            request.policy_narrowed = True
    elif kind == DECIDED:
        outcome = str(entry.get("outcome"))
        if outcome == "approved" and request.policy_narrowed:
            outcome = "narrowed"
        request.outcome = outcome if outcome in OUTCOMES else "pending"
        request.decided_at = time
    elif kind == PRODUCED:
        request.produced_people = int(entry.get("individuals") or 0)
    elif kind == NOTICE:
        request.noticed = True
        for name, key in (
            ("sent", "notices"),
            ("delayed", "delayed"),
            ("not_required", "not_required"),
        ):
            request.notices[name] += int(entry.get(key) or 0)


def _figures(
    period: Period,
    count: int,
    requests: Mapping[str, _Request],
    categories: Mapping[int, str],
    agreements: Mapping[int, tuple[date, date]],
    injunctions: Mapping[int, tuple[datetime, datetime | None]],
    lifted: set[int],
    policies: list[dict[str, Any]],
) -> Figures:
    rows = list(requests.values())
    notices: Counter[str] = Counter({"sent": 0, "delayed": 0, "not_required": 0, "pending": 0})
    for row in rows:
        notices.update(row.notices)
        if row.produced_people is not None and not row.noticed:
            notices["pending"] += row.produced_people
    outcomes = Counter({name: 0 for name in OUTCOMES})
    outcomes.update(row.outcome for row in rows)
    moment = period.end - timedelta(microseconds=1)
    return Figures(
        period=period,
        entries=count,
        requests=len(rows),
        by_agency_category=dict(
            sorted(Counter(_category(categories, row.agency) for row in rows).items())
        ),
        by_legal_basis=dict(sorted(Counter(row.basis for row in rows).items())),
        outcomes=dict(outcomes),
        produced=sum(row.produced_people is not None for row in rows),
        people_specified=sum(row.individuals for row in rows),
        people_produced=sum(row.produced_people or 0 for row in rows),
        notices=dict(notices),
        decision_seconds=sorted(
            int((row.decided_at - row.received_at).total_seconds())
            for row in rows
            if row.decided_at is not None
        ),
        agreements_in_force=sum(
            start <= period.last_day <= end for start, end in agreements.values()
        ),
        injunctions_in_force=sum(
            start <= moment and (until is None or moment < until) and number not in lifted
            for number, (start, until) in injunctions.items()
        ),
        policy_versions=policies,
    )


def _category(categories: Mapping[int, str], agency: Any) -> str:
    if isinstance(agency, int) and agency in categories:
        return categories[agency]
    return "unregistered"


def _request_ref(entry: Mapping[str, Any]) -> str | None:
    for ref in entry.get("refs") or ():
        if isinstance(ref, str) and ref.startswith(REQUEST_REF):
            return ref
    return None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
