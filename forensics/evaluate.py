"""Compare a classification with ground truth.

``evaluate(classification, labels)`` takes a labels file in ``LABEL_SCHEMA`` shape (JSON-lines,
like ``sample_logs/labels.jsonl``) or a table, and measures per-class precision, recall, F1 and the
Matthews correlation coefficient over runs (with its mean over the four mission classes), a class
confusion table, decisive-span accuracy, the false alarms on clean runs (which clean run raised
which detector), and lists every miss and false alarm with the story (for a miss) or our
explanation (for a false alarm).

``evaluate_blame(classification, spans)`` (in :mod:`forensics.blame`, importable from here) is for datasets whose ground truth is a responsible
agent and step rather than a class (Who&When: ``mistake_agent``, ``mistake_step``): it reports how
often the run's decisive span belongs to that agent and sits at that step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pyarrow as pa

# Agent/step blame is its own job (forensics.blame); the old import path keeps working.
from forensics.blame import (
    BLAME_LABEL_KEYS,
    HOLDOUT_SEED,
    BlameEvaluation,
    blame_baselines,
    blame_holdout,
    blame_labels_from_spans,
    evaluate_blame,
    without_labels,
)
from forensics.classify import Classification
from forensics.detectors.registry import FAILURE_CLASSES
from forensics.errors import InputError
from forensics.hints import counted_findings, hint_findings
from forensics.schema import LABEL_SCHEMA

__all__ = [
    "BLAME_LABEL_KEYS",
    "BlameEvaluation",
    "Evaluation",
    "HOLDOUT_SEED",
    "MISSION_CLASSES",
    "OK",
    "blame_baselines",
    "blame_holdout",
    "blame_labels_from_spans",
    "evaluate",
    "evaluate_blame",
    "mcc",
    "read_labels",
    "without_labels",
]

#: The confusion table's name for "no failure class".
OK: str = "ok"


#: The four classes the mission names (TAXONOMY.md): their mean MCC is the headline figure.
MISSION_CLASSES: tuple[str, ...] = ("context_collapse", "ownership_gap", "missing_fallback", "silent_failure")


def mcc(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Matthews correlation coefficient of one binary confusion table.

    When a marginal is zero the formula is 0/0. If every run agrees (all true negatives, or all
    true positives) there is nothing to correlate and the result is ``None`` (undefined, shown as
    "-"); if some run disagrees (e.g. the class was never predicted but had support), it is 0.0,
    as scikit-learn does.
    """
    den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    if den == 0:
        return None if fp == 0 and fn == 0 else 0.0
    return float(tp * tn - fp * fn) / float(den) ** 0.5


