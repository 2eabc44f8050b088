"""``forensics spark``: classify a partitioned dataset on Spark, write the results back into it and
store them with ``--db`` (under ``spark-submit``, ``forensics/spark.py`` runs this command).
"""

from __future__ import annotations

from typing import Annotated

import typer

from forensics.cli.app import EXIT_OK, DbOption, _exit, app, out


@app.command()
def spark(
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset directory (visible to the driver and the executors).")],
    date: Annotated[str | None, typer.Option("--date", help="One night (YYYY-MM-DD) or START:END, both included; default: all.")] = None,
    db: DbOption = None,
    policy: Annotated[str | None, typer.Option("--policy", help="Policy TOML file; default: the shipped policy.")] = None,
    master: Annotated[str | None, typer.Option("--master", help="Spark master; default: spark-submit's (or local[*]).")] = None,
    partitions: Annotated[int | None, typer.Option("--partitions", help="Spark partitions to classify in; default: one per SPANS_PER_PARTITION spans, at least two per core.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Store even when these inputs were stored before.")] = False,
) -> None:
    """Classify a forensics dataset on Spark; write findings and runs back into it; store them with --db.

    Without --db nothing is stored. Under spark-submit the master and resources come from spark-submit.
    """
    from forensics.dataset import DateFilter
    from forensics.spark import _classify_dataset, spark_session, store_classification

    when: DateFilter = None
    if date:
        start, _, end = date.partition(":")
        when = (start, end) if end else start
    session = spark_session(master=master)
    result, written = _classify_dataset(dataset, date=when, policy=policy, spark=session, partitions=partitions,
                                        write=True, allow_redacted=False, detectors=None)
    out.print(f"classified: {result.runs.num_rows:,} runs, {result.findings.num_rows:,} findings "
              f"(policy {result.policy_version})", markup=False)
    if written is not None and written.already_written:
        out.print(f"dataset: these results are already in {dataset} (append {written.append_id}); "
                  "not written again", markup=False)
    elif written is not None:
        out.print(f"dataset: runs and findings appended to {dataset} (append {written.append_id})", markup=False)
    if db:
        stored = store_classification(result, db, root=dataset, date=when, force=force)
        out.print(f"stored: batch {stored['batch_id']} {stored['status']}: {stored['runs']:,} runs, "
                  f"{stored['findings']:,} findings (classifier {stored['classifier_version']})", markup=False)
        if stored["reclassified"]:
            out.print(f"reclassified: {stored['reclassified']} input(s) stored under this policy by another classifier; "
                      "a new classifier can change the results, so their older rows were replaced", markup=False)
    _exit(EXIT_OK)
