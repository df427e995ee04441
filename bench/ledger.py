"""`haven bench ledger`: Haven's ledger against pymerkle 7.0.0 on the same entries, in one run.

Figures (each printed with its ratio to pymerkle where pymerkle has the same operation):
- in memory: append rate, inclusion and consistency proof time, rebuild (memtree.bench_in_memory);
- durable, SQLite, batched: Haven sequences every entry inside a transaction of BATCH entries
  and integrates the tiles after each commit; pymerkle's SqliteTree appends the same batch;
- inclusion and consistency proofs read from those two databases (Haven: a fresh tile cache per
  proof, so every proof pays its own reads);
- full verification: Haven's `log verify` audit of the SQLite log (every entry hashed again, every
  tile and checkpoint checked) against rebuilding pymerkle's tree from its stored entries;
- PostgreSQL: Haven's sequenced append rate with concurrent writers, one entry per transaction
  as a booking makes it, in a scratch database created and dropped on the given server.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.scratch import scratch_database
from haven import migrate
from haven.clock import SystemClock
from haven.db import make_engine, make_sessionmaker, unit_of_work
from haven.ledger.entries import declare_kind
from haven.ledger.memtree import bench_entries, bench_in_memory
from haven.ledger.merkle import consistency_proof, inclusion_proof
from haven.ledger.note import generate_signer
from haven.ledger.service import publish_checkpoint
from haven.ledger.store import append, append_batch, integrate, tree_state
from haven.ledger.tiles import TileSet
from haven.ledger.verify import DatabaseLog, audit

BATCH = 1_000
HAVEN_PROOF_SAMPLES = 500
PYMERKLE_PROOF_SAMPLES = 50
PG_ENTRIES_PER_WRITER = 250
SEED = 6962


class BenchEvent(StrEnum):
    APPENDED = "bench:ledger:appended"


declare_kind(BenchEvent.APPENDED, fields={"writer", "n"})


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _wall_and_cpu(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of this process (CPU is what a busy shared machine disturbs least)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _mean_us(action: Callable[[int], object], arguments: Sequence[int]) -> float:
    return 1e6 * _seconds(lambda: [action(a) for a in arguments]) / len(arguments)


def _chunks(items: Sequence[bytes], size: int) -> Iterator[Sequence[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sqlite_figures(n: int, workdir: Path) -> dict[str, Any]:
    """Durable batched append, proofs and full verification: Haven vs pymerkle's SqliteTree."""
    from pymerkle import InmemoryTree, SqliteTree

    entries = bench_entries(n)
    chooser = random.Random(SEED)  # benchmark sampling, not secrets
    indexes = [chooser.randrange(n) for _ in range(HAVEN_PROOF_SAMPLES)]
    sizes = [chooser.randrange(1, n) for _ in range(HAVEN_PROOF_SAMPLES)]

    url = f"sqlite:///{workdir / 'haven.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)

    def haven_append() -> None:
        for chunk in _chunks(entries, BATCH):
            with unit_of_work(sessions) as session:
                append_batch(session, chunk)
            with unit_of_work(sessions) as session:
                integrate(session)

    haven_append_s = _seconds(haven_append)
    signer = generate_signer("bench.example/log")
    with unit_of_work(sessions) as session:
        publish_checkpoint(session, signer, SystemClock())
        haven_root = tree_state(session).root_hash

    theirs = SqliteTree(str(workdir / "pymerkle.db"))

    def pymerkle_append() -> None:
        for chunk in _chunks(entries, BATCH):
            theirs.append_entries(list(chunk))

    pymerkle_append_s = _seconds(pymerkle_append)

    # Like pymerkle's tree, one open connection serves every proof; each proof still reads its
    # own tiles (a fresh TileSet caches nothing from the one before).
    reader = sessions()

    def haven_inclusion(index: int) -> None:
        inclusion_proof(index, n, TileSet(reader).get_node)

    def haven_consistency(size: int) -> None:
        consistency_proof(size, n, TileSet(reader).get_node)

    def haven_verify() -> None:
        with unit_of_work(sessions) as session:
            result = audit(DatabaseLog(session), signer.verifier)
        if not result.ok:
            raise RuntimeError(f"benchmark log does not verify: {result.findings[:1]}")

    def pymerkle_verify() -> None:
        connection = sqlite3.connect(workdir / "pymerkle.db")
        rebuilt = InmemoryTree(algorithm="sha256")
        rebuilt.append_entries(
            [row[0] for row in connection.execute("SELECT entry FROM leaf ORDER BY id")]
        )
        connection.close()
        if rebuilt.get_root() != theirs.get_root():
            raise RuntimeError("pymerkle's rebuilt root differs")

    few = PYMERKLE_PROOF_SAMPLES
    haven = {
        "append_per_s": n / haven_append_s,
        "inclusion_proof_us": _mean_us(haven_inclusion, indexes),
        "consistency_proof_us": _mean_us(haven_consistency, sizes),
    }
    reader.close()  # its transaction holds SQLite's writer lock, which the audit takes too
    haven["full_verify_s"], haven["full_verify_cpu_s"] = _wall_and_cpu(haven_verify)
    pymerkle = {
        "append_per_s": n / pymerkle_append_s,
        "inclusion_proof_us": _mean_us(lambda i: theirs.prove_inclusion(i + 1), indexes[:few]),
        "consistency_proof_us": _mean_us(lambda s: theirs.prove_consistency(s, n), sizes[:few]),
    }
    pymerkle["full_verify_s"], pymerkle["full_verify_cpu_s"] = _wall_and_cpu(pymerkle_verify)
    roots_match = theirs.get_root() == haven_root
    theirs.close()
    engine.dispose()
    return {
        "batch": BATCH,
        "haven": haven,
        "pymerkle": pymerkle,
        "roots_match": roots_match,
        "speedup": {
            "append": haven["append_per_s"] / pymerkle["append_per_s"],
            "inclusion_proof": pymerkle["inclusion_proof_us"] / haven["inclusion_proof_us"],
            "consistency_proof": pymerkle["consistency_proof_us"] / haven["consistency_proof_us"],
            "full_verify": pymerkle["full_verify_s"] / haven["full_verify_s"],
            "full_verify_cpu": pymerkle["full_verify_cpu_s"] / haven["full_verify_cpu_s"],
        },
    }


