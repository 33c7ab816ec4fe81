"""The build report: pydantic models, and the readable summary printed and written with it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chainpolicy.contract.reasons import OUTCOMES, REASONS
from chainpolicy.evaluation.agreement import AgreementReport
from chainpolicy.validate.report import AnnotationCounts, ExportSummary


class SplitCounts(BaseModel):
    records: int = 0
    status: dict[str, int] = Field(default_factory=dict)
    spans: dict[str, int] = Field(default_factory=dict)  # per label
    types: dict[str, int] = Field(default_factory=dict)  # per "label/type"
    articles: int = 0
    scripts: dict[str, int] = Field(default_factory=dict)
    characters: int = 0
    repairs: dict[str, int] = Field(default_factory=dict)  # text repairs in the split's articles


class BuildReport(BaseModel):
    source: str
    sentences: int
    articles: int
    exports: list[ExportSummary]
    results_read: int
    outcomes: dict[str, int]
    quarantine: dict[str, int]
    annotations: AnnotationCounts
    adjudication: dict[str, int]
    splits: dict[str, SplitCounts]
    cross_split_duplicates: list[str]
    agreement: AgreementReport
    gold_annotations: bool

    @property
    def quarantined(self) -> int:
        return self.outcomes.get("quarantined", 0)


def summary(report: BuildReport) -> str:
    """A readable summary (Markdown) of the report: printed by the build and written beside it."""
    lines = [
        "# Build report",
        "",
        f"- source: {report.source} ({report.sentences} sentences, {report.articles} articles)",
        f"- exports: {len(report.exports)}"
        + "".join(
            f"\n  - {e.file}: {e.tasks} tasks, {e.annotations} annotations "
            f"({e.cancelled_annotations} cancelled), {e.drafts} drafts, {e.predictions} "
            f"predictions, {e.results} results, {e.bytes} bytes"
            for e in report.exports
        ),
        f"- gold annotations: {'yes' if report.gold_annotations else 'none yet'}",
        "",
        f"## Where the {report.results_read} results went",
        "",
        "| outcome | results | meaning |",
        "| --- | ---: | --- |",
    ]
    lines += [f"| {k} | {report.outcomes.get(k, 0)} | {v} |" for k, v in OUTCOMES.items()]
    lines += ["", "## Quarantine reasons", ""]
    if report.quarantine:
        lines += ["| reason | results | rule |", "| --- | ---: | --- |"]
        lines += [
            f"| {code} | {count} | {REASONS.get(code, '')} |"
            for code, count in sorted(report.quarantine.items())
        ]
    else:
        lines.append("Nothing quarantined.")
    a = report.annotations
    lines += [
        "",
        "## Annotations",
        "",
        f"- submitted: {a.submitted} (empty: {a.empty}), cancelled: {a.cancelled}, "
        f"superseded: {a.superseded}, re-anchored: {a.reanchored}, "
        f"empty on changed text (dropped): {a.empty_on_changed_text}",
        "- adjudication: " + ", ".join(f"{k} {v}" for k, v in sorted(report.adjudication.items())),
        "",
        "## Records per split",
        "",
        "| split | articles | records | " + " | ".join(_statuses(report)) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in _statuses(report)) + " |",
    ]
    for name, split in report.splits.items():
        cells = [str(split.status.get(s, 0)) for s in _statuses(report)]
        lines.append(f"| {name} | {split.articles} | {split.records} | " + " | ".join(cells) + " |")
    if report.cross_split_duplicates:
        lines += [
            "",
            f"{len(report.cross_split_duplicates)} record(s) left out because the same text is "
            "in another split: " + ", ".join(report.cross_split_duplicates[:20]),
        ]
    return "\n".join(lines) + "\n"


def _statuses(report: BuildReport) -> list[str]:
    return sorted({s for split in report.splits.values() for s in split.status})
