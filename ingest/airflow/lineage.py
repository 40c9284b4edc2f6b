"""OpenLineage in Airflow: the provider's settings, and the datasets a process_file task declares.

The names and the transport are ingest.lineage's, shared with the dbt build the CLI runs, so both
name the same table the same way.
"""

from __future__ import annotations

import json

from ingest.lineage.naming import (
    JOB_NAMESPACE,
    is_openlineage_dataset,
    landing_file_dataset,
    warehouse_table_dataset,
)
from ingest.lineage.transport import transport_config


def openlineage_env(env) -> dict[str, str]:
    """The Airflow OpenLineage provider's settings for ``env`` (an Airflow environment being built).

    Kept as environment variables so they apply to every Airflow process started with it
    (``airflow dags test``, scheduler, workers); values already in ``env`` win, so a deployment
    can point the provider at a real lineage server or switch it off (AIRFLOW__OPENLINEAGE__DISABLED).
    """
    settings = {
        "AIRFLOW__OPENLINEAGE__NAMESPACE": JOB_NAMESPACE,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport_config("airflow", env)),
        # task events carry no task source code: a reader wants data lineage, and the DAG files are in git
        "AIRFLOW__OPENLINEAGE__EMISSION_POLICY": json.dumps(
            [{"scope": {}, "controls": {"include_source_code": False}}]
        ),
    }
    return {key: value for key, value in settings.items() if key not in env}


def declare_file_task_inputs(task, file: dict) -> None:
    """A process_file task reads its landing file: the provider reports the task's inlets.

    TaskFlow tasks have no OpenLineage extractor, so the provider falls back to the task's
    inlets and outlets; they are only known at run time (one mapped task per file), so they are
    set on the running task, which is the object the provider's listener reads.
    """
    task.inlets = [landing_file_dataset(file["path"])]


def declare_file_task_outputs(task, outcome: dict) -> None:
    """What processing the file wrote: the register always, raw.<type> when its rows were loaded."""
    outputs = [warehouse_table_dataset("audit", "submission")]
    if outcome.get("status") == "loaded":
        outputs.append(warehouse_table_dataset("raw", outcome["submission_type"]))
    task.outlets = [*(o for o in task.outlets if not is_openlineage_dataset(o)), *outputs]
