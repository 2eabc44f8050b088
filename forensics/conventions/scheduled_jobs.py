"""A run in a scheduled job: a process nobody called, so nobody receives what it raises.

OpenTelemetry's resource semantic conventions name the Kubernetes workload a process runs in:
``k8s.cronjob.name`` ("The name of the CronJob") and ``k8s.job.name``, set by the application's
resource (``OTEL_RESOURCE_ATTRIBUTES``, a resource detector) or added by the collector's
``k8sattributesprocessor`` (open-telemetry/opentelemetry-collector-contrib
``processor/k8sattributesprocessor``: ``extract.metadata`` ``k8s.job.name``, ``k8s.cronjob.name``
from the pod's owner). A service's request has a caller waiting for the answer: an exception that
escapes ``agent.run`` reaches it, and it answers the request with the failure. A Job's pod has no
caller: the exception ends the process, and nobody is there to take it (orphan_failure: a run that
died unexported in a scheduled job left its failure to nobody).

``scheduled_job`` marks every span of a run any of whose spans' resource names a CronJob or a Job.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: The resource (the loaders keep it as ``@resource`` in the attributes) naming a CronJob or a Job.
SCHEDULED: Final = r'"@resource"\s*:\s*\{[^{}]*"k8s\.(?:cronjob|job)\.(?:name|uid)"\s*:\s*"[^"]+'


def _extract() -> list[pl.Expr]:
    attrs = pl.col("attributes")
    hint = attrs.str.contains("job.", literal=True).fill_null(False)
    return [(hint & attrs.str.contains(SCHEDULED).fill_null(False)).alias("_cv_scheduled")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("_cv_scheduled").any().over("run_key").alias("scheduled_job"))


register(
    Convention(
        name="scheduled_jobs",
        signals=(
            Signal(
                "a span whose resource names a Kubernetes CronJob or Job (k8s.cronjob.name, k8s.job.name)",
                "OpenTelemetry (any SDK; the collector's k8sattributesprocessor)",
                "open-telemetry/semantic-conventions (k8s resource attributes); open-telemetry/opentelemetry-collector-contrib "
                "processor/k8sattributesprocessor (extract.metadata k8s.job.name, k8s.cronjob.name)",
                "scheduled_job (orphan_failure: a run that died unexported in a scheduled job had no caller to take its failure)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"scheduled_job": "the run runs in a scheduled job (its resource names a Kubernetes CronJob or Job): no caller awaits it"},
    )
)
