"""Reading the OpenLineage event files a run wrote, and the dataset graph they describe."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path


def event_files(directory: Path) -> set[Path]:
    return set(directory.glob("*.json")) if directory.exists() else set()


def read_events(paths) -> dict[Path, dict]:
    """Each file holds one event (the file transport without append)."""
    return {path: json.loads(path.read_text(encoding="utf-8")) for path in sorted(paths)}


def dataset_key(dataset: dict) -> tuple[str, str]:
    return dataset["namespace"], dataset["name"]


def lineage_graph(events) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """Dataset -> the datasets written by a run that read it (the edges a lineage server draws)."""
    graph: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for event in events:
        if event.get("eventType") != "COMPLETE":
            continue
        for source in event.get("inputs") or []:
            graph[dataset_key(source)].update(dataset_key(target) for target in event.get("outputs") or [])
    return graph


def downstream(graph, start: tuple[str, str]) -> set[tuple[str, str]]:
    """Every dataset reachable from ``start``."""
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