@dataclass(frozen=True)
class Evaluation:
    """Scores of a classification against labels. Every table is a polars DataFrame."""

    per_class: pl.DataFrame  # failure_class, support, predicted, tp, fp, fn, tn, precision, recall, f1, mcc
    per_detector: pl.DataFrame  # detector, expected, found, recall, fired, tp, fp, fp_clean, hinted
    confusion: pl.DataFrame  # expected class (or ok) x predicted class (or ok), run counts
    runs: pl.DataFrame  # one row per labeled run: expected vs predicted, decisive match
    misses: pl.DataFrame  # run_id, scenario, failure_class, story
    false_alarms: pl.DataFrame  # run_id, scenario, failure_class, detector, explanation
    labeled_runs: int
    missing_runs: list[str]  # labeled runs the classification does not contain
    decisive_total: int
    decisive_correct: int
    clean_total: int
    clean_correct: int
    exact_runs: int
    clean_false_alarms: pl.DataFrame  # run_id, scenario, classes, detectors: clean runs that raised something
    by_format: pl.DataFrame  # source_format, runs, exact, clean, clean_ok

    @property
    def mean_mcc(self) -> float | None:
        """Mean MCC over the mission classes whose MCC is defined (None when none is)."""
        values = [v for v in self.mission_mcc.values() if v is not None]
        return sum(values) / len(values) if values else None

    @property
    def mission_mcc(self) -> dict[str, float | None]:
        rows = {r["failure_class"]: r["mcc"] for r in self.per_class.iter_rows(named=True)}
        return {c: rows.get(c) for c in MISSION_CLASSES}

    @property
    def decisive_accuracy(self) -> float | None:
        return self.decisive_correct / self.decisive_total if self.decisive_total else None

    def format_text(self, max_items: int | None = 50) -> str:
        """A plain-text report (what ``forensics evaluate`` prints); ``max_items`` caps each list
        of misses, false alarms and wrong decisive spans (None: all)."""

        def cap(df: pl.DataFrame) -> pl.DataFrame:
            return df if max_items is None else df.head(max_items)

        def more(df: pl.DataFrame) -> None:
            if max_items is not None and df.height > max_items:
                out.append(f"  ... and {df.height - max_items} more")

        out: list[str] = []
        out.append(
            f"labeled runs: {self.labeled_runs}; class sets exactly right: {self.exact_runs}/{self.labeled_runs}"
        )
        if self.missing_runs:
            out.append(
                f"labeled runs not in the results: {len(self.missing_runs)} ({', '.join(self.missing_runs[:5])})"
            )
        acc = self.decisive_accuracy
        out.append(
            f"decisive span: {self.decisive_correct}/{self.decisive_total} correct"
            + (f" ({acc:.0%})" if acc is not None else "")
        )
        out.append(f"clean runs reported ok: {self.clean_correct}/{self.clean_total}")
        defined = [c for c, v in self.mission_mcc.items() if v is not None]
        mean = self.mean_mcc
        out.append(
            "mean MCC over the four mission classes: "
            + ("-" if mean is None else f"{mean:+.2f}")
            + (
                ""
                if len(defined) == len(MISSION_CLASSES)
                else f" (defined for {len(defined)} of {len(MISSION_CLASSES)})"
            )
        )
        out.append("")
        out.append("per class, over runs (MCC: Matthews correlation; '-' where undefined)")
        out.append(
            f"{'class':<18} {'support':>7} {'found':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'precision':>9} {'recall':>7} {'f1':>6} {'mcc':>6}"
        )
        for r in self.per_class.iter_rows(named=True):
            out.append(
                f"{r['failure_class']:<18} {r['support']:>7} {r['predicted']:>6} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} {r['tn']:>4} "
                f"{_pct(r['precision']):>9} {_pct(r['recall']):>7} {_pct(r['f1']):>6} {_signed(r['mcc']):>6}"
            )
        out.append("")
        out.append(
            f"false alarms on clean runs: {self.clean_false_alarms.height} of {self.clean_total} clean run(s) raised a finding"
        )
        for r in cap(self.clean_false_alarms).iter_rows(named=True):
            out.append(
                f"  {r['run_id']} [{r['scenario'] or '-'}] {', '.join(r['classes'])} ({', '.join(r['detectors'])})"
            )
        more(self.clean_false_alarms)
        if self.by_format.height:
            out.append("")
            out.append(f"{'by source format':<18} {'runs':>5} {'exact':>6} {'clean':>6} {'clean ok':>9}")
            for r in self.by_format.iter_rows(named=True):
                out.append(
                    f"{r['source_format']:<18} {r['runs']:>5} {r['exact']:>6} {r['clean']:>6} {r['clean_ok']:>9}"
                )
        out.append("")
        out.append("confusion (rows: expected class or ok; columns: predicted; a run counts once per pair)")
        cols = [c for c in self.confusion.columns if c != "expected"]
        width = max([len(c) for c in cols] + [8])
        out.append(f"{'':<18} " + " ".join(f"{c[:width]:>{width}}" for c in cols))
        for r in self.confusion.iter_rows(named=True):
            out.append(f"{r['expected']:<18} " + " ".join(f"{r[c]:>{width}}" for c in cols))
        if self.per_detector.height:
            out.append("")
            out.append(
                "per detector, over runs (expected/found: labels naming it; fired: runs it raised a finding "
                "on, tp: of those labelled with its class, fp: not, clean: labelled clean; hinted: runs "
                "with only its hints)"
            )
            out.append(
                f"{'detector':<26} {'expected':>8} {'found':>6} {'recall':>7} {'fired':>6} {'tp':>4} {'fp':>4} "
                f"{'clean':>6} {'hinted':>7}"
            )
            for r in self.per_detector.iter_rows(named=True):
                out.append(
                    f"{r['detector']:<26} {r['expected']:>8} {r['found']:>6} {_pct(r['recall']):>7} {r['fired']:>6} "
                    f"{r['tp']:>4} {r['fp']:>4} {r['fp_clean']:>6} {r['hinted']:>7}"
                )
        out.append("")
        out.append(f"misses ({self.misses.height}):")
        for r in cap(self.misses).iter_rows(named=True):
            out.append(f"  {r['run_id']} [{r['scenario'] or '-'}] {r['failure_class']}: {r['story'] or ''}")
        more(self.misses)
        out.append(f"false alarms ({self.false_alarms.height}):")
        for r in cap(self.false_alarms).iter_rows(named=True):
            out.append(
                f"  {r['run_id']} [{r['scenario'] or '-'}] {r['failure_class']} ({r['detector']}): {r['explanation']}"
            )
        wrong = self.runs.filter(pl.col("decisive_expected").is_not_null() & ~pl.col("decisive_match"))
        more(self.false_alarms)
        out.append(f"wrong decisive span ({wrong.height}):")
        for r in cap(wrong).iter_rows(named=True):
            out.append(
                f"  {r['run_id']} [{r['scenario'] or '-'}] expected {r['decisive_expected']}, got {r['decisive_found'] or 'none'}"
            )
        more(wrong)
        return "\n".join(out)

    def __repr__(self) -> str:
        acc = self.decisive_accuracy
        return (
            f"<Evaluation: {self.labeled_runs} labeled runs, {self.exact_runs} exactly right, "
            f"decisive {self.decisive_correct}/{self.decisive_total}"
            + (f" ({acc:.0%})" if acc is not None else "")
            + f", {self.misses.height} misses, {self.false_alarms.height} false alarms>"
        )


