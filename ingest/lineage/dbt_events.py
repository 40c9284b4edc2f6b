"""OpenLineage events of a dbt build that swdw ran itself (`swdw build`, `swdw run`, reprocessing).

The Airflow build DAG needs nothing from here: Cosmos hands each dbt task's lineage to the
OpenLineage provider. A build through ingest.jobs.transform has no such edge, so after it the
events are made the way the `dbt-ol` wrapper makes them: OpenLineage's own dbt integration
(openlineage-integration-common) reads target/manifest.json and target/run_results.json and gives one
run per model and test, with its inputs (raw.*, staging.*, ...) and output (staging.*, marts.*),
the compiled SQL and the test assertions; they hang off one parent run, job ``dbt-run-swdw``,
covering the whole invocation. They are written by the same transport as the provider's
(ingest.lineage.transport), so tables carry the same names in both.

Lineage never fails a build: a problem here is logged and the build's result stands.
``OPENLINEAGE_DISABLED=true`` (the client's own switch) turns it off.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta

from ingest.config import DBT_PROJECT_DIR
from ingest.lineage.naming import JOB_NAMESPACE, rewrite_embedded_addresses
from ingest.lineage.transport import file_transport_config, lineage_location, make_lineage_location

LINEAGE_COMMANDS = ("build", "run", "seed", "snapshot", "test")
PROFILE_NAME, TARGET_NAME = "swdw", "warehouse"  # dbt_project/profiles.yml

log = logging.getLogger(__name__)


def emit_dbt_lineage(args: list[str], succeeded: bool) -> int:
    """Write the OpenLineage events of the dbt invocation that just ran with ``args``; the number written."""
    if not args or args[0] not in LINEAGE_COMMANDS:
        return 0
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return 0
    try:
        return _emit(succeeded)
    except Exception as exc:  # lineage is a by-product: never the reason a build fails
        log.warning("OpenLineage events of the dbt build not written: %s: %s", type(exc).__name__, exc)
        return 0


def _emit(succeeded: bool) -> int:
    from importlib.metadata import version

    from dbt_common.invocation import get_invocation_id  # the invocation that ran last in this process
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.transport.file import FileConfig, FileTransport
    from openlineage.client.uuid import generate_new_uuid
    from openlineage.common.provider.dbt.facets import ParentRunMetadata
    from openlineage.common.provider.dbt.local import DbtLocalArtifactProcessor

    run_results = DBT_PROJECT_DIR / "target" / "run_results.json"
    if not run_results.exists():  # dbt stopped before running anything (e.g. a compilation error)
        return 0
    results = json.loads(run_results.read_text(encoding="utf-8"))
    if results["metadata"].get("invocation_id") != get_invocation_id():  # left by an earlier invocation
        return 0
    finished = datetime.fromisoformat(results["metadata"]["generated_at"].replace("Z", "+00:00"))
    started = finished - timedelta(seconds=float(results.get("elapsed_time") or 0))

    producer = f"https://github.com/OpenLineage/OpenLineage/tree/{version('openlineage-integration-common')}/integration/common"
    processor = DbtLocalArtifactProcessor(
        producer=producer,
        job_namespace=JOB_NAMESPACE,
        project_dir=str(DBT_PROJECT_DIR),
        profile_name=PROFILE_NAME,
        target=TARGET_NAME,
        skip_errors=True,
    )
    processor.should_raise_on_unsupported_command = False
    parent = Job(namespace=JOB_NAMESPACE, name=processor.job_name)
    parent_run_id = str(generate_new_uuid())
    processor.dbt_run_metadata = ParentRunMetadata(
        run_id=parent_run_id, job_name=parent.name, job_namespace=parent.namespace
    )
    node_events = sorted(processor.parse().events(), key=lambda e: (e.eventTime, e.eventType != RunState.START))

    events = [
        RunEvent(
            eventType=RunState.START,
            eventTime=started.isoformat(),
            run=Run(runId=parent_run_id),
            job=parent,
            producer=producer,
        ),
        *node_events,
        RunEvent(
            eventType=RunState.COMPLETE if succeeded else RunState.FAIL,
            eventTime=finished.isoformat(),
            run=Run(runId=parent_run_id),
            job=parent,
            producer=producer,
        ),
    ]
    # the file transport itself, not the transform transport the provider uses: that one serialises
    # every event three more times for its debug log; the same rewrite is applied here directly
    make_lineage_location(lineage_location())
    transport = FileTransport(FileConfig.from_dict(file_transport_config("dbt")))
    for event in events:
        rewrite_embedded_addresses(event)
        transport.emit(event)
    return len(events)
