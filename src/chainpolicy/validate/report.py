"""What validation reports: the quarantine list entries and the per-export and annotation counts
(pydantic models, serialised into the build report)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


class QuarantineEntry(BaseModel):
    """One quarantined result, with everything needed to find it in Label Studio."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    export: str
    task_index: int
    task_id: int
    annotation_id: int | None
    annotator: int | None
    sentence_id: str | None
    result_index: int | None
    region_id: str | None
    detail: str

    @field_validator("export", "sentence_id", "region_id", "detail", mode="before")
    @classmethod
    def _printable(cls, value: object) -> object:
        # Text from an export (or a file name) may hold lone surrogates; the report must be
        # writable as UTF-8, so they are kept visible as escapes (\ud800).
        return escape_surrogates(value) if isinstance(value, str) else value


def escape_surrogates(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class ExportSummary(BaseModel):
    file: str

    @field_validator("file", mode="before")
    @classmethod
    def _printable(cls, value: object) -> object:
        return escape_surrogates(value) if isinstance(value, str) else value

    bytes: int
    tasks: int = 0
    annotations: int = 0
    cancelled_annotations: int = 0
    drafts: int = 0
    predictions: int = 0
    results: int = 0


class AnnotationCounts(BaseModel):
    submitted: int = 0  # not cancelled, on a known sentence, stored for adjudication
    cancelled: int = 0
    empty: int = 0  # submitted with no result at all
    superseded: int = 0
    reanchored: int = 0  # annotations moved to the current sentence through article offsets
    empty_on_changed_text: int = 0  # empty annotations of a text that changed since: dropped