def _detector_precision(joined: pl.DataFrame, det_class: pl.DataFrame, hints: pl.DataFrame) -> pl.DataFrame:
    """Per detector, over the labelled runs: ``fired`` (runs it raised a finding on), ``tp`` (of
    those, runs whose labels hold its class), ``fp`` (runs whose labels do not), ``fp_clean`` (runs
    labelled clean) and ``hinted`` (runs where it raised hints only). Precision by detector, the
    measure of which rule costs a healthy run its clean bill."""
    labelled = joined.filter(~pl.col("_missing")).select("run_id", "expected_classes")
    fired = det_class.join(labelled, on="run_id").with_columns(
        pl.col("expected_classes").list.contains(pl.col("failure_class")).alias("_tp"),
        (pl.col("expected_classes").list.len() == 0).alias("_clean"),
    )
    counts = fired.group_by("detector").agg(
        pl.col("run_id").n_unique().alias("fired"),
        pl.col("run_id").filter(pl.col("_tp")).n_unique().alias("tp"),
        pl.col("run_id").filter(~pl.col("_tp")).n_unique().alias("fp"),
        pl.col("run_id").filter(pl.col("_clean")).n_unique().alias("fp_clean"),
    )
    hinted = (
        hints.select("run_id", "detector")
        .join(labelled, on="run_id", how="semi")
        .join(det_class.select("run_id", "detector"), on=["run_id", "detector"], how="anti")
        .group_by("detector")
        .agg(pl.col("run_id").n_unique().alias("hinted"))
    )
    return counts.join(hinted, on="detector", how="full", coalesce=True)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _by_format(run_rows: pl.DataFrame) -> pl.DataFrame:
    """Per loader of the run: labeled runs, class sets exactly right, clean runs and clean runs reported ok."""
    clean = pl.col("expected_classes").list.len() == 0
    return (
        run_rows.group_by(pl.col("source_format").fill_null("(not in results)"))
        .agg(
            pl.len().cast(pl.Int64).alias("runs"),
            pl.col("classes_match").sum().cast(pl.Int64).alias("exact"),
            clean.sum().cast(pl.Int64).alias("clean"),
            (clean & pl.col("classes_match")).sum().cast(pl.Int64).alias("clean_ok"),
        )
        .sort("source_format")
    )


