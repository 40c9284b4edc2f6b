"""Validating OpenLineage events against the official JSON schemas vendored in tests/openlineage_spec/.

An event is checked against OpenLineage.json (RunEvent, DatasetEvent or JobEvent; every facet at
least a BaseFacet with _producer and _schemaURL); each facet whose ``_schemaURL`` is one of the
vendored standard facets is checked against that facet's own schema as well. A standard facet
of a version not vendored is an error, so a producer upgrade cannot slip past unvalidated.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent / "openlineage_spec"
STANDARD_FACETS = "https://openlineage.io/spec/facets/"
FACET_CONTAINERS = ("facets", "inputFacets", "outputFacets")


@cache
def _registry():
    from referencing import Registry, Resource

    resources = [
        Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))
        for path in [SPEC_DIR / "OpenLineage.json", *sorted((SPEC_DIR / "facets").glob("*.json"))]
    ]
    return Registry().with_resources((resource.id(), resource) for resource in resources)


@cache
def _format_checker():
    """jsonschema's format checks (uuid, ...) plus date-time and uri, which it only checks with optional packages."""
    from datetime import datetime
    from urllib.parse import urlparse

    from jsonschema import Draft202012Validator

    checker = Draft202012Validator.FORMAT_CHECKER

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        # RFC 3339 needs a date, a time and an offset; fromisoformat parses, the offset is checked here
        return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    @checker.checks("uri")
    def _uri(value) -> bool:
        return not isinstance(value, str) or bool(urlparse(value).scheme)

    return checker


def _validator(schema_url: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": schema_url}, registry=_registry(), format_checker=_format_checker())


def _messages(where: str, errors) -> list[str]:
    from jsonschema.exceptions import best_match

    errors = list(errors)
    if not errors:
        return []
    best = best_match(errors)
    while best.context:  # a oneOf failure: the reason within the branch that came closest, not the whole event
        best = best_match(best.context)
    return [f"{where}: {best.json_path}: {best.message[:300]} ({len(errors)} error(s))"]


def _facets(event: dict):
    """(where, facet) for every facet of the event: run, job, and each input and output dataset."""
    for where, holder in (("run", event.get("run")), ("job", event.get("job"))):
        for name, facet in ((holder or {}).get("facets") or {}).items():
            yield f"{where}.{name}", facet
    for side in ("inputs", "outputs"):
        for dataset in event.get(side) or []:
            for container in FACET_CONTAINERS:
                for name, facet in (dataset.get(container) or {}).items():
                    yield f"{side}[{dataset.get('name')}].{container}.{name}", facet


def schema_errors(event: dict) -> list[str]:
    """Why the event does not conform; empty when it does."""
    errors = []
    if not _validator(_event_schema_id()).is_valid(event):  # one of RunEvent, DatasetEvent, JobEvent
        kind = "RunEvent" if "run" in event else "DatasetEvent" if "dataset" in event else "JobEvent"
        errors = _messages(kind, _validator(f"{_event_schema_id()}#/$defs/{kind}").iter_errors(event))
        errors = errors or [f"{kind}: valid as a {kind} but not as exactly one kind of event"]
    for where, facet in _facets(event):
        url = facet.get("_schemaURL", "") if isinstance(facet, dict) else ""
        if not url.startswith(STANDARD_FACETS):
            continue  # a custom facet (Airflow's, dbt's): the event schema checked it as a BaseFacet
        if url.split("#")[0] not in _registry():
            errors.append(f"{where}: standard facet schema {url} is not vendored in {SPEC_DIR.name}/")
            continue
        errors += _messages(where, _validator(url).iter_errors(facet))
    return errors


@cache
def _event_schema_id() -> str:
    return json.loads((SPEC_DIR / "OpenLineage.json").read_text(encoding="utf-8"))["$id"]
