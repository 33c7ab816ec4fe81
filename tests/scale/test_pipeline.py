"""The datatrove ingest gives, record for record, what the in-process ingest gives."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("datatrove", reason="datatrove is the optional extra chainpolicy[scale]")

from chainpolicy.corpus.jsonl import iter_jsonl
from chainpolicy.errors import InputError
from chainpolicy.records import SentenceRecord
from chainpolicy.scale import pipeline, shards

Corpus = tuple[Path, Path]


def _in_process(corpus: Corpus) -> list[bytes]:
    return list(iter_jsonl(*corpus))


def _articles(corpus: Corpus) -> list[str]:
    return [a["id"] for a in json.loads((corpus[0] / "manifest.json").read_text())["articles"]]


def _assert_same_records(out: Path, corpus: Corpus, tasks: int) -> list[dict[str, object]]:
    expected = [json.loads(line) for line in _in_process(corpus)]
    got = list(shards.iter_rows(out))
    assert len(got) == len(expected)
    for number, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert list(mine) == list(SentenceRecord.model_fields), number
        assert mine == theirs, f"record {number} ({theirs['id']}) differs"
    # One file per non-empty shard, named by rank; shard k holds the records of its own block.
    articles = _articles(corpus)
    names = [p.stem for p in shards.record_files(out)]
    blocks = [shards.shard_bounds(len(articles), k, tasks) for k in range(tasks)]
    assert names == [shards.rank_name(k) for k, (a, b) in enumerate(blocks) if b > a]
    for path, (start, end) in zip(
        shards.record_files(out), [b for b in blocks if b[1] > b[0]], strict=True
    ):
        ids = {r["article_id"] for r in shards.iter_shard(path)}
        assert ids == set(articles[start:end])
    return expected


@pytest.mark.parametrize(("tasks", "workers"), [(1, 1), (2, 2)])
def test_committed_corpus_parquet(
    committed: Corpus, tmp_path: Path, tasks: int, workers: int
) -> None:
    out = tmp_path / "out"
    pipeline.run_local(*committed, out, tasks=tasks, workers=workers)
    _assert_same_records(out, committed, tasks)
    for path in shards.record_files(out):
        assert pq.read_schema(path).remove_metadata() == shards.RECORD_SCHEMA
    assert not (out / shards.WORK).exists()
    logs = {p.name for p in (out / shards.LOGS).iterdir()}
    assert logs == {*pipeline.STAGES, pipeline.CONSOLE_LOG}


def test_a_process_with_threads_starts_its_workers_with_forkserver(
    committed: Corpus, tmp_path: Path
) -> None:
    # Forking a process that runs threads could leave a lock held in the workers: such a run
    # takes datatrove's forkserver, with the same records.
    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()
    try:
        assert pipeline._start_method() == "forkserver"
        pipeline.run_local(*committed, tmp_path / "out", tasks=2, workers=2)
    finally:
        stop.set()
        waiter.join()
    assert pipeline._start_method() == "fork"
    _assert_same_records(tmp_path / "out", committed, 2)


def test_committed_corpus_jsonl_shards_concatenate_to_the_sentences_output(
    committed: Corpus, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    pipeline.run_local(*committed, out, tasks=3, workers=2, output_format="jsonl")
    joined = b"".join(p.read_bytes() for p in shards.record_files(out))
    assert joined == b"".join(_in_process(committed))
    _assert_same_records(out, committed, 3)


def test_parquet_shards_read_back_as_docs_cluster_md_says(copies: Corpus, tmp_path: Path) -> None:
    from datasets import load_dataset

    out = tmp_path / "out"
    pipeline.run_local(*copies, out, tasks=3, workers=2)
    # The JSONL that `chainpolicy build --sentences` reads, byte for byte.
    assert b"".join(shards.jsonl_lines(out)) == b"".join(_in_process(copies))
    loaded = load_dataset(
        "parquet",
        data_files=str(out / shards.RECORDS / "*.parquet"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    expected = [json.loads(line) for line in _in_process(copies)]
    assert loaded.column_names == list(SentenceRecord.model_fields)
    assert loaded.to_list() == expected
    # The other readers the doc names keep the file-name order too.
    import duckdb
    import polars as pl

    ids = [r["id"] for r in expected]
    pattern = str(out / shards.RECORDS / "*.parquet")
    assert pq.read_table(out / shards.RECORDS).column("id").to_pylist() == ids
    assert pl.scan_parquet(pattern).collect()["id"].to_list() == ids
    assert [r[0] for r in duckdb.sql(f"select id from read_parquet('{pattern}')").fetchall()] == ids


@pytest.mark.parametrize("tasks", [1, 2, 3])
def test_copies_have_cross_article_duplicates_marked_in_corpus_order(
    copies: Corpus, tmp_path: Path, tasks: int
) -> None:
    out = tmp_path / "out"
    pipeline.run_local(*copies, out, tasks=tasks, workers=min(tasks, 2))
    expected = _assert_same_records(out, copies, tasks)
    article_of = {r["id"]: r["article_id"] for r in expected}
    across = [
        r
        for r in expected
        if r["duplicate_of"] and article_of[r["duplicate_of"]] != r["article_id"]
    ]
    assert len(across) >= len(expected) // 2  # the whole second copy


@pytest.mark.parametrize(("tasks", "buckets"), [(2, 1), (3, 2), (4, 7), (8, 3)])
def test_handmade_shards_buckets_and_empty_shards(
    handmade: Corpus, tmp_path: Path, tasks: int, buckets: int
) -> None:
    out = tmp_path / "out"
    pipeline.run_local(*handmade, out, tasks=tasks, workers=2, buckets=buckets, keep_work=True)
    expected = _assert_same_records(out, handmade, tasks)
    assert sum(1 for r in expected if r["duplicate_of"]) >= 5
    assert any("𠀀" in r["text"] for r in expected)
    # Stage 2 names, per shard, exactly the texts whose first record is in an earlier shard.
    articles = _articles(handmade)
    shard_of = {
        a: k
        for k in range(tasks)
        for a in articles[slice(*shards.shard_bounds(len(articles), k, tasks))]
    }
    first_shard: dict[str, int] = {}
    wanted: dict[str, set[str]] = {}
    for r in expected:
        k = shard_of[str(r["article_id"])]
        if first_shard.setdefault(str(r["text_sha1"]), k) < k:
            wanted.setdefault(shards.rank_name(k), set()).add(str(r["text_sha1"]))
    named: dict[str, set[str]] = {}
    for path in sorted((out / shards.DUPLICATES).glob("*/*.parquet")):
        digests = pq.read_table(path).column("text_sha1").to_pylist()
        named.setdefault(path.parent.name, set()).update(digests)
    assert named == wanted and wanted


def test_a_failing_article_fails_the_run_with_its_one_line_error(
    handmade: Corpus, tmp_path: Path
) -> None:
    sources, _ = handmade
    errata = tmp_path / "errata.json"
    errata.write_text(
        json.dumps(
            [
                {
                    "article": _articles(handmade)[3],
                    "before": "不在文中",
                    "after": "x",
                    "reason": "a stale erratum for the test",
                    "reviewed_by": "test",
                }
            ]
        ),
        "utf-8",
    )
    with pytest.raises(InputError) as caught:
        list(iter_jsonl(sources, errata))
    with pytest.raises(InputError) as through_datatrove:
        pipeline.run_local(sources, errata, tmp_path / "out", tasks=2, workers=2)
    assert str(through_datatrove.value) == str(caught.value)


def test_output_folder_must_be_new_or_empty(committed: Corpus, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("not the ingest's", "utf-8")
    with pytest.raises(InputError, match="not an empty folder"):
        pipeline.run_local(*committed, tmp_path, tasks=1)
    assert (tmp_path / "mine.txt").read_text("utf-8") == "not the ingest's"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": 0}, "--tasks must be at least 1"),
        ({"tasks": 2, "buckets": 0}, "buckets must be at least 1"),
        ({"tasks": 1, "output_format": "csv"}, "output format 'csv'"),
    ],
)
def test_stages_refuse_bad_settings(
    committed: Corpus, tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        pipeline.stages(*committed, tmp_path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("stage", "wrong"), [("firsts", 3), ("mark", 1)])
def test_a_stage_run_with_another_task_count_is_refused(
    handmade: Corpus, tmp_path: Path, stage: str, wrong: int
) -> None:
    # On a cluster each stage gets its own executor: a task count that differs from the plan's
    # would leave buckets or shards out, so the stage refuses to run.
    from datatrove.executor import LocalPipelineExecutor

    plan = pipeline.stages(*handmade, tmp_path / "out", tasks=2, buckets=2)
    pipeline.local_executor(plan).depends.depends.run()  # the shard stage
    steps = getattr(plan, stage)
    executor = LocalPipelineExecutor(steps, tasks=wrong, logging_dir=str(tmp_path / "logs"))
    with pytest.raises(InputError, match=f"the {stage} stage runs with {wrong} tasks; it needs"):
        executor.run()