def _mcc_expr() -> pl.Expr:
    """:func:`mcc` over the per-class columns tp, fp, fn, tn (same rules for a zero marginal)."""
    tp, fp, fn, tn = (pl.col(c).cast(pl.Float64) for c in ("tp", "fp", "fn", "tn"))
    den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    return (
        pl.when(den > 0)
        .then((tp * tn - fp * fn) / den.sqrt())
        .when((fp == 0) & (fn == 0))
        .then(None)
        .otherwise(0.0)
    )


def _signed(x: float | None) -> str:
    return "-" if x is None else f"{x:+.2f}"


def read_labels(source: str | Path | pa.Table | pl.DataFrame) -> pl.DataFrame:
    """Labels as a polars DataFrame in ``LABEL_SCHEMA`` shape; a file is JSON-lines.

    Raises :class:`InputError` with ``path:line`` for a line that is not a label.
    """
    if isinstance(source, pa.Table):
        df = pl.DataFrame(pl.from_arrow(source))
    elif isinstance(source, pl.DataFrame):
        df = source
    else:
        df = _read_label_file(Path(source))
    missing = [f.name for f in LABEL_SCHEMA if not f.nullable and f.name not in df.columns]
    if missing:
        raise InputError(
            f"labels lack column(s) {', '.join(f'`{m}`' for m in missing)}",
            hint="labels follow forensics.schema.LABEL_SCHEMA: run_id, expected_classes, expected_detectors, "
            "decisive_span_id, scenario, file, story.",
        )
    target = pl.DataFrame(pl.from_arrow(LABEL_SCHEMA.empty_table()))
    return df.select(
        [
            pl.col(c).cast(target.schema[c])
            if c in df.columns
            else pl.lit(None, dtype=target.schema[c]).alias(c)
            for c in target.columns
        ]
    )


def _read_label_file(path: Path) -> pl.DataFrame:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the labels file: {exc.strerror or exc}",
            where=str(path),
            hint="pass a JSON-lines file with one LABEL_SCHEMA object per line.",
        ) from exc
    rows: list[dict[str, Any]] = []
    # A labels file is small (one line per labeled run); reading it line by line gives each
    # problem its line number.
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(
                f"expected one JSON object per line: {exc}", where=where, hint="labels files are JSON-lines."
            ) from exc
        if not isinstance(obj, dict):
            raise InputError(
                f"expected a JSON object, found {type(obj).__name__}",
                where=where,
                hint="each line is one labeled run.",
            )
        for key in ("run_id", "expected_classes"):
            if key not in obj:
                raise InputError(
                    f"expected key `{key}`, found keys {sorted(obj)}",
                    where=where,
                    hint="each label needs run_id and expected_classes (empty list for a clean run).",
                )
        if not isinstance(obj["expected_classes"], list):
            raise InputError(
                f"`expected_classes` should be a list, found {type(obj['expected_classes']).__name__}",
                where=where,
                hint="write [] for a clean run.",
            )
        unknown = [c for c in obj["expected_classes"] if c not in FAILURE_CLASSES]
        if unknown:
            raise InputError(
                f"unknown failure class {unknown[0]!r} in expected_classes",
                where=where,
                hint=f"classes are: {', '.join(FAILURE_CLASSES)}.",
            )
        obj.setdefault("expected_detectors", [])
        rows.append({f.name: obj.get(f.name) for f in LABEL_SCHEMA})
    return pl.DataFrame(rows, schema=pl.DataFrame(pl.from_arrow(LABEL_SCHEMA.empty_table())).schema)


