"""scripts/fuzz_exports.py: a fixed slice of cases finds nothing, and the checks do catch faults.

The fault tests break the build on purpose (a crash, a quarantine list that loses lines, the
prediction bug the fuzzer found, a reader that drops a task) and check that the harness reports
each one; without them a harness that never fails would look like a clean build.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chainpolicy.validate import collect
from chainpolicy.validate.fastread import FastBatch
from chainpolicy.validate.ledger import Ledger
from chainpolicy.validate.store import AnnotationStore

SEED = 20261201
CASES = 200  # 8 per kind on average; 20-40 s


@pytest.fixture(scope="module")
def harness(fuzz: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return fuzz.Harness(SEED, tmp_path_factory.mktemp("fuzz"))


def test_a_fixed_slice_of_cases_finds_nothing(fuzz: ModuleType) -> None:
    lines: list[str] = []
    summary = fuzz.run(SEED, range(CASES), echo=lines.append)
    assert summary.cases == CASES
    assert not summary.failures, "\n".join(lines)
    counts = summary.per_kind
    assert set(counts) == set(fuzz.KINDS)  # every kind of mutation ran
    assert sum(c["built"] for c in counts.values()) > CASES // 3
    assert sum(c["refused"] for c in counts.values()) > CASES // 10
    for kind in ("reorder", "extra", "reformat", "chunk"):  # the no-op kinds must build
        assert counts[kind]["built"] == counts[kind]["cases"], kind


def test_a_case_is_reproducible_from_seed_and_number(
    fuzz: ModuleType, harness: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = fuzz.make_case(SEED, 7, harness.bases, harness.corpus)
    again = fuzz.make_case(SEED, 7, fuzz.make_bases(SEED), harness.corpus)
    assert (first.data, first.notes, first.kind) == (again.data, again.notes, again.kind)
    assert fuzz.main(["--seed", str(SEED), "--case", "7", "--keep", str(tmp_path)]) == 0
    assert (tmp_path / fuzz.EXPORT_NAME).read_bytes() == first.data
    assert json.loads((tmp_path / "case.json").read_text("utf-8"))["mutations"] == first.notes
    assert f"case 7 kind={first.kind}" in capsys.readouterr().out


def _case(fuzz: ModuleType, harness: Any, tasks: list[Any], same: bool = False) -> Any:
    data = json.dumps(tasks, ensure_ascii=False).encode("utf-8")
    return fuzz.Case(-1, "test", harness.bases[0], data, ["crafted"], same)


def _fixture_tasks(harness: Any) -> list[Any]:
    """The fixture's tasks, with the base build made before a test breaks the build."""
    base = harness.bases[0]
    assert base.name == "fixture"
    harness.baseline(base)
    return copy.deepcopy(base.tasks)


def test_a_crash_inside_the_build_is_reported(
    fuzz: ModuleType, harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(results: object, text: str) -> object:
        raise KeyError("boom")

    tasks = _fixture_tasks(harness)
    monkeypatch.setattr(collect, "check_annotation", broken)
    verdict = harness.run_case(_case(fuzz, harness, tasks))
    assert verdict.outcome == "crashed"
    assert verdict.failures and "KeyError escaped the build" in verdict.failures[0]
    assert "reproduce: scripts/fuzz_exports.py --seed" in fuzz.describe(verdict, SEED)


def test_a_quarantine_list_that_loses_lines_is_reported(
    fuzz: ModuleType, harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = _fixture_tasks(harness)
    tasks[1]["annotations"][0]["result"][0]["value"]["labels"] = ["unknown"]
    real = Ledger.quarantine

    def silent(self: Any, *args: Any, **kwargs: Any) -> None:
        out, self.quarantine_out = self.quarantine_out, open("/dev/null", "w")  # noqa: SIM115
        try:
            real(self, *args, **kwargs)
        finally:
            self.quarantine_out.close()
            self.quarantine_out = out

    monkeypatch.setattr(Ledger, "quarantine", silent)  # after the base build
    verdict = harness.run_case(_case(fuzz, harness, tasks))
    assert verdict.outcome == "built"
    assert any("quarantine lines for" in f for f in verdict.failures), verdict.failures


def test_a_lost_result_of_an_untouched_sentence_is_reported(
    fuzz: ModuleType, harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store reader that loses the latest prediction of the last predicted sentence whenever
    # the first sentence has two predictions (the shape of a real bug: a repeated prediction id
    # once shifted every later sentence's machine row).
    real = AnnotationStore.prediction_columns

    def lossy(self: AnnotationStore) -> Iterator[Any]:
        blocks = list(real(self))
        repeated = self._db.execute(
            "SELECT COUNT(*) FROM pred WHERE sentence = (SELECT MIN(sentence) FROM pred)"
        ).fetchone()[0]
        if repeated > 1 and blocks:
            blocks[-1] = blocks[-1].slice(0, len(blocks[-1]) - 1)
        yield from blocks

    tasks = _fixture_tasks(harness)
    monkeypatch.setattr(AnnotationStore, "prediction_columns", lossy)
    tasks[0]["predictions"].append(copy.deepcopy(tasks[0]["predictions"][0]))  # first sentence
    verdict = harness.run_case(_case(fuzz, harness, tasks))
    later = {t["data"]["sentence_id"] for t in tasks[1:]}
    named = [f.split("untouched sentence ")[1].split()[0] for f in verdict.failures]
    assert named and set(named) <= later, verdict.failures


def test_a_reader_that_drops_a_task_breaks_the_no_op_and_the_count(
    fuzz: ModuleType, harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build reads through the chunked reader (batches of tasks, and single tasks where
    # the exact reader took over): this one loses the file's last task.
    real = collect.read_export

    def lossy(path: Path, chunk: int | None = None) -> Iterator[Any]:
        pieces = list(real(path, chunk))
        last = pieces.pop()
        if isinstance(last, FastBatch) and len(last.tasks) > 1:
            pieces.append(FastBatch(last.first_index, last.tasks[:-1]))
        yield from pieces

    tasks = _fixture_tasks(harness)
    monkeypatch.setattr(collect, "read_export", lossy)
    verdict = harness.run_case(_case(fuzz, harness, tasks, same=True))
    assert any("but the file holds" in f for f in verdict.failures), verdict.failures
    assert any("no-op mutation changed" in f for f in verdict.failures), verdict.failures


def test_a_task_reaches_the_sentences_its_text_covers_in_its_article(harness: Any) -> None:
    corpus = harness.corpus
    sid = next(i for i in corpus.annotatable_ids if corpus.neighbour(i, 1))
    nxt = corpus.neighbour(sid, 1)
    article, start, _, _ = corpus.by_id[sid]
    text, sep = corpus.text_sep[sid]
    data = {"sentence_id": sid, "article_id": article, "article_start": start, "text": text}
    assert corpus.reach({"data": data}) == {sid}
    data["text"] = text + sep + corpus.text_sep[nxt][0]  # re-anchoring can reach the next one
    assert corpus.reach({"data": data}) == {sid, nxt}
    data["article_start"] = "3"  # no article offset: nothing is re-anchored
    assert corpus.reach({"data": data}) == {sid}
