"""Building the transparency report from the log: from this office's database (the page and the
CLI) or from a served log's tiles alone (an outside auditor's recomputation).

Either way the figures come from exactly the entries a signed checkpoint covers, and the report
names that checkpoint, so the two computations can be compared figure by figure.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator

import httpx
from sqlalchemy.orm import Session

from haven.errors import HavenError, NotFound
from haven.ledger import service as ledger
from haven.ledger.checkpoint import Checkpoint
from haven.ledger.models import entry_bytes
from haven.ledger.note import NoteVerifier, split_note
from haven.ledger.verify import ServedLog, audit
from haven.transparency.figures import Period, compute_figures
from haven.transparency.report import CheckpointRef, Report, build_report

READ_CHUNK = 5_000


class LogNotVerified(HavenError):
    """The served log did not verify, so no figure from it can be trusted."""

    status_code = 502
    code = "transparency_log_not_verified"


class ReportCache:
    """Reports already computed, by checkpoint and period: a checkpoint never changes, so a
    report computed at one stays right, and pages need not read the whole log per visit."""

    def __init__(self, capacity: int = 32) -> None:
        self._capacity = capacity
        self._reports: OrderedDict[tuple[int, bytes, str, int], Report] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, bytes, str, int]) -> Report | None:
        with self._lock:
            report = self._reports.get(key)
            if report is not None:
                self._reports.move_to_end(key)
            return report

    def put(self, key: tuple[int, bytes, str, int], report: Report) -> None:
        with self._lock:
            self._reports[key] = report
            while len(self._reports) > self._capacity:
                self._reports.popitem(last=False)


def report_from_database(
    session: Session, period: Period, band_width: int, cache: ReportCache | None = None
) -> Report:
    """The report over the entries of the latest signed checkpoint."""
    latest = ledger.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the log has not signed a checkpoint yet; try again shortly")
    key = (latest.size, latest.root_hash, f"{period.start}/{period.end}", band_width)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    report = _compute(session, latest.size, latest.origin, latest.root_hash, period, band_width)
    if cache is not None:
        cache.put(key, report)
    return report


def _compute(
    session: Session, size: int, origin: str, root_hash: bytes, period: Period, band_width: int
) -> Report:
    figures = compute_figures(_database_entries(session, size), period)
    return build_report(figures, CheckpointRef(origin, size, root_hash), band_width)


def _database_entries(session: Session, size: int) -> Iterator[bytes]:
    start = 0
    while start < size:
        chunk = ledger.entries_from(session, start, min(READ_CHUNK, size - start))
        if not chunk:
            return
        for _, data in chunk:
            yield entry_bytes(data)
        start = chunk[-1][0] + 1


class _RecordingLog:
    """A served log that keeps the entries the audit reads, so they are fetched only once."""

    def __init__(self, served: ServedLog) -> None:
        self.served = served
        self.entries: list[bytes] = []

    def signed_checkpoints(self) -> list[str]:
        return self.served.signed_checkpoints()

    def entry_chunks(self) -> Iterable[list[tuple[int, bytes]]]:
        for chunk in self.served.entry_chunks():
            self.entries.extend(data for _, data in chunk)
            yield chunk

    def tile(self, level: int, index: int) -> bytes | None:
        return self.served.tile(level, index)


def report_from_served_log(
    client: httpx.Client, log_url: str, verifier: NoteVerifier, period: Period, band_width: int
) -> Report:
    """Recompute the report from a served log's checkpoint and tiles alone, after checking the
    checkpoint's signature and that the entries give its root (haven.ledger.verify)."""
    source = _RecordingLog(ServedLog(client, log_url))
    result = audit(source, verifier)
    if not result.ok:
        raise LogNotVerified(f"the served log does not verify: {result.findings[0].message}")
    note = source.signed_checkpoints()[0]
    checkpoint = Checkpoint.parse(split_note(note)[0])
    figures = compute_figures(source.entries, period)
    ref = CheckpointRef(checkpoint.origin, checkpoint.size, checkpoint.root_hash)
    return build_report(figures, ref, band_width)
