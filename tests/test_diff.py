"""`newscorpus diff`: what changed in the data between two builds."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import run

DOC = "india-japan-5g-agreement"


def test_diff_reports_added_documents_and_annotation_changes(
    seed_project: Path, tmp_path: Path
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    assert run(seed_project, "build", "--out", str(old))[0] == 0
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(annotation_file.read_text("utf-8"))
    data["entities"][2]["label"] = "ORG"  # T3 "5G"
    data["relations"] = [
        r
        for r in data["relations"]
        if r["id"] not in ("R2", "R3")  # T3 is not ORG-compatible
    ]
    data["relations"][0]["label"] = "participates_in"
    data["relations"][0]["tail"] = next(e["id"] for e in data["entities"] if e["label"] == "EVENT")
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    article = tmp_path / "story.txt"
    article.write_text("Huawei tests 6G\n\nHuawei tests 6 G in Shenzhen.", encoding="utf-8")
    assert run(seed_project, "add", str(article), "--id", "huawei-6g")[0] == 0
    config = seed_project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('"0.1.0"', '"0.2.0"'), "utf-8")
    assert run(seed_project, "build", "--out", str(new))[0] == 0
    code, out, _ = run(seed_project, "diff", str(old), str(new))
    assert code == 0
    assert out == (
        "0.1.0 -> 0.2.0: documents +1 -0 ~1; entities +0 -0 relabelled 1; relations +1 -3 "
        "relabelled 0\n"
        "+ huawei-6g (validation)\n"
        f"~ {DOC}\n"
        '    ~ entity "5G" [77, 79) TECHNOLOGY -> ORG\n'
        '    + relation participates_in "India"@0 -> "13th India-Japan Foreign Ministers\u2019 '
        'Strategic Dialog"@2758\n'
        '    - relation cooperates_on "India"@0 -> "5G"@77\n'
        '    - relation agreement_with "India"@0 -> "Japan"@10\n'
        '    - relation cooperates_on "Japan"@10 -> "5G"@77\n'
    )
    code, out, _ = run(seed_project, "diff", str(new), str(old), "--format", "json")
    report = json.loads(out)
    assert report["totals"] == {
        "documents_added": 0,
        "documents_removed": 1,
        "documents_changed": 1,
        "entities_added": 0,
        "entities_removed": 0,
        "entities_relabelled": 1,
        "relations_added": 3,
        "relations_removed": 1,
        "relations_relabelled": 0,
    }
    assert report["removed"] == [{"id": "huawei-6g", "split": "validation"}]


def test_text_changes_are_compared_after_reanchoring(seed_project: Path, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    run(seed_project, "build", "--out", str(old))
    raw = seed_project / "corpus" / DOC / "raw.txt"
    raw.write_text(raw.read_text("utf-8").replace("historic agreement", "agreement"), "utf-8")
    assert run(seed_project, "renormalise", "--accept-raw-edits")[0] == 0
    run(seed_project, "build", "--out", str(new))
    assert run(seed_project, "diff", str(old), str(new))[1] == (
        "0.1.0 -> 0.1.0: documents +0 -0 ~1; entities +0 -0 relabelled 0; relations +0 -0 "
        f"relabelled 0\n~ {DOC}\n    text changed (old annotations re-anchored before comparing)\n"
    )


def test_not_a_build(seed_project: Path, tmp_path: Path) -> None:
    code, _, err = run(seed_project, "diff", str(tmp_path), str(tmp_path))
    assert (code, err) == (
        1,
        f"error: {tmp_path}: E310 is not a newscorpus build (no readable manifest.json with a "
        "version). Pass two folders written by `newscorpus build`.\n",
    )


def _two_builds(project: Path, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A build and a copy of it: the two folders, the documents shard and its copy."""
    old, new = tmp_path / "old", tmp_path / "new"
    assert run(project, "build", "--out", str(old))[0] == 0
    (shard,) = (old / "data" / "documents").glob("train-*.parquet")
    shutil.copytree(old, new)
    return old, new, shard, new / shard.relative_to(old)


def test_a_damaged_or_missing_shard_is_e310(seed_project: Path, tmp_path: Path) -> None:
    old, new, shard, damaged = _two_builds(seed_project, tmp_path)
    damaged.write_bytes(shard.read_bytes()[:100])
    code, out, err = run(seed_project, "diff", str(old), str(new))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {damaged}: E310 cannot be read as a shard of the documents config (ArrowInvalid: "
    )
    assert err.endswith("). Build that folder again with `newscorpus build`.\n")
    (sentences,) = (new / "data" / "sentences").glob("train-*.parquet")
    shutil.copyfile(sentences, damaged)  # a shard of another config
    code, _, err = run(seed_project, "diff", str(old), str(new))
    assert (code, err.split(" (")[0]) == (
        1,
        f"error: {damaged}: E310 cannot be read as a shard of the documents config",
    )
    shutil.rmtree(new / "data" / "documents")
    assert run(seed_project, "diff", str(old), str(new)) == (
        1,
        "",
        f"error: {new}: E310 holds no documents shards (data/documents/*.parquet), so its "
        "documents cannot be compared. Pass two folders written by `newscorpus build`, whole.\n",
    )


def test_a_shard_with_text_that_is_not_text_or_a_fifo_is_e310(
    seed_project: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    old, new, shard, target = _two_builds(seed_project, tmp_path)
    table = pq.read_table(shard)
    column = table.schema.get_field_index("text")
    pq.write_table(table.set_column(column, "text", pa.array([1], pa.int64())), target)
    code, _, err = run(seed_project, "diff", str(old), str(new))
    assert (code, err) == (
        1,
        f"error: {target}: E310 cannot be read as a shard of the documents config (TypeError: "
        "its text column is not text). Build that folder again with `newscorpus build`.\n",
    )
    target.unlink()
    os.mkfifo(target)  # read, it would block diff for ever
    code, _, err = run(seed_project, "diff", str(old), str(new))
    assert (code, err.split(" (")[0]) == (
        1,
        f"error: {target}: E310 cannot be read as a shard of the documents config",
    )
