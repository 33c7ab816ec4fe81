"""README.md of the dataset folder: the hand-written ``dataset_card.md`` plus computed parts.

``dataset_card.md`` holds the prose and, in its YAML front matter, the metadata a person decides
(licence, languages, task categories, annotation creators, source datasets, pretty name). The
build adds what it computes: ``configs`` and ``dataset_info`` (features with ClassLabel names,
split sizes), the size category, and replaces every ``<!-- computed:NAME -->`` marker of the
prose with a table or figure. Nothing time-dependent goes into the card.

The card does not know where it will be published: the repository's address and id are
placeholders that ``chainpolicy publish`` fills in the copy it uploads
(``card_sections.fill_repository``). ``metadata`` gives the Croissant file the same name,
summary, keywords, licences and citation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from chainpolicy import __version__, atomic
from chainpolicy.contract.layout import SPLITS, data_path, data_pattern
from chainpolicy.dataset import licensing
from chainpolicy.dataset.card_sections import SECTIONS, CardContext, citation
from chainpolicy.dataset.chart import CHART_PATH, label_chart
from chainpolicy.dataset.configs import CONFIGS
from chainpolicy.dataset.croissant import DatasetMeta
from chainpolicy.dataset.report import BuildReport
from chainpolicy.errors import InputError

MARKER = re.compile(r"<!-- computed:([a-z_]+) -->")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    for limit, name in ((1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def _split(template: Path) -> tuple[dict[str, Any], str]:
    """(YAML front matter, Markdown body) of the hand-written card."""
    text = template.read_text("utf-8")
    match = _FRONT.match(text)
    if match is None:
        raise InputError(f"{template}: the card needs a YAML front matter block (--- ... ---)")
    front = yaml.safe_load(match.group(1)) or {}
    if not isinstance(front, dict):
        raise InputError(f"{template}: the YAML front matter is not a mapping")
    link = front.get("license_link")
    if front.get("license") == "other" and link != licensing.LICENSE_PATH:
        # The Hub links `license: other` to this file; the build writes it.
        raise InputError(
            f"{template}: license_link must be {licensing.LICENSE_PATH!r} (the terms file the "
            f"build writes), got {link!r}"
        )
    return front, text[match.end() :]


def metadata(template: Path) -> DatasetMeta:
    """What the Croissant file says about the dataset as a whole, from the hand-written card."""
    front, body = _split(template)
    name = str(front.get("pretty_name") or template.stem)
    # The summary: the paragraphs between the title and the first section.
    summary = body.split("\n## ", 1)[0]
    summary = "\n".join(line for line in summary.splitlines() if not line.startswith("# "))
    languages = front.get("language_details") or front.get("language") or []
    tags = front.get("tags") or []
    return DatasetMeta(
        name=name,
        description=summary.strip(),
        version=__version__,
        keywords=[str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
        languages=[str(v) for v in languages] if isinstance(languages, list) else [str(languages)],
        licenses=[
            {
                "name": f"{licensing.APACHE_SPDX}: the annotations, repairs, card and code",
                "url": licensing.APACHE_URL,
            },
            {"name": licensing.TEXTS_TERMS},
        ],
        creator=licensing.HOLDER,
        cite_as=citation(),
    )


def write(
    root: Path,
    report: BuildReport,
    template: Path,
    rows: Mapping[str, Mapping[str, int]],
    leaderboard: Path | None = None,
) -> None:
    front, body = _split(template)
    data = DatasetCardData(**front)
    data.size_categories = [size_category(report.sentences)]
    _dataset_info(root, rows).to_dataset_card_data(data)
    _configs(rows).to_dataset_card_data(data)
    context = CardContext(report, rows, root, leaderboard)

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in SECTIONS:
            raise InputError(
                f"{template}: unknown computed section {name!r} (known: {', '.join(SECTIONS)})"
            )
        return f"<!-- computed:{name} -->\n" + SECTIONS[name](context)

    readme = f"---\n{data.to_yaml()}\n---\n" + MARKER.sub(fill, body)
    atomic.write_text(root / "README.md", readme)
    spans = {split: counts.spans for split, counts in report.splits.items()}
    atomic.write_bytes(root / CHART_PATH, label_chart(spans, gold=report.gold_annotations))


def _dataset_info(root: Path, rows: Mapping[str, Mapping[str, int]]) -> DatasetInfosDict:
    infos = {}
    for spec in CONFIGS:
        config = spec.name
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
            features=spec.features(),
            config_name=config,
            splits=split_infos,
            download_size=download,
            dataset_size=sum(s.num_bytes for s in split_infos.values()),
        )
    return DatasetInfosDict(infos)


def _configs(rows: Mapping[str, Mapping[str, int]]) -> MetadataConfigs:
    configs: dict[str, dict[str, object]] = {}
    for spec in CONFIGS:
        config = spec.name
        if config not in rows:
            continue
        entry: dict[str, object] = {
            "data_files": [
                {"split": split, "path": data_pattern(config, split)}
                for split in SPLITS
                if split in rows[config]
            ]
        }
        if spec.default:
            entry["default"] = True
        configs[config] = entry
    return MetadataConfigs(configs)
