"""The leaderboard baselines (scripts/baselines/): blindness, clean submissions, the scorer.

Fast by design: the CRF and the BiLSTM-CRF train on a dozen sentences for a few iterations; the
rules, jieba and annotator rows run for real on the committed dataset (a second or two each).
Every expectation is derived from the dataset, the shipped lists or the schema. The CRF, neural
and jieba tests skip without the optional ``baselines`` extra (sklearn-crfsuite, torch,
pytorch-crf, jieba); the rules and annotator tests need nothing beyond the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainpolicy.corpus.scriptview import to_hans
from chainpolicy.evaluation.scoring import score
from chainpolicy.paths import annotations_dir, dataset_dir, repo_root
from chainpolicy.prelabel import entities as shipped_entities
from chainpolicy.prelabel import predict
from chainpolicy.schema import LABEL_NAMES, types_for
from chainpolicy.validate.adjudicate import Vote

BASELINES = repo_root() / "scripts" / "baselines"
# The scripts import their helpers by file name (they run from that folder). Appended, not
# prepended, so that no installed package is shadowed; the helpers' names are unique.
if str(BASELINES) not in sys.path:
    sys.path.append(str(BASELINES))


def _script(name: str) -> ModuleType:
    """A script loaded under a name of its own (``rules`` is also an installed package)."""
    module_name = f"baseline_script_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BASELINES / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


common = importlib.import_module("baselines_common")
Span = common.Span


@pytest.fixture(scope="module")
def splits() -> dict[str, list[Any]]:
    return {split: common.load_split(split) for split in common.SPLITS}


def assert_valid_submission(path: Path, split: str, dataset: Path | None = None) -> None:
    """One line per sentence of the split, ids of the split only, clean spans, and the official
    scorer takes it."""
    dataset = dataset or dataset_dir()
    sentences = {s.id: s for s in common.load_split(split, dataset=dataset)}
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    ids = [item["id"] for item in lines]
    assert sorted(ids) == sorted(sentences), "not one line per sentence of the split"
    for item in lines:
        spans = [Span(s["start"], s["end"], s["label"], s["type"]) for s in item["spans"]]
        for s in item["spans"]:
            assert type(s["start"]) is int and type(s["end"]) is int
        assert common.check_spans(sentences[item["id"]].text, spans) is None, item
    result = score(dataset, path, "default", split)
    assert result.sentences == sum(s.gold for s in sentences.values())


# --- BIO per layer, clean submissions ------------------------------------------------------


_TEXT = "𠀀江苏省南京市20家,《计划》提出目标。"


@pytest.mark.parametrize(
    "spans",
    [
        [Span(1, 4, "entity", "LOC"), Span(4, 7, "entity", "LOC"), Span(12, 14, "entity", "WORK")],
        [Span(0, 1, "entity", "ORG")],  # the astral character is one code point
        [Span(7, 10, "figure", "COUNT")],
        [Span(1, 10, "claim", None), Span(11, 20, "claim", None)],
        [],
    ],
)
def test_bio_round_trip(spans: list[Any]) -> None:
    for label in LABEL_NAMES:
        layer = [s for s in spans if s.label == label]
        tags = common.spans_to_tags(len(_TEXT), spans, label)
        assert set(tags) <= set(common.layer_tags(label))
        assert common.tags_to_spans(tags, label) == layer


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["I-ORG", "I-ORG", "O"], [(0, 2, "ORG")]),  # I after O opens a span (conlleval)
        (["B-ORG", "I-LOC", "I-LOC"], [(0, 1, "ORG"), (1, 3, "LOC")]),  # a new kind opens one
        (["B-ORG", "B-ORG", "I-ORG"], [(0, 1, "ORG"), (1, 3, "ORG")]),
        (["O", "B-LOC"], [(1, 2, "LOC")]),  # a span at the end closes
    ],
)
def test_tags_are_read_as_conlleval_does(
    tags: list[str], expected: list[tuple[int, int, str]]
) -> None:
    assert common.tags_to_spans(tags, "entity") == [Span(a, b, "entity", t) for a, b, t in expected]


@pytest.mark.parametrize(
    ("spans", "problem"),
    [
        ([Span(0, 2, "entity", "ORG"), Span(0, 2, "entity", "ORG")], "duplicate"),
        ([Span(0, 3, "entity", "ORG"), Span(2, 4, "entity", "LOC")], "overlapping"),
        ([Span(0, 3, "entity", "ORG"), Span(2, 4, "figure", "COUNT")], "overlapping"),
        ([Span(0, 3, "claim", "ORG")], "a type on an untyped label"),
        ([Span(0, 3, "entity", "COUNT")], "type not in the schema"),
        ([Span(0, 3, "entity", None)], "type not in the schema"),
        ([Span(0, 99, "claim", None)], "offsets outside the text"),
        ([Span(2, 2, "claim", None)], "offsets outside the text"),
    ],
)
def test_check_and_resolve(spans: list[Any], problem: str) -> None:
    problem_found = common.check_spans(_TEXT, spans)
    assert problem_found and problem_found.startswith(problem)
    resolved = [s for s in common.resolve(spans) if s.end <= len(_TEXT)]
    assert common.check_spans(_TEXT, resolved) is None


def test_resolve_keeps_claims_over_anything_and_entities_over_figures() -> None:
    spans = [
        Span(1, 8, "claim", None),
        Span(1, 4, "entity", "LOC"),
        Span(3, 6, "figure", "COUNT"),  # overlaps the entity: dropped
        Span(7, 10, "figure", "COUNT"),
        Span(6, 10, "figure", "OTHER"),  # overlaps a longer figure of one label: kept (longer)
    ]
    assert common.resolve(spans) == [
        Span(1, 4, "entity", "LOC"),
        Span(1, 8, "claim", None),
        Span(6, 10, "figure", "OTHER"),
    ]


def test_gold_as_a_submission_scores_one(tmp_path: Path, splits: dict[str, list[Any]]) -> None:
    path = tmp_path / "gold.jsonl"
    common.write_submission(path, splits["test"], {s.id: list(s.spans) for s in splits["test"]})
    assert_valid_submission(path, "test")
    assert score(dataset_dir(), path, "default", "test").micro_strict_f1 == 1.0


# --- rules: blind lists --------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> ModuleType:
    return _script("rules")


@pytest.fixture(scope="module")
def train_lists(rules: ModuleType, splits: dict[str, list[Any]]) -> Any:
    return rules.derive_lists(splits["train"])


def _gold_names(sentences: list[Any]) -> set[str]:
    return {
        to_hans(s.text[g.start : g.end]) for s in sentences for g in s.spans if g.label == "entity"
    }


def test_rules_lists_hold_train_gold_names_only(
    train_lists: Any, splits: dict[str, list[Any]]
) -> None:
    train_names = _gold_names(splits["train"])
    held_out = _gold_names(splits["validation"]) | _gold_names(splits["test"])
    listed = set(train_lists.known) | set(train_lists.regions)
    assert listed, "no list derived"
    assert listed <= train_names
    assert not listed & (held_out - train_names)
    # The shipped names that are gold only in validation/test (BSN, 华为 ...) are not listed.
    leaked = {to_hans(n) for n in shipped_entities.KNOWN} & (held_out - train_names)
    assert leaked, "the shipped lists no longer leak: update the test's premise"
    assert not leaked & listed


def test_rules_word_lists_and_stop_forms_are_attested_in_train(
    train_lists: Any, splits: dict[str, list[Any]]
) -> None:
    train_text = "\n".join(to_hans(s.text) for s in splits["train"])
    for name, value in train_lists.word_lists.items():
        if isinstance(value, tuple | frozenset):
            assert all(to_hans(word) in train_text for word in value), name
    assert all(form in train_text for form in train_lists.dropped_places)
    # the shipped stop list (海东 came from a test byline) is not used
    assert not set(train_lists.word_lists) & {"_SHORT_STOP"}


def test_rules_ignore_validation_and_test_gold(
    tmp_path: Path, rules: ModuleType, splits: dict[str, list[Any]]
) -> None:
    blank = _dataset_without_gold(tmp_path, ("validation", "test"))
    assert rules.predict_splits(blank)[0] == rules.predict_splits(dataset_dir())[0]


def test_blind_lists_replace_and_restore_the_shipped_lists(
    rules: ModuleType, train_lists: Any, splits: dict[str, list[Any]]
) -> None:
    # A shipped known name that train does not list, found by the shipped pre-annotator in test.
    dropped = {to_hans(n) for n in shipped_entities.KNOWN} - set(train_lists.known)
    found = [
        (s, p)
        for s in splits["test"]
        for p in predict(s.text)
        if p.label == "entity" and to_hans(s.text[p.start : p.end]) in dropped
    ]
    assert found
    with rules.blind_lists(train_lists):
        assert dict(shipped_entities.KNOWN) == train_lists.known
        # some of them no rule finds without the shipped list (others a suffix rule finds)
        assert [span for s, span in found if span not in predict(s.text)]
    assert all(span in predict(s.text) for s, span in found)  # restored, caches cleared


def test_blind_lists_refuse_a_list_the_pre_annotator_lacks(
    rules: ModuleType, train_lists: Any
) -> None:
    broken = rules.Lists(train_lists.known, train_lists.regions, word_lists={"NO_SUCH_LIST": ()})
    before = dict(shipped_entities.KNOWN)
    with pytest.raises(AttributeError, match="NO_SUCH_LIST"), rules.blind_lists(broken):
        pass
    assert dict(shipped_entities.KNOWN) == before


def test_rules_script_writes_a_valid_submission_and_metadata(
    tmp_path: Path, rules: ModuleType
) -> None:
    out = tmp_path / "rules" / "submission.jsonl"
    assert rules.main(["--out", str(out), "--split", "validation", "--seed", "5"]) == 0
    assert_valid_submission(out, "validation")
    meta = json.loads(common.metadata_path(out).read_text(encoding="utf-8"))
    for key in ("name", "description", "trained_on", "tuned_on", "seed", "libraries", "date"):
        assert meta[key] not in (None, "", {}), key
    assert meta["seed"] == 5 and meta["split"] == "validation"
    assert set(meta["scores"]) == {"validation", "test"}
    assert meta["scores"]["validation"]["micro_strict_f1"] == pytest.approx(
        score(dataset_dir(), out, "default", "validation").micro_strict_f1
    )


def _dataset_without_gold(tmp_path: Path, splits: tuple[str, ...]) -> Path:
    """A copy of dataset/ whose ``default`` and ``zh_hans`` gold spans of ``splits`` are empty."""
    copy = tmp_path / "dataset"
    shutil.copytree(dataset_dir(), copy)
    for config in ("default", "zh_hans"):
        for split in splits:
            for path in (copy / "data" / config).glob(f"{split}-*.parquet"):
                table = pq.read_table(path)
                i = table.schema.get_field_index("spans")
                empty = pa.array(
                    [[] for _ in range(table.num_rows)], type=table.schema.field(i).type
                )
                pq.write_table(table.set_column(i, table.schema.field(i), empty), path)
    return copy


# --- CRF -----------------------------------------------------------------------------------


def test_crf_trains_per_layer_and_tunes_on_validation(
    tmp_path: Path, splits: dict[str, list[Any]]
) -> None:
    pytest.importorskip("sklearn_crfsuite")  # the optional 'baselines' extra
    crf = _script("crf")
    train = [s for s in splits["train"] if s.gold][:12]
    tiny = {
        "validation": [s for s in splits["validation"] if s.gold][:8],
        "test": splits["test"],
    }
    grid = ((0.0, 0.01), (0.5, 0.1))
    predictions, details = crf.tune_and_predict(train, tiny, grid, max_iterations=5, log=False)
    for label in LABEL_NAMES:
        chosen = details["chosen"][label]
        best = max(t["validation_strict_f1"] for t in chosen["grid"])
        first_best = next(t for t in chosen["grid"] if t["validation_strict_f1"] == best)
        assert (chosen["c1"], chosen["c2"]) == (first_best["c1"], first_best["c2"])
        model = crf.train_layer(train, label, *grid[0], max_iterations=5)
        assert set(model.classes_) <= set(common.layer_tags(label))
    out = tmp_path / "crf.jsonl"
    common.write_submission(out, splits["test"], predictions["test"])
    assert_valid_submission(out, "test")


# --- neural tagger -------------------------------------------------------------------------


def test_bilstm_crf_is_deterministic_and_valid(
    tmp_path: Path, splits: dict[str, list[Any]]
) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("torchcrf")
    neural = _script("bilstm_crf")
    settings = neural.Settings(char_dim=8, class_dim=4, mark_dim=2, hidden=8, max_epochs=2)
    train = [s for s in splits["train"] if s.gold][:8]
    validation = [s for s in splits["validation"] if s.gold][:4]
    test = splits["test"][:30]

    def run(seed: int) -> dict[str, list[Any]]:
        trainer = neural.Trainer(train, settings, seed)
        history, best = trainer.fit(validation, log=False)
        assert 1 <= best <= len(history) <= settings.max_epochs
        return trainer.predict(test)

    first = run(3)
    assert first == run(3)
    out = tmp_path / "neural.jsonl"
    common.write_submission(out, splits["test"], first)  # sentences not predicted: empty
    assert_valid_submission(out, "test")


# --- off-the-shelf analyser ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "kind"),
    [
        ("11%", "PERCENT"),
        ("九成", "PERCENT"),
        ("3亿元", "MONEY"),
        ("第八位", "RANK"),
        ("2019年", "DATE"),
        ("10月", "DATE"),
        ("20家", "COUNT"),
        ("三年", "OTHER"),
        ("3个月", "OTHER"),
    ],
)
def test_jieba_figure_types_follow_the_table(figure: str, kind: str) -> None:
    pytest.importorskip("jieba")  # the optional 'baselines' extra
    lexical = _script("lexical")
    assert lexical.figure_type(figure) == kind
    assert kind in types_for("figure")


def test_jieba_runs_on_the_simplified_view_and_projects_back(
    tmp_path: Path, splits: dict[str, list[Any]]
) -> None:
    pytest.importorskip("jieba")  # the optional 'baselines' extra
    lexical = _script("lexical")
    hans = {s.id: s for s in common.load_split("test", "zh_hans")}
    predictions = lexical.predict_sentences(splits["test"], list(hans.values()))
    traditional = [s for s in splits["test"] if s.script == "Hant" and predictions[s.id]]
    assert traditional, "no traditional sentence with a prediction"
    for s in traditional:
        view = hans[s.id].text
        for span in predictions[s.id]:
            assert to_hans(s.text[span.start : span.end]) in view
    assert not any(p.label == "claim" for spans in predictions.values() for p in spans)
    out = tmp_path / "jieba.jsonl"
    common.write_submission(out, splits["test"], predictions)
    assert_valid_submission(out, "test")


# --- annotator rows ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def annotators() -> ModuleType:
    return _script("annotators")


def test_leave_one_out_gold_never_sees_the_scored_annotator(
    annotators: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    anns = annotators.load_annotations(dataset_dir(), "test")
    recency = annotators.export_recency(annotations_dir() / "exports")
    votes = annotators.votes_of(anns, recency)
    users = sorted({a.annotator for a in anns})
    assert len(users) >= 2
    seen: list[Vote] = []
    real = annotators.adjudicate

    def recording(batch: list[Vote]) -> Any:
        seen.extend(batch)
        return real(batch)

    monkeypatch.setattr(annotators, "adjudicate", recording)
    for user in users:
        seen.clear()
        gold = annotators.gold_without(votes, user)
        assert seen and all(v.annotator != user for v in seen)
        for sentence_id, spans in gold.items():  # every gold span is some other's vote
            others = [v for v in votes[sentence_id] if v.annotator != user]
            marked = {(k.start, k.end, k.label, k.type) for v in others for k in v.spans}
            assert set(spans) <= marked


def test_recomputed_gold_matches_the_dataset(annotators: ModuleType) -> None:
    recency = annotators.export_recency(annotations_dir() / "exports")
    for split in common.EVAL_SPLITS:
        _, _, info = annotators.evaluate(
            dataset_dir(), split, recency, annotations_dir() / "passes"
        )
        check = info["check"]
        assert check["identical"] == check["dataset_gold_sentences"] > 0
        assert len(set(info["names"].values())) == len(info["names"]) >= 2


def test_annotator_rows_write_submissions_and_their_gold(
    tmp_path: Path, annotators: ModuleType
) -> None:
    written = annotators.run(
        annotators.argparse.Namespace(
            out=tmp_path / "rows",
            split="test",
            seed=13,
            dataset=None,
            exports=annotations_dir() / "exports",
            passes=annotations_dir() / "passes",
        )
    )
    test_ids = {s.id for s in common.load_split("test")}
    for meta in written:
        assert meta["name"].startswith("language-model annotator")
        assert_valid_submission(Path(meta["submission"]), "test")
        gold_lines = Path(meta["leave_one_out_gold_file"]).read_text(encoding="utf-8")
        items = [json.loads(line) for line in gold_lines.splitlines()]
        assert {i["id"] for i in items} <= test_ids
        assert all(meta["label_studio_user"] not in i["adjudicated_from"] for i in items)
        assert len(items) == meta["leave_one_out_gold"]["test"]["sentences"]