def postgres_figures(server_url: str, writers: int) -> dict[str, Any]:
    """Entries/s that ``writers`` threads sequence, one `append` per committed transaction."""
    per_writer = PG_ENTRIES_PER_WRITER
    at = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    with scratch_database(server_url) as url:
        engine = make_engine(url, pool_size=writers, max_overflow=0)
        sessions = make_sessionmaker(engine)
        ready = threading.Barrier(writers + 1)
        done = threading.Barrier(writers + 1)
        failures: list[BaseException] = []

        def write(writer: int) -> None:
            try:
                with engine.connect():
                    pass  # open this writer's connection before the clock starts
                ready.wait()
                for n in range(per_writer):
                    with unit_of_work(sessions) as session:
                        append(
                            session, BenchEvent.APPENDED, actor="bench", time=at, writer=writer, n=n
                        )
            except BaseException as exc:  # counted below; a silent thread would skew the rate
                failures.append(exc)
            finally:
                done.wait()

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.perf_counter()
        done.wait()
        elapsed = time.perf_counter() - started
        for thread in threads:
            thread.join()
        if failures:
            raise RuntimeError(f"{len(failures)} writers failed: {failures[0]!r}")
        total = writers * per_writer
        with unit_of_work(sessions) as session:
            integrate_s = _seconds(lambda: integrate(session))
            dense = session.execute(
                sa.text("SELECT count(*) = max(index) + 1 FROM ledger_entries")
            ).scalar_one()
        engine.dispose()
    return {
        "writers": writers,
        "entries": total,
        "sequenced_per_s": total / elapsed,
        "integrated_per_s": total / integrate_s,
        "indexes_dense": bool(dense),
    }