def evaluate(classification: Classification, labels: str | Path | pa.Table | pl.DataFrame) -> Evaluation:
    """Score ``classification`` against ``labels`` (a LABEL_SCHEMA JSON-lines file or table)."""
    lab = read_labels(labels)
    all_findings, runs = classification.to_polars()
    # Hints set no class (forensics.hints): scored apart, as `hinted` in the per-detector table.
    findings = counted_findings(all_findings)
    pred = runs.select(
        "run_id",
        pl.col("classes").alias("predicted_classes"),
        pl.col("decisive_span_id").alias("decisive_found"),
        "ok",
        "source_format",
    )
    fired = findings.group_by("run_id").agg(pl.col("detector").unique().sort().alias("fired"))
    joined = (
        lab.join(pred, on="run_id", how="left")
        .join(fired, on="run_id", how="left")
        .with_columns(
            pl.col("predicted_classes").is_null().alias("_missing"),
            pl.col("predicted_classes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("fired").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("expected_classes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
    )
    missing_runs = joined.filter(pl.col("_missing"))["run_id"].to_list()

    # Long forms: one row per (run, class).
    exp_long = (
        joined.select("run_id", pl.col("expected_classes").alias("failure_class"))
        .explode("failure_class")
        .drop_nulls()
        .unique()
    )
    pred_long = (
        joined.select("run_id", pl.col("predicted_classes").alias("failure_class"))
        .explode("failure_class")
        .drop_nulls()
        .unique()
    )
    tp = exp_long.join(pred_long, on=["run_id", "failure_class"], how="semi")
    fn = exp_long.join(pred_long, on=["run_id", "failure_class"], how="anti")
    fp = pred_long.join(exp_long, on=["run_id", "failure_class"], how="anti")
    classes = pl.DataFrame({"failure_class": list(FAILURE_CLASSES)})

    def count(df: pl.DataFrame, name: str) -> pl.DataFrame:
        return df.group_by("failure_class").len(name=name)

    per_class = (
        classes.join(count(exp_long, "support"), on="failure_class", how="left")
        .join(count(pred_long, "predicted"), on="failure_class", how="left")
        .join(count(tp, "tp"), on="failure_class", how="left")
        .join(count(fp, "fp"), on="failure_class", how="left")
        .join(count(fn, "fn"), on="failure_class", how="left")
        .with_columns(pl.col("support", "predicted", "tp", "fp", "fn").fill_null(0).cast(pl.Int64))
        # A run holds a class once, so the pair counts are run counts; the rest are true negatives.
        .with_columns(
            (pl.lit(joined.height) - pl.col("tp") - pl.col("fp") - pl.col("fn")).cast(pl.Int64).alias("tn")
        )
        .with_columns(
            pl.when(pl.col("predicted") > 0).then(pl.col("tp") / pl.col("predicted")).alias("precision"),
            pl.when(pl.col("support") > 0).then(pl.col("tp") / pl.col("support")).alias("recall"),
        )
        .with_columns(
            pl.when((pl.col("precision") + pl.col("recall")) > 0)
            .then(2 * pl.col("precision") * pl.col("recall") / (pl.col("precision") + pl.col("recall")))
            .when(pl.col("precision").is_not_null() & pl.col("recall").is_not_null())
            .then(0.0)
            .alias("f1")
        )
        .with_columns(_mcc_expr().alias("mcc"))
    )

    # Confusion: every (expected, predicted) pair of a run, with "ok" standing for no class.
    def with_ok(col: str) -> pl.Expr:
        return pl.when(pl.col(col).list.len() == 0).then(pl.lit([OK])).otherwise(pl.col(col))

    pairs = (
        joined.select(
            "run_id",
            with_ok("expected_classes").alias("expected"),
            with_ok("predicted_classes").alias("predicted"),
        )
        .explode("expected")
        .explode("predicted")
    )
    order = [*FAILURE_CLASSES, OK]
    confusion = (
        pairs.group_by("expected", "predicted").len().pivot(on="predicted", index="expected", values="len")
    )
    for c in order:
        if c not in confusion.columns:
            confusion = confusion.with_columns(pl.lit(0, dtype=pl.UInt32).alias(c))
    confusion = (
        pl.DataFrame({"expected": order})
        .join(confusion, on="expected", how="left")
        .select("expected", *[pl.col(c).fill_null(0).cast(pl.Int64) for c in order])
    )

    # Detector recall: a label naming a class instead of a detector (e.g. "runaway_cost") is met
    # by any detector of that class.
    det_class = findings.select("run_id", "detector", "failure_class").unique()
    exp_det = (
        joined.select("run_id", pl.col("expected_detectors").alias("detector"))
        .explode("detector")
        .drop_nulls()
    )
    found_det = exp_det.join(
        pl.concat(
            [
                det_class.select("run_id", "detector"),
                det_class.select("run_id", pl.col("failure_class").alias("detector")),
            ]
        ).unique(),
        on=["run_id", "detector"],
        how="semi",
    )
    recall = (
        exp_det.group_by("detector")
        .len(name="expected")
        .join(found_det.group_by("detector").len(name="found"), on="detector", how="left")
    )
    per_detector = (
        recall.join(_detector_precision(joined, det_class, hint_findings(all_findings)), on="detector", how="full", coalesce=True)
        .with_columns(
            pl.col("expected", "found", "fired", "tp", "fp", "fp_clean", "hinted").fill_null(0).cast(pl.Int64)
        )
        .with_columns(pl.when(pl.col("expected") > 0).then(pl.col("found") / pl.col("expected")).alias("recall"))
        .select("detector", "expected", "found", "recall", "fired", "tp", "fp", "fp_clean", "hinted")
        .sort("detector")
    )

    run_rows = joined.select(
        "run_id",
        "scenario",
        "expected_classes",
        "predicted_classes",
        pl.col("decisive_span_id").alias("decisive_expected"),
        "decisive_found",
        (pl.col("decisive_span_id") == pl.col("decisive_found")).fill_null(False).alias("decisive_match"),
        # A labeled run missing from the results is never right, not even a clean one (a loader that
        # dropped it would otherwise score it "clean").
        ((pl.col("expected_classes").list.sort() == pl.col("predicted_classes").list.sort()) & ~pl.col("_missing")).alias(
            "classes_match"
        ),
        "fired",
        "story",
        "source_format",
    ).sort("run_id")
    stories = joined.select("run_id", "scenario", "story")
    misses = (
        fn.join(stories, on="run_id", how="left")
        .select("run_id", "scenario", "failure_class", "story")
        .sort("run_id", "failure_class")
    )
    false_alarms = (
        fp.join(
            findings.select("run_id", "failure_class", "detector", "explanation"),
            on=["run_id", "failure_class"],
            how="left",
        )
        .join(stories, on="run_id", how="left")
        .select("run_id", "scenario", "failure_class", "detector", "explanation")
        .sort("run_id", "failure_class", "detector")
    )
    failing = run_rows.filter(pl.col("decisive_expected").is_not_null())
    clean = run_rows.filter(pl.col("expected_classes").list.len() == 0)
    return Evaluation(
        per_class=per_class,
        per_detector=per_detector,
        confusion=confusion,
        runs=run_rows,
        misses=misses,
        false_alarms=false_alarms,
        labeled_runs=run_rows.height,
        missing_runs=missing_runs,
        decisive_total=failing.height,
        decisive_correct=int(failing["decisive_match"].sum()),
        clean_total=clean.height,
        clean_correct=int(clean["classes_match"].sum()),
        exact_runs=int(run_rows["classes_match"].sum()),
        clean_false_alarms=clean.filter(pl.col("predicted_classes").list.len() > 0).select(
            "run_id",
            "scenario",
            pl.col("predicted_classes").alias("classes"),
            pl.col("fired").alias("detectors"),
        ),
        by_format=_by_format(run_rows),
    )

