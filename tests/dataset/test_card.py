"""The dataset card: hand-written prose from dataset_card.md plus the computed parts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import datasets
import huggingface_hub
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import DatasetCard

from chainpolicy import __version__
from chainpolicy.contract.layout import SPLITS, data_path
from chainpolicy.dataset import examples, licensing
from chainpolicy.dataset.build import BuildInputs, BuildResult, build, find_exports
from chainpolicy.dataset.card import MARKER
from chainpolicy.dataset.card_sections import UNPUBLISHED_URL, fill_repository, placeholders
from chainpolicy.dataset.configs import CONFIG_NAMES as CONFIGS
from chainpolicy.dataset.configs import CONFIGS as CONFIG_SPECS
from chainpolicy.dataset.source import CorpusSource
from chainpolicy.errors import InputError
from chainpolicy.paths import annotations_dir, dataset_dir, repo_root
from chainpolicy.schema import GOLD_STATUSES, LABEL_NAMES, STATUSES

TEMPLATE = repo_root() / "dataset_card.md"


def test_committed_card_has_the_hub_metadata_and_every_computed_part() -> None:
    card = DatasetCard.load(dataset_dir() / "README.md")
    data = card.data.to_dict()
    for key in ("license", "language", "task_categories", "pretty_name", "size_categories"):
        assert data.get(key), key
    assert data["annotations_creators"] and data["source_datasets"]
    assert {c["config_name"] for c in data["configs"]} == set(CONFIGS)
    default = next(i for i in data["dataset_info"] if i["config_name"] == "default")
    spans = next(f for f in default["features"] if f["name"] == "spans")
    label = next(f for f in spans["list"] if f["name"] == "label")
    assert list(label["dtype"]["class_label"]["names"].values()) == list(LABEL_NAMES)
    # Every marker of the template is filled in, with something after it.
    wanted = MARKER.findall(TEMPLATE.read_text("utf-8"))
    assert wanted
    for name in wanted:
        after = card.text.split(f"<!-- computed:{name} -->\n", 1)[1]
        assert after.strip() and not after.startswith("<!--"), name
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", card.text):
        assert (dataset_dir() / image).read_bytes().startswith(b"\x89PNG"), image


def _build_with(template: Path, tmp_path: Path) -> BuildResult:
    inputs = BuildInputs(
        source=CorpusSource(),
        exports=[],
        splits_file=annotations_dir() / "splits.json",
        card_template=template,
    )
    return build(inputs, tmp_path / "ds", tmp_path / "report")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("<!-- computed:counts -->", "<!-- computed:nonsense -->"), "nonsense"),
        (lambda t: t.split("---\n", 2)[2], "front matter"),
    ],
)
def test_a_bad_template_is_named_and_nothing_is_published(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    template = tmp_path / "card.md"
    template.write_text(edit(TEMPLATE.read_text("utf-8")), "utf-8")
    with pytest.raises(InputError, match=message) as info:
        _build_with(template, tmp_path)
    assert str(template) in str(info.value)
    assert not (tmp_path / "ds").exists()


def test_front_matter_of_the_template_is_kept(tmp_path: Path) -> None:
    result = _build_with(TEMPLATE, tmp_path)
    assert result.out is not None
    written = (result.out / "README.md").read_text("utf-8")
    front = yaml.safe_load(written.split("---\n", 2)[1])
    source = yaml.safe_load(TEMPLATE.read_text("utf-8").split("---\n", 2)[1])
    for key, value in source.items():
        assert front[key] == value, key


# --- The card against the Hub's metadata vocabularies and its template ---------------------

# Licence identifiers the Hub shows, from the Hub documentation's list
# (huggingface/hub-docs, docs/hub/repositories-licenses.md, "region licenses", read at commit
# 008d54d08fd9d5d05ed2840bebb0b61111326a15). Not shipped by huggingface_hub or datasets.
HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "deepfloyd-if-license",
        "llama2",
        "gemma",
        "unknown",
        "other",
    ]
)
# Task categories and their task ids as the Hub defines them (huggingface/huggingface.js,
# packages/tasks/src/pipelines.ts, PIPELINE_DATA and its subtasks, read at commit
# 0057f4042b57b833d296ed4cf1c76cfd6619d00d; the file the Hub's dataset card spec points to).
HUB_TASKS: dict[str, frozenset[str]] = {
    name: frozenset(subtasks.split())
    for name, subtasks in {
        "biology": "",
        "text-classification": "acceptability-classification entity-linking-classification "
        "fact-checking intent-classification language-identification multi-class-classification "
        "multi-label-classification multi-input-text-classification natural-language-inference "
        "semantic-similarity-classification sentiment-classification topic-classification "
        "semantic-similarity-scoring sentiment-scoring sentiment-analysis hate-speech-detection "
        "text-scoring",
        "token-classification": "named-entity-recognition part-of-speech parsing lemmatization "
        "word-sense-disambiguation coreference-resolution",
        "table-question-answering": "",
        "question-answering": "extractive-qa open-domain-qa closed-domain-qa",
        "zero-shot-classification": "",
        "translation": "",
        "summarization": "news-articles-summarization news-articles-headline-generation",
        "feature-extraction": "",
        "text-generation": "dialogue-modeling dialogue-generation conversational language-modeling",
        "text2text-generation": "text-simplification explanation-generation abstractive-qa "
        "open-domain-abstractive-qa closed-domain-qa open-book-qa closed-book-qa",
        "fill-mask": "slot-filling masked-language-modeling",
        "sentence-similarity": "",
        "text-to-speech": "",
        "text-to-audio": "",
        "automatic-speech-recognition": "",
        "audio-to-audio": "",
        "audio-classification": "keyword-spotting speaker-identification "
        "audio-intent-classification audio-emotion-recognition audio-language-identification",
        "audio-text-to-text": "",
        "voice-activity-detection": "",
        "depth-estimation": "",
        "image-classification": "multi-label-image-classification multi-class-image-classification",
        "object-detection": "face-detection vehicle-detection",
        "image-segmentation": "instance-segmentation semantic-segmentation panoptic-segmentation",
        "text-to-image": "",
        "image-to-text": "image-captioning",
        "image-to-image": "image-inpainting image-colorization super-resolution",
        "image-to-video": "",
        "unconditional-image-generation": "",
        "video-classification": "",
        "reinforcement-learning": "",
        "robotics": "grasping task-planning",
        "tabular-classification": "tabular-multi-class-classification "
        "tabular-multi-label-classification",
        "tabular-regression": "tabular-single-column-regression",
        "tabular-to-text": "rdf-to-text",
        "table-to-text": "",
        "multiple-choice": "multiple-choice-qa multiple-choice-coreference-resolution",
        "text-ranking": "",
        "text-retrieval": "document-retrieval utterance-retrieval entity-linking-retrieval "
        "fact-checking-retrieval",
        "time-series-forecasting": "univariate-time-series-forecasting "
        "multivariate-time-series-forecasting",
        "text-to-video": "",
        "image-text-to-text": "",
        "visual-question-answering": "visual-question-answering",
        "document-question-answering": "document-question-answering",
        "zero-shot-image-classification": "",
        "graph-ml": "",
        "mask-generation": "",
        "zero-shot-object-detection": "",
        "text-to-3d": "",
        "image-to-3d": "",
        "image-feature-extraction": "",
        "video-text-to-text": "",
        "keypoint-detection": "pose-estimation",
        "visual-document-retrieval": "",
        "any-to-any": "",
        "other": "",
    }.items()
}


def _shipped(name: str) -> Any:
    """A vocabulary file that the datasets package ships (the lists its card validator uses)."""
    return json.loads((Path(datasets.__file__).parent / "utils" / "resources" / name).read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("card")
    inputs = BuildInputs(
        source=CorpusSource(),
        exports=find_exports(annotations_dir() / "exports"),
        splits_file=annotations_dir() / "splits.json",
        card_template=TEMPLATE,
        guidelines=annotations_dir() / "guidelines.md",
    )
    result = build(inputs, tmp / "ds", tmp / "report")
    assert result.out is not None
    return result.out


def _listed(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    return [value] if isinstance(value, str) else list(value)


def test_every_metadata_value_is_one_the_hub_lists(built: Path) -> None:
    data = DatasetCard.load(built / "README.md").data.to_dict()
    creators = _shipped("creators.json")
    vocabularies: dict[str, Iterable[str]] = {
        "license": HUB_LICENSES,
        "task_categories": HUB_TASKS,
        "task_ids": {t for subtasks in HUB_TASKS.values() for t in subtasks},
        "size_categories": _shipped("size_categories.json"),
        "language": _shipped("languages.json"),
        "annotations_creators": creators["annotations"],
        "language_creators": creators["language"],
        "multilinguality": _shipped("multilingualities.json"),
    }
    for key, allowed in vocabularies.items():
        values = _listed(data, key)
        assert values, key
        assert set(values) <= set(allowed), (key, values)
    # A task id belongs to one of the card's own categories.
    ours = {t for c in _listed(data, "task_categories") for t in HUB_TASKS[c]}
    assert set(_listed(data, "task_ids")) <= ours
    # source_datasets: `original`, or `extended` (optionally `extended|<dataset>`), as
    # huggingface_hub's DatasetCardData documents it.
    for value in _listed(data, "source_datasets"):
        assert value == "original" or value.split("|", 1)[0] == "extended", value
    # `license: other` is shown on the Hub through its name and the file it links.
    if data["license"] == "other":
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", data["license_name"])
        assert (built / data["license_link"]).is_file()


# The sections of huggingface_hub's dataset card template and where this card has each (None:
# left out, with the reason). The test fails when the template gains a section.
HUB_SECTIONS: dict[str, str | None] = {
    "Dataset Card for": "ChainPolicy-ZH",
    "Dataset Details": "Dataset Details",
    "Dataset Description": "Dataset Details",  # the summary above it and the details list
    "Dataset Sources": "Dataset Sources",
    "Uses": "Uses",
    "Direct Use": "Direct Use",
    "Out-of-Scope Use": "Out-of-Scope Use",
    "Dataset Structure": "Configs and splits",  # with Offsets, Fields, Example records
    "Dataset Creation": "Dataset Creation",
    "Curation Rationale": "Curation Rationale",
    "Source Data": "Source Data",
    "Data Collection and Processing": "Data Collection and Processing",
    "Who are the source data producers?": "Who are the source data producers?",
    "Annotations": "Annotations",
    "Annotation process": "Annotation process",
    "Who are the annotators?": "Who are the annotators?",
    "Personal and Sensitive Information": "Personal and Sensitive Information",
    "Bias, Risks, and Limitations": "Bias, Risks, and Limitations",
    "Recommendations": "Recommendations",
    "Citation": "Citation",
    "Glossary": None,  # terms are defined where they are used (Offsets, Fields)
    "More Information": "Maintenance",
    "Dataset Card Authors": None,  # generated by the build; its curators are named in Details
    "Dataset Card Contact": "Dataset Card Contact",
}


def _headings(markdown: str) -> list[str]:
    body = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [m.strip() for m in re.findall(r"^#{1,4} (.+)$", body, re.M)]


def test_the_card_has_every_section_of_the_hub_template(built: Path) -> None:
    template = Path(huggingface_hub.__file__).parent / "templates" / "datasetcard_template.md"
    hub = [
        re.sub(r"\s*(\[optional\]|\{\{.*\}\})", "", h).strip()
        for h in _headings(template.read_text("utf-8").split("---\n", 2)[2])
    ]
    assert set(hub) == set(HUB_SECTIONS)
    ours = set(_headings((built / "README.md").read_text("utf-8")))
    missing = {h: o for h, o in HUB_SECTIONS.items() if o is not None and o not in ours}
    assert missing == {}


# --- Computed parts: example records, sources, citation, terms --------------------------


def _section(card: str, name: str) -> str:
    start = card.index(f"<!-- computed:{name} -->\n") + len(f"<!-- computed:{name} -->\n")
    return card[start : card.index("\n#", start)]


def test_one_example_per_config_is_a_real_record_shortened(built: Path) -> None:
    section = _section((built / "README.md").read_text("utf-8"), "examples")
    shown = dict(
        re.findall(r"^`(\w+)`: .*? from `\w+`.*?\n\n```json\n(.*?)\n```", section, re.S | re.M)
    )
    configs = [spec for spec in CONFIG_SPECS if (built / "data" / spec.name).is_dir()]
    assert list(shown) == [spec.name for spec in configs]
    for spec in configs:
        record = json.loads(shown[spec.name])
        rows = [
            row
            for split in SPLITS
            if (built / data_path(spec.name, split)).exists()
            for row in pq.read_table(built / data_path(spec.name, split)).to_pylist()
        ]
        assert record in [examples.shorten(row) for row in rows], spec.name
        if "annotation_status" in record:  # the status column of the sentence configs
            assert STATUSES[record["annotation_status"]] in GOLD_STATUSES


def test_shortening_counts_code_points_and_says_how_much_is_left() -> None:
    text = "𠀀" * (examples.MAX_TEXT + 5)
    assert examples.shorten(text) == "𠀀" * examples.MAX_TEXT + "…"
    numbers = list(range(examples.MAX_ITEMS + 3))
    assert examples.shorten(numbers) == [*numbers[: examples.MAX_ITEMS], "… 3 more"]
    spans = [{"start": i} for i in range(examples.MAX_RECORDS + 1)]
    assert examples.shorten(spans)[-1] == "… 1 more"
    value = {"a": [1, 2], "b": [{"x": "𠀀"}], "c": {"d": None}}
    assert json.loads(examples.render(value)) == value


def test_sources_and_citation_name_the_repository_once_published(built: Path) -> None:
    card = (built / "README.md").read_text("utf-8")
    assert UNPUBLISHED_URL in _section(card, "sources")
    citation = _section(card, "citation")
    assert f"version = {{{__version__}}}" in " ".join(citation.split())
    published = fill_repository(card, "org/name")
    assert placeholders(card) and not placeholders(published)
    assert "- **Repository:** https://huggingface.co/datasets/org/name" in published
    assert "url     = {https://huggingface.co/datasets/org/name}" in published
    assert 'load_dataset("org/name")' in published


def test_the_terms_files_say_who_owns_the_texts_and_list_every_article(built: Path) -> None:
    license_text = (built / licensing.LICENSE_PATH).read_text("utf-8")
    assert "NOT licensed" in license_text and licensing.APACHE_URL in license_text
    notice = (built / licensing.NOTICE_PATH).read_text("utf-8")
    for article in CorpusSource().articles():
        assert f"{article.id} ({article.file}" in notice
        assert f"sha256:  {article.sha256}" in notice
        for author in article.authors:
            assert author in notice


def test_a_licence_link_other_than_the_terms_file_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "card.md"
    template.write_text(
        TEMPLATE.read_text("utf-8").replace("license_link: LICENSE", "license_link: COPYING"),
        "utf-8",
    )
    with pytest.raises(InputError, match="license_link") as info:
        _build_with(template, tmp_path)
    assert str(template) in str(info.value) and not (tmp_path / "ds").exists()
