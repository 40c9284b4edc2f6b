"""The audit tables' hash chains: verified end to end, and their heads recorded outside the database.

Every audit table is one chain (``ingest.warehouse.schema.CHAINED_COLUMNS``): its n-th row carries
``chain_seq`` n, ``prev_hash`` (row n-1's hash) and ``row_hash`` = sha256(n | prev_hash | its
chained columns as canonical JSON), set by a trigger when the row is inserted.

- A row rewritten with the triggers disabled no longer hashes to its ``row_hash``; a deleted or
  slipped-in row breaks ``chain_seq`` or ``prev_hash``: ``verify`` names the first such row.
- Whoever rewrites a row and recomputes the rest of the chain gets a chain that holds in itself,
  but no longer passes through the heads recorded earlier in
  ``$SWDW_HOME/artifacts/audit_chain/heads.jsonl`` (one JSON line per recording, appended after an
  ingest run and by ``swdw audit verify --record``), so ``verify`` catches that too. Rows appended
  after the last recording are covered by the chain alone until the next recording.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from ingest.artifact_store import artifact_store
from ingest.warehouse.connection import bootstrap, connect
from ingest.warehouse.schema import CHAINED_COLUMNS


@dataclass(frozen=True)
class RecordedHead:
    row_hash: str
    recorded_at: str


@dataclass(frozen=True)
class Break:
    """The first broken link of one chain."""

    table: str
    row: str  # e.g. "finding_id 7 (chain_seq 7)"
    problem: str
    expected: str | None
    found: str | None

    def __str__(self) -> str:
        return f"{self.table}: broken at {self.row}: {self.problem}: expected {self.expected}, found {self.found}"


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int  # rows that hold, in chain order (all of them when intact)
    head_hash: str | None
    broken: Break | None


HEADS_KEY = "artifacts/audit_chain/heads.jsonl"


def heads_path() -> Path:
    """heads.jsonl in a local artifact store (backup and the audit pack copy it from there)."""
    return artifact_store().local_path(HEADS_KEY)


def current_heads(conn) -> dict[str, dict]:
    """{table: {"chain_seq", "row_hash"}} of every chain, as committed now (one snapshot)."""
    heads = {}
    with conn.transaction():
        conn.execute("set transaction isolation level repeatable read, read only")
        for table in CHAINED_COLUMNS:
            row = conn.execute(
                f"select chain_seq, row_hash from {table} where chain_seq is not null order by chain_seq desc limit 1"
            ).fetchone()
            heads[table] = {"chain_seq": row[0] if row else 0, "row_hash": row[1] if row else None}
    return heads


def record_chain_heads(source: str = "ingest") -> dict[str, dict]:
    """Append the chains' current heads to heads.jsonl (call after every ingest run); returns them."""
    with connect() as conn:
        heads = current_heads(conn)
    line = {"recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "source": source, "heads": heads}
    store = artifact_store()
    with store.writing(HEADS_KEY):  # concurrent runs, on any worker, append whole lines
        store.append(HEADS_KEY, (json.dumps(line, sort_keys=True) + "\n").encode("utf-8"))
    return heads


def recorded_heads(path: Path | None = None) -> dict[str, dict[int, RecordedHead]]:
    """{table: {chain_seq: the earliest head recorded at that position}} from heads.jsonl."""
    recorded: dict[str, dict[int, RecordedHead]] = {table: {} for table in CHAINED_COLUMNS}
    store = artifact_store()
    if path is not None:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    else:
        text = store.get_text(HEADS_KEY) if store.exists(HEADS_KEY) else ""
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        for table, head in entry["heads"].items():
            if head["chain_seq"]:
                recorded.setdefault(table, {}).setdefault(
                    head["chain_seq"], RecordedHead(head["row_hash"], entry["recorded_at"])
                )
    return recorded


def verify_chain(conn, table: str, recorded: dict[int, RecordedHead]) -> ChainReport:
    """Walk one chain in chain_seq order, recomputing each hash in the database; stop at the first break."""
    columns = CHAINED_COLUMNS[table]
    row_id = columns[0]
    seq, previous_hash = 0, None

    def broken(label: str, problem: str, expected, found) -> ChainReport:
        return ChainReport(table, seq, previous_hash, Break(table, label, problem, expected, found))

    with conn.transaction(), conn.cursor(name=f"verify_{table.split('.')[1]}") as cursor:
        cursor.itersize = 10_000
        cursor.execute(
            f"select chain_seq, {row_id}, prev_hash, row_hash, "
            f"audit.chain_hash(chain_seq, prev_hash, audit.chain_content(t, %s)) "
            f"from {table} t order by chain_seq nulls last, {row_id}",
            (list(columns),),
        )
        for row_seq, row_key, prev_hash, row_hash, recomputed in cursor:
            label = f"{row_id} {row_key} (chain_seq {row_seq})"
            if row_seq is None or row_hash is None:
                return broken(label, "row not in the chain (written with the chain trigger disabled)", "a hash", None)
            if row_seq != seq + 1:
                return broken(label, "chain_seq skips or repeats (a row deleted or slipped in)", seq + 1, row_seq)
            if prev_hash != previous_hash:
                return broken(label, "prev_hash is not the previous row's row_hash", previous_hash, prev_hash)
            if row_hash != recomputed:
                return broken(label, "row changed since it was written (row_hash recomputed)", recomputed, row_hash)
            head = recorded.get(row_seq)
            if head and head.row_hash != row_hash:
                problem = f"chain rewritten at or before this row: differs from the head recorded {head.recorded_at}"
                return broken(label, problem, head.row_hash, row_hash)
            seq, previous_hash = row_seq, row_hash
    beyond = sorted(s for s in recorded if s > seq)
    if beyond:
        head = recorded[beyond[0]]
        return broken(
            f"chain_seq {beyond[0]}",
            f"recorded {head.recorded_at} but the chain ends at chain_seq {seq} (rows deleted)",
            head.row_hash,
            None,
        )
    return ChainReport(table, seq, previous_hash, None)


def verify_chains(record: bool = False) -> list[ChainReport]:
    """Every chain checked against itself and the recorded heads; with record, heads recorded when all hold."""
    bootstrap()  # a warehouse from before the chains gets them (its rows sealed once)
    recorded = recorded_heads()
    with connect() as conn:
        reports = [verify_chain(conn, table, recorded.get(table, {})) for table in CHAINED_COLUMNS]
    if record and not any(r.broken for r in reports):
        record_chain_heads(source="verify")
    return reports


def print_verification(reports: list[ChainReport], recorded_in: Path | None = None) -> None:
    width = max(len(r.table) for r in reports)
    for r in reports:
        state = "BROKEN" if r.broken else f"intact, head {r.head_hash}" if r.head_hash else "intact (empty)"
        print(f"{r.table:{width}}  {r.rows:>8} rows  {state}")
    for r in reports:
        if r.broken:
            print(str(r.broken))
    store = artifact_store()
    path = str(recorded_in) if recorded_in else store.uri(HEADS_KEY)
    if recorded_in.exists() if recorded_in else store.exists(HEADS_KEY):
        print(f"recorded heads: {path}")
    else:
        print(f"no recorded heads yet ({path}): each chain was checked against itself only")
    broken = sum(1 for r in reports if r.broken)
    print(f"audit verify: {broken} of {len(reports)} chains broken" if broken else "audit verify: every chain holds")
