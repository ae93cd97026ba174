"""Measure `newscorpus build` on a synthetic corpus made from this repository's seed documents.

Each synthetic document is a seed article with one numbered line appended to its raw text (so
every raw sha256 differs) and the seed's annotations (whose offsets the appended line does not
move). The project lives in a temporary folder; nothing in the repository changes.

    .venv/bin/python scripts/bench_build.py --docs 500

Prints the corpus size, then the median of ``--runs`` timings of validation and of the build
(which validates again first), in documents and MB of text per second.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from newscorpus.annotations import annotation_path, read_annotations, write_annotations
from newscorpus.corpus import META_FILE, RAW_FILE, TEXT_FILE, doc_ids, load_article
from newscorpus.normalise import normalise
from newscorpus.package import build
from newscorpus.project import load_project
from newscorpus.validate import validate_project

REPO = Path(__file__).resolve().parent.parent


def make_corpus(root: Path, docs: int) -> int:
    """A project at ``root`` with ``docs`` documents; returns the bytes of normalised text."""
    seed = load_project(REPO)
    seeds = [
        (load_article(seed, i), read_annotations(annotation_path(seed, i))) for i in doc_ids(seed)
    ]
    (root / "corpus").mkdir(parents=True)
    shutil.copytree(seed.annotations, root / "annotations", ignore=shutil.ignore_patterns("*.json"))
    (root / "pyproject.toml").write_text(
        '[tool.newscorpus]\nname = "bench"\nversion = "0.0.0"\n', encoding="utf-8"
    )
    project = load_project(root)
    total = 0
    for n in range(docs):
        article, annotations = seeds[n % len(seeds)]
        doc_id = f"{article.id}-{n:06d}"
        raw = f"{article.raw.rstrip()}\n\nReference {n}.\n"
        text = normalise(raw, project.normalise_rules).text
        folder = project.corpus / doc_id
        folder.mkdir()
        meta = {**article.meta.to_dict(), "id": doc_id}
        meta["raw_sha256"] = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        (folder / RAW_FILE).write_text(raw, encoding="utf-8")
        (folder / TEXT_FILE).write_text(text, encoding="utf-8")
        copy = type(annotations)(
            doc_id,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
            annotations.entities,
            annotations.relations,
        )
        write_annotations(annotation_path(project, doc_id), copy)
        total += len(text.encode("utf-8"))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=500, help="documents (default 500)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newscorpus-bench-") as tmp:
        root = Path(tmp) / "bench"
        size = make_corpus(root, args.docs)
        project = load_project(root)
        print(f"corpus: {args.docs} documents, {size / 1e6:.2f} MB of normalised text")
        for name, run in (
            ("validate", lambda: validate_project(project)),
            ("build", lambda: build(project, Path(tmp) / "out")),
        ):
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                run()
                timings.append(time.perf_counter() - started)
            median = statistics.median(timings)
            print(
                f"{name:>8}: {median:.2f}s median of {args.runs}, "
                f"{args.docs / median:.0f} docs/s, {size / 1e6 / median:.2f} MB/s"
            )


if __name__ == "__main__":
    main()
