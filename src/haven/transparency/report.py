"""The public transparency report: banded figures, the checkpoint they were computed at, and
their CSV and JSON forms (schema: docs/transparency-schema.md).

Counts that concern requests or people are banded: below the band width (default 10) a count is
shown as ``0-9``, so that nobody can be singled out from a small number; from the width on it is
exact. Durations and the share produced are withheld when fewer requests than the band width
stand behind them. Counts of public registers (agreements, injunctions, policy versions) are not
about people and are exact.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from haven.errors import Invalid
from haven.transparency.figures import Figures

SCHEMA = "haven.transparency/v1"
DEFAULT_BAND_WIDTH = 10
HOUR = 3600


class BadBandWidth(Invalid):
    code = "transparency_bad_band_width"


@dataclass(frozen=True)
class CheckpointRef:
    """The signed checkpoint the figures were computed at."""

    origin: str
    size: int
    root_hash: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root_hash": base64.b64encode(self.root_hash).decode(),
        }


@dataclass(frozen=True)
class Row:
    """One published figure: its section, the item within it, and the shown (banded) value."""

    section: str
    item: str
    value: str


@dataclass(frozen=True)
class Report:
    figures: Figures
    checkpoint: CheckpointRef
    band_width: int
    rows: tuple[Row, ...]

    def section(self, name: str) -> list[Row]:
        return [row for row in self.rows if row.section == name]

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (docs/transparency-schema.md)."""
        period = self.figures.period
        return {
            "schema": SCHEMA,
            "period": {
                "label": period.label,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            },
            "checkpoint": self.checkpoint.as_dict(),
            "banding": {"width": self.band_width, "below": band_label(self.band_width)},
            "figures": [
                {"section": row.section, "item": row.item, "value": row.value} for row in self.rows
            ],
            "policy_versions": self.figures.policy_versions,
        }

    def json_text(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"

    def csv_text(self) -> str:
        """One line per figure; the first lines say the period, checkpoint and banding."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "item", "value"])
        checkpoint = self.checkpoint.as_dict()
        writer.writerow(["report", "period", self.figures.period.label])
        writer.writerow(["report", "checkpoint_origin", checkpoint["origin"]])
        writer.writerow(["report", "checkpoint_size", checkpoint["size"]])
        writer.writerow(["report", "checkpoint_root_hash", checkpoint["root_hash"]])
        writer.writerow(["report", "band_width", self.band_width])
        for row in self.rows:
            writer.writerow([row.section, row.item, row.value])
        for version in self.figures.policy_versions:
            writer.writerow(
                ["policy_versions", f"{version['version']}:{version['event']}", version["at"]]
            )
        return out.getvalue()


def check_band_width(width: int) -> int:
    if not 1 <= width <= 1000:
        raise BadBandWidth("the band width is a whole number from 1 to 1000", field="band")
    return width


def band_label(width: int) -> str:
    return f"0-{width - 1}"


def banded(count: int, width: int) -> str:
    """``0-9`` below the band width (10), the exact count from it on."""
    return band_label(width) if count < width and width > 1 else str(count)


def build_report(figures: Figures, checkpoint: CheckpointRef, band_width: int) -> Report:
    """Band the figures into the rows the page, CSV and JSON publish."""
    width = check_band_width(band_width)

    def count(section: str, item: str, value: int) -> Row:
        return Row(section, item, banded(value, width))

    rows = [count("requests", "received", figures.requests)]
    rows += [count("by_agency_category", k, v) for k, v in figures.by_agency_category.items()]
    rows += [count("by_legal_basis", k, v) for k, v in figures.by_legal_basis.items()]
    rows += [count("outcomes", k, v) for k, v in figures.outcomes.items()]
    rows.append(count("outcomes", "produced", figures.produced))
    enough = figures.requests >= width
    share = f"{round(100 * figures.produced / figures.requests)}%" if enough else "withheld"
    rows.append(Row("outcomes", "share_produced", share))
    rows.append(count("people", "specified", figures.people_specified))
    rows.append(count("people", "produced", figures.people_produced))
    rows += [count("notices", k, v) for k, v in figures.notices.items()]
    rows += _durations(figures.decision_seconds, width)
    rows.append(Row("registers", "matching_agreements_in_force", str(figures.agreements_in_force)))
    rows.append(Row("registers", "injunctions_in_force", str(figures.injunctions_in_force)))
    rows.append(Row("registers", "policy_versions", str(len(figures.policy_versions))))
    return Report(figures, checkpoint, width, tuple(rows))


def _durations(seconds: list[int], width: int) -> list[Row]:
    """Median and 90th percentile (nearest rank) in hours, one decimal."""
    rows = [Row("time_to_decision", "decided", banded(len(seconds), width))]
    if len(seconds) < width or not seconds:
        median = p90 = "withheld"
    else:
        median = _hours(nearest_rank(seconds, 50))
        p90 = _hours(nearest_rank(seconds, 90))
    rows.append(Row("time_to_decision", "median_hours", median))
    rows.append(Row("time_to_decision", "p90_hours", p90))
    return rows


def nearest_rank(ordered: list[int], percent: int) -> int:
    """The nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def _hours(seconds: int) -> str:
    return f"{seconds / HOUR:.1f}"
