"""README.md of the dataset folder: the hand-written ``dataset_card.md`` plus computed parts.

``dataset_card.md`` holds the prose and, in its YAML front matter, the metadata a person decides
(licence, languages, task categories, annotation creators, source datasets, pretty name). The
build adds what it computes: ``configs`` and ``dataset_info`` (features with ClassLabel names,
split sizes), the size category, and replaces every ``<!-- computed:NAME -->`` marker of the
prose with a table or figure. Nothing time-dependent goes into the card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from chainpolicy import atomic
from chainpolicy.corpus.ingest import REPAIR_KINDS
from chainpolicy.dataset.chart import CHART_PATH, label_chart
from chainpolicy.dataset.features import CONFIGS, features_for
from chainpolicy.dataset.scoring import machine_baseline
from chainpolicy.dataset.splits import SPLITS
from chainpolicy.dataset.writer import data_path
from chainpolicy.errors import InputError
from chainpolicy.schema import LABEL_NAMES, LABELS, TYPE_DESCRIPTIONS
from chainpolicy.validate.reasons import OUTCOMES, REASONS
from chainpolicy.validate.report import BuildReport

MARKER = re.compile(r"<!-- computed:([a-z_]+) -->")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)

CONFIG_DESCRIPTIONS = {
    "default": "one record per sentence in the article's original script, with its gold spans",
    "zh_hans": "the same records in simplified script (OpenCC t2s), spans projected exactly",
    "char_bio": "one record per sentence: its characters and one BIO tag sequence per label",
    "annotations": "every submitted annotation as its annotator made it (validated), per sentence",
    "articles": "one record per article: metadata, cleaned text, repair counts, split",
    "machine_preannotations": (
        "MACHINE pre-annotations shown to annotators (rule-based, never gold), per sentence"
    ),
}


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    for limit, name in ((1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def write(
    root: Path, report: BuildReport, template: Path, rows: Mapping[str, Mapping[str, int]]
) -> None:
    text = template.read_text("utf-8")
    match = _FRONT.match(text)
    if match is None:
        raise InputError(f"{template}: the card needs a YAML front matter block (--- ... ---)")
    front = yaml.safe_load(match.group(1)) or {}
    body = text[match.end() :]
    data = DatasetCardData(**front)
    data.size_categories = [size_category(report.sentences)]
    _dataset_info(root, rows).to_dataset_card_data(data)
    _configs(rows).to_dataset_card_data(data)
    sections = _sections(report, rows, root)

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in sections:
            raise InputError(
                f"{template}: unknown computed section {name!r} (known: {', '.join(sections)})"
            )
        return f"<!-- computed:{name} -->\n" + sections[name]()

    readme = f"---\n{data.to_yaml()}\n---\n" + MARKER.sub(fill, body)
    atomic.write_text(root / "README.md", readme)
    spans = {split: counts.spans for split, counts in report.splits.items()}
    atomic.write_bytes(root / CHART_PATH, label_chart(spans, gold=report.gold_annotations))


def _dataset_info(root: Path, rows: Mapping[str, Mapping[str, int]]) -> DatasetInfosDict:
    infos = {}
    for config in CONFIGS:
        if config not in rows:
            continue
        split_infos, download = SplitDict(), 0
        for split in SPLITS:
            if split not in rows[config]:
                continue
            path = root / data_path(config, split)
            meta = pq.read_metadata(path)
            size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            split_infos.add(SplitInfo(split, num_bytes=size, num_examples=rows[config][split]))
            download += path.stat().st_size
        infos[config] = DatasetInfo(
            features=features_for(config, REPAIR_KINDS),
            config_name=config,
            splits=split_infos,
            download_size=download,
            dataset_size=sum(s.num_bytes for s in split_infos.values()),
        )
    return DatasetInfosDict(infos)


def _configs(rows: Mapping[str, Mapping[str, int]]) -> MetadataConfigs:
    configs: dict[str, dict[str, object]] = {}
    for config in CONFIGS:
        if config not in rows:
            continue
        entry: dict[str, object] = {
            "data_files": [
                {"split": split, "path": f"data/{config}/{split}-*"}
                for split in SPLITS
                if split in rows[config]
            ]
        }
        if config == "default":
            entry["default"] = True
        configs[config] = entry
    return MetadataConfigs(configs)


def _model_versions(root: Path) -> list[str]:
    path = root / data_path("machine_preannotations", "test")
    if not path.exists():
        return []
    return sorted(set(pq.read_table(path, columns=["model_version"]).column(0).to_pylist()))


def _table(header: Sequence[str], body: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def _sections(
    report: BuildReport, rows: Mapping[str, Mapping[str, int]], root: Path
) -> dict[str, Callable[[], str]]:
    splits = list(report.splits)

    def status() -> str:
        if not report.gold_annotations:
            return (
                "**No gold annotations yet.** Every record is marked `not_annotated` (or "
                "`not_annotatable` for boilerplate) and carries an empty `spans` list. An empty "
                "list means *nobody annotated this sentence*, not *there is nothing to mark*; "
                "filter on `annotation_status` before training.\n"
            )
        totals: dict[str, int] = {}
        for split in report.splits.values():
            for key, value in split.status.items():
                totals[key] = totals.get(key, 0) + value
        listed = ", ".join(f"`{k}` {v}" for k, v in sorted(totals.items()))
        return (
            f"Records by annotation status: {listed}. `annotated_empty` means annotated with "
            "nothing to mark; `not_annotated` means nobody annotated it yet. Filter on "
            "`annotation_status` before training.\n"
        )

    def configs() -> str:
        body = [
            [f"`{c}`", CONFIG_DESCRIPTIONS[c], *(rows.get(c, {}).get(s, 0) for s in SPLITS)]
            for c in CONFIGS
            if c in rows
        ]
        return _table(["config", "what a record is", *SPLITS], body)

    def counts() -> str:
        statuses = sorted({k for s in report.splits.values() for k in s.status})
        body = [
            [
                name,
                s.articles,
                ", ".join(f"{k} {v}" for k, v in sorted(s.scripts.items())),
                s.records,
                s.characters,
                *(s.status.get(k, 0) for k in statuses),
            ]
            for name, s in report.splits.items()
        ]
        out = _table(["split", "articles", "scripts", "records", "characters", *statuses], body)
        spans = [
            [label, *(report.splits[s].spans.get(label, 0) for s in splits)]
            for label in LABEL_NAMES
        ]
        out += "\nGold spans per label:\n\n" + _table(["label", *splits], spans)
        types = [
            [f"{spec.name}/{t}", TYPE_DESCRIPTIONS[t]]
            + [report.splits[s].types.get(f"{spec.name}/{t}", 0) for s in splits]
            for spec in LABELS
            for t in spec.types
        ]
        return out + "\nGold spans per type:\n\n" + _table(["type", "meaning", *splits], types)

    def repairs() -> str:
        body = [[k, *(report.splits[s].repairs.get(k, 0) for s in splits)] for k in REPAIR_KINDS]
        return _table(["repair", *splits], body)

    def agreement() -> str:
        a = report.agreement
        if a.sentences == 0:
            return "Not measured yet: no sentence has been annotated by two or more annotators.\n"
        body = [
            [
                r.label,
                r.pairs,
                f"{r.strict_precision:.3f}",
                f"{r.strict_recall:.3f}",
                f"{r.strict_f1:.3f}",
                f"{r.partial_f1:.3f}",
                "n/a" if r.alpha is None else f"{r.alpha:.3f}",
            ]
            for r in a.layers
        ]
        head = (
            f"{a.sentences} sentences ({a.layers[0].characters} characters) were annotated by "
            f"two or more of {a.annotators} annotators.\n\n"
        )
        return head + _table(
            ["label", "pairs", "strict P", "strict R", "strict F1", "partial F1", "alpha"], body
        )

    def chart() -> str:
        return f"![Gold spans per label and split]({CHART_PATH})\n"

    def adjudication() -> str:
        return _table(["method", "records"], [[k, v] for k, v in report.adjudication.items()])

    def build() -> str:
        exports = [
            [e.file, e.tasks, e.annotations, e.cancelled_annotations, e.results]
            for e in report.exports
        ]
        out = (
            _table(["export", "tasks", "annotations", "cancelled", "results"], exports)
            if exports
            else "No Label Studio export was used.\n"
        )
        out += "\n" + _table(
            ["outcome", "results", "meaning"],
            [[k, report.outcomes.get(k, 0), v] for k, v in OUTCOMES.items()],
        )
        if report.quarantine:
            out += "\n" + _table(
                ["quarantine reason", "results", "rule"],
                [[k, v, REASONS.get(k, "")] for k, v in report.quarantine.items()],
            )
        return out

    def baseline() -> str:
        result = machine_baseline(root, "test")
        if result is None:
            return "Not measured yet: the test split has no gold annotation.\n"
        versions = _model_versions(root)
        body = [
            [
                r.label,
                r.gold,
                r.predicted,
                f"{r.strict_precision:.3f}",
                f"{r.strict_recall:.3f}",
                f"{r.strict_f1:.3f}",
                f"{r.partial_f1:.3f}",
            ]
            for r in result.labels
        ]
        body.append(
            [
                "micro",
                "",
                "",
                "",
                "",
                f"{result.micro_strict_f1:.3f}",
                f"{result.micro_partial_f1:.3f}",
            ]
        )
        head = (
            f"The machine pre-annotator ({', '.join(versions) or 'unknown version'}, the "
            f"`machine_preannotations` config) scored with `chainpolicy score` on the "
            f"{result.sentences} gold sentences of the test split:\n\n"
        )
        header = ["label", "gold", "predicted", "strict P", "strict R", "strict F1", "partial F1"]
        return head + _table(header, body)

    return {
        "status": status,
        "baseline": baseline,
        "configs": configs,
        "counts": counts,
        "repairs": repairs,
        "agreement": agreement,
        "chart": chart,
        "adjudication": adjudication,
        "build": build,
    }