def main(*, entries: int, database_url: str | None, writers: int, as_json: bool) -> None:
    """Run every measurement and print the figures (or one JSON object)."""
    if entries < 2:
        raise SystemExit("--entries must be at least 2")
    results: dict[str, Any] = {"entries": entries}
    results["in_memory"] = bench_in_memory(entries)
    with tempfile.TemporaryDirectory(prefix="haven-bench-") as workdir:
        results["sqlite"] = sqlite_figures(entries, Path(workdir))
    results["postgresql"] = None
    if database_url:
        results["postgresql"] = postgres_figures(database_url, writers)
        # The same with one writer: what the lock hand-over between writers costs.
        results["postgresql"]["one_writer_per_s"] = postgres_figures(database_url, 1)[
            "sequenced_per_s"
        ]
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        print(render(results))


def render(results: dict[str, Any]) -> str:
    memory, disk, pg = results["in_memory"], results["sqlite"], results["postgresql"]
    lines = [f"haven bench ledger: {results['entries']:,} entries (Haven vs pymerkle 7.0.0)"]

    def row(label: str, haven: float, theirs: float | None, unit: str, ratio: float | None) -> None:
        theirs_text = "" if theirs is None else f"  pymerkle {theirs:>14,.1f} {unit}"
        ratio_text = "" if ratio is None else f"  x{ratio:,.1f}"
        lines.append(f"  {label:<34} haven {haven:>14,.1f} {unit}{theirs_text}{ratio_text}")

    mh, mp, ms = memory["haven"], memory["pymerkle"] or {}, memory["speedup"] or {}
    row("in-memory append", mh["append_per_s"], mp.get("append_per_s"), "/s", ms.get("append"))
    row(
        "in-memory inclusion proof",
        mh["inclusion_proof_us"],
        mp.get("inclusion_proof_us"),
        "us",
        ms.get("inclusion_proof"),
    )
    dh, dp, ds = disk["haven"], disk["pymerkle"], disk["speedup"]
    row(
        f"durable append, SQLite, batch {disk['batch']}",
        dh["append_per_s"],
        dp["append_per_s"],
        "/s",
        ds["append"],
    )
    row(
        "inclusion proof, SQLite",
        dh["inclusion_proof_us"],
        dp["inclusion_proof_us"],
        "us",
        ds["inclusion_proof"],
    )
    row(
        "consistency proof, SQLite",
        dh["consistency_proof_us"],
        dp["consistency_proof_us"],
        "us",
        ds["consistency_proof"],
    )
    row(
        "full verification (from entries)",
        dh["full_verify_s"],
        dp["full_verify_s"],
        "s",
        ds["full_verify"],
    )
    row(
        "full verification, CPU time",
        dh["full_verify_cpu_s"],
        dp["full_verify_cpu_s"],
        "s",
        ds["full_verify_cpu"],
    )
    lines.append(
        f"  roots match: in memory {memory.get('roots_match')}, SQLite {disk['roots_match']}"
    )
    if pg is None:
        lines.append("  PostgreSQL: skipped (give --database-url postgresql+psycopg://...)")
    else:
        row(
            f"PostgreSQL sequenced, {pg['writers']} writers",
            pg["sequenced_per_s"],
            None,
            "/s",
            None,
        )
        row("PostgreSQL sequenced, 1 writer", pg["one_writer_per_s"], None, "/s", None)
        row("PostgreSQL integration", pg["integrated_per_s"], None, "/s", None)
        lines.append(f"  PostgreSQL indexes dense 0..n-1: {pg['indexes_dense']}")
    return "\n".join(lines)
