"""spaCy export and import: DocBin contents, round trips, coded errors, and the exported config
run by spaCy's own `debug data` and `train`."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy
import pytest
import spacy
import srsly
from spacy.tokens import Doc, DocBin, Span

from build_helpers import formats_project
from conftest import REPO_ROOT, run, tree
from newscorpus.annotations import annotation_path, read_annotations
from newscorpus.corpus import doc_ids, load_article
from newscorpus.formats.docbin import DocBinWriter
from newscorpus.formats.spacy import DOCBIN_ATTRS, msgpack_hooks_resolved, register_extensions
from newscorpus.model import outermost
from newscorpus.nlp import make_nlp
from newscorpus.project import load_project

DOC = "india-japan-5g-agreement"


def read_docs(path: Path) -> list[Doc]:
    register_extensions()
    return list(DocBin(store_user_data=True).from_disk(path).get_docs(make_nlp().vocab))


def write_docs(path: Path, docs: list[Doc]) -> None:
    DocBin(docs=docs, store_user_data=True).to_disk(path)


@pytest.fixture
def exported(seed_project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "spacy"
    assert run(seed_project, "export", "spacy", str(out)) == (
        0,
        "warning: dev.spacy is empty: no document is in the validation split\n"
        "warning: test.spacy is empty: no document is in the test split\n"
        "warning: spacy train evaluates on dev.spacy, so it will score 0: pin documents to "
        'validation with [tool.newscorpus.splits] (my-doc-id = "validation")\n'
        f"exported 1 document(s) to {out} (spacy)\n",
        "",
    )
    return out


def test_seed_docs_hold_every_annotation_and_come_back(seed_project: Path, exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == [
        "config.cfg",
        "dev.spacy",
        "test.spacy",
        "train.spacy",
    ]
    assert read_docs(exported / "dev.spacy") == []
    [doc] = read_docs(exported / "train.spacy")
    project = load_project(seed_project)
    text = load_article(project, DOC).text
    stored = read_annotations(annotation_path(project, DOC))
    reference = make_nlp()(text)
    assert [(t.text, t.whitespace_) for t in doc] == [(t.text, t.whitespace_) for t in reference]
    assert doc._.doc_id == DOC
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
        (e.start, e.end, e.label) for e in outermost(stored.entities)
    ]
    assert [(s.id_, s.start_char, s.end_char, s.label_) for s in doc.spans["entities"]] == [
        (e.id, e.start, e.end, e.label) for e in stored.entities
    ]
    assert list(doc._.relations) == [(r.id, r.head, r.tail, r.label) for r in stored.relations]
    before = tree(seed_project)
    assert run(seed_project, "import", "spacy", str(exported)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (spacy): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_resolved_msgpack_hooks_write_the_bytes_plain_docbin_writes(
    seed_project: Path, exported: Path
) -> None:
    """The export looks srsly's hooks up once: its file is what DocBin writes unaided, and the
    registries answer afresh again afterwards."""
    registries = [srsly.msgpack_encoders, srsly.msgpack_decoders]
    with msgpack_hooks_resolved(), msgpack_hooks_resolved():  # nested: restored once
        assert all("get_all" in vars(r) for r in registries)
    assert not any("get_all" in vars(r) for r in registries)
    docs = read_docs(exported / "train.spacy")
    plain = DocBin(DOCBIN_ATTRS, docs=docs, store_user_data=True).to_bytes()
    assert (exported / "train.spacy").read_bytes() == plain


def test_files_hold_the_bytes_of_docs_made_and_filed_the_usual_way(tmp_path: Path) -> None:
    """The export sets sentence starts and entity tags from one array and fills its DocBins
    without ``DocBin.add``'s walk over every token: its files are the bytes of the same Docs
    made with ``Doc(sent_starts=...)``, ``doc.ents = ...`` and filed with ``DocBin.add``."""
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    assert run(project.root, "export", "spacy", str(out))[0] == 0
    for name in ("train.spacy", "dev.spacy", "test.spacy"):
        usual = DocBin(DOCBIN_ATTRS, store_user_data=True)
        for doc in read_docs(out / name):
            remade = Doc(
                doc.vocab,
                words=[t.text for t in doc],
                spaces=[bool(t.whitespace_) for t in doc],
                sent_starts=[bool(t.is_sent_start) for t in doc],
            )
            remade.ents = [Span(remade, e.start, e.end, label=e.label_) for e in doc.ents]
            remade.spans["entities"] = [
                Span(remade, s.start, s.end, label=s.label_, span_id=s.id_)
                for s in doc.spans["entities"]
            ]
            remade.user_data.update(doc.user_data)
            usual.add(remade)
        assert len(usual)
        assert (out / name).read_bytes() == usual.to_bytes()


@pytest.mark.parametrize("sizes", [[], [0], [3], [3, 0, 5], [400] * 40], ids=repr)
def test_the_writer_writes_the_bytes_docbin_writes(tmp_path: Path, sizes: list[int]) -> None:
    """Docs of ``sizes`` tokens (no Doc, an empty one, a few, and enough for each of msgpack's
    byte-string headers) filed by the writer and by ``DocBin`` give the same file."""
    nlp = make_nlp()
    register_extensions()
    docs = []
    for n, size in enumerate(sizes):
        doc = nlp.make_doc(" ".join(f"word{i % 97}." if i % 7 else "India" for i in range(size)))
        doc.ents = [
            Span(doc, i, i + 1, label="GPE") for i, t in enumerate(doc) if t.text == "India"
        ]
        doc.spans["entities"] = [
            Span(doc, e.start, e.end, label="GPE", span_id=f"T{e.start}") for e in doc.ents
        ]
        doc._.doc_id = f"d{n}"
        doc._.relations = [["R1", "T0", "T1", "located_in"]] if len(doc.ents) > 1 else []
        docs.append(doc)
    writer = DocBinWriter(DOCBIN_ATTRS, tmp_path)
    for doc in docs:
        writer.add(doc)
    pieces: list[bytes] = []
    writer.finish(pieces.append)
    assert writer.count == len(sizes)
    assert b"".join(pieces) == DocBin(DOCBIN_ATTRS, docs=docs, store_user_data=True).to_bytes()
    assert list(tmp_path.iterdir()) == []  # the spools had no name


def test_fixture_round_trip_and_tokens(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    assert run(project.root, "export", "spacy", str(out)) == (
        0,
        f"exported 4 document(s) to {out} (spacy)\n",
        "",
    )
    docs = [doc for name in ("train", "dev", "test") for doc in read_docs(out / f"{name}.spacy")]
    assert [d._.doc_id for d in docs] == ["agreement", "emoji", "huawei-ban", "forecast"]
    nlp = make_nlp()
    for doc in docs:
        reference = nlp(load_article(project, doc._.doc_id).text)
        assert [(t.text, t.whitespace_) for t in doc] == [
            (t.text, t.whitespace_) for t in reference
        ]
    emoji = docs[1]
    assert [(s.text, s.label_, s.id_) for s in emoji.spans["entities"]] == [
        ("Tokyo 🚀 Summit", "EVENT", "T1"),
        ("Tokyo", "GPE", "T2"),
        ("Tokyo", "GPE", "T3"),
        ("5G", "TECHNOLOGY", "T4"),
    ]
    assert [(e.text, e.label_) for e in emoji.ents] == [
        ("Tokyo 🚀 Summit", "EVENT"),
        ("Tokyo", "GPE"),
        ("5G", "TECHNOLOGY"),
    ]
    assert [s.text for s in emoji.sents if not s.text.isspace()] == [
        "Rocket 🚀 Summit\n\n",
        "The Tokyo 🚀 Summit in Tokyo covered 5G.",
    ]
    before = tree(project.root)
    assert run(project.root, "import", "spacy", str(out)) == (
        0,
        "emoji: entities +0 ~0 -0, relations +0 -0\n"
        "huawei-ban: entities +0 ~0 -0, relations +0 -0\n"
        "agreement: entities +0 ~0 -0, relations +0 -0\n"
        "skipped: 1 document(s) without entities or an annotation file (none made)\n"
        "imported 3 document(s) (spacy): 0 annotation file(s) written\n",
        "",
    )
    assert tree(project.root) == before


def test_edited_docs_replace_gold_only_with_replace(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    run(project.root, "export", "spacy", str(out))
    dev = out / "dev.spacy"
    emoji, huawei = read_docs(dev)
    # A model's prediction in doc.ents ("U.S."), and Huawei's first mention removed with R1.
    spans = [s for s in huawei.spans["entities"] if s.id_ != "T2"]
    huawei.spans["entities"] = spans
    huawei.ents = [e for e in huawei.ents if e.start_char != 29] + [
        huawei.char_span(huawei.text.index("U.S."), huawei.text.index(" market"), label="GPE")
    ]
    huawei._.relations = [r for r in huawei._.relations if r[0] != "R1"]
    write_docs(dev, [emoji, huawei])
    before = tree(project.root)
    code, _, err = run(project.root, "import", "spacy", str(dev))
    assert (code, err) == (
        1,
        f"error: {dev}: E155 the import would change or remove curated annotations in 1 "
        "document(s); nothing was written:\n"
        "  huawei-ban:\n"
        "    - T2 ORG 'Huawei' [29, 35)\n"
        "    - R1 restricts T1 -> T2\n"
        " Check them; to let the import replace them, run it again with --replace (or import into "
        "an annotator's set with --annotator NAME).\n",
    )
    assert tree(project.root) == before
    code, out_text, err = run(project.root, "import", "spacy", str(dev), "--replace")
    assert (code, out_text, err) == (
        0,
        "emoji: entities +0 ~0 -0, relations +0 -0\n"
        "huawei-ban: entities +1 ~0 -1, relations +0 -1\n"
        "imported 2 document(s) (spacy): 1 annotation file(s) written\n",
        "",
    )
    stored = read_annotations(annotation_path(project, "huawei-ban"))
    assert [(e.id, e.text, e.label, e.source) for e in stored.entities] == [
        ("T1", "US", "GPE", "gold"),
        ("T3", "Washington", "GPE", "gold"),
        ("T4", "Huawei", "ORG", "gold"),
        ("T5", "U.S.", "GPE", "gold"),
    ]
    assert [(r.id, r.head, r.tail) for r in stored.relations] == [("R2", "T3", "T4")]


def _doc_for(project_root: Path, doc_id: str) -> Doc:
    register_extensions()
    text = load_article(load_project(project_root), doc_id).text
    doc = make_nlp().make_doc(text)
    doc._.doc_id = doc_id
    return doc


def test_malformed_files_are_refused_with_coded_errors(seed_project: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.spacy"

    def refused(message: str) -> None:
        before = tree(seed_project)
        code, out, err = run(seed_project, "import", "spacy", str(path))
        assert (code, out, err) == (1, "", f"error: {message}\n")
        assert tree(seed_project) == before

    path.write_bytes(b"not a docbin")
    code, _, err = run(seed_project, "import", "spacy", str(path))
    assert code == 1
    assert err.startswith(f"error: {path}: E158 is not a spaCy DocBin file (")
    assert err.endswith(
        "Pass a file written by DocBin.to_disk, e.g. by `newscorpus export spacy`.\n"
    )

    doc = _doc_for(seed_project, DOC)
    doc.ents = [Span(doc, 0, 1, label="COUNTRY")]
    write_docs(path, [doc])
    refused(
        f"{path} (doc 0) span COUNTRY [0, 5): E153 entity label 'COUNTRY' is not in the schema; "
        "allowed: PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the "
        "schema's labels (the exported label config lists them), or declare this one in "
        "schema.yaml."
    )

    doc = _doc_for(seed_project, DOC)
    doc.spans["entities"] = [Span(doc, 0, 1, label="GPE", span_id="T1")]
    doc._.relations = [("R1", "T1", "T9", "agreement_with")]
    write_docs(path, [doc])
    refused(
        f"{path} (doc 0): E158 relation R1 names entity 'T9', which is not in "
        'doc.spans["entities"]. Keep every relation\'s head and tail in doc.spans["entities"], '
        "with its id as span.id_."
    )

    for relations in (5, True):
        doc = _doc_for(seed_project, DOC)
        doc._.relations = relations
        write_docs(path, [doc])
        refused(
            f"{path} (doc 0): E158 doc._.relations holds {type(relations).__name__} "
            f"{relations!r}, not a list of relations. Store relations in doc._.relations as the "
            "export does: a list of (id, head entity id, tail entity id, label)."
        )
    doc = _doc_for(seed_project, DOC)
    doc._.relations = [("R1", {"a": 1}, "T2", "agreement_with")]
    write_docs(path, [doc])
    refused(
        f"{path} (doc 0): E158 relation ('R1', {{'a': 1}}, 'T2', 'agreement_with') is not (id, "
        "head entity id, tail entity id, label), four strings. Store relations in "
        "doc._.relations as the export does."
    )

    doc = make_nlp().make_doc("India and Japan")
    doc._.doc_id = DOC
    write_docs(path, [doc])
    refused(
        f"{path} (doc 0): E158 the Doc's text differs from corpus/{DOC}/text.txt, so its token "
        "offsets point at other characters. Make Docs from the normalised text (`newscorpus "
        "export spacy`)."
    )

    doc._.doc_id = None
    write_docs(path, [doc])
    refused(
        f"{path} (doc 0): E152 matches no corpus document: it has no doc_id and its text is not "
        "the normalised text of any stored article. Export the tasks with `newscorpus export` "
        "(which sets doc_id), or add the article."
    )

    write_docs(path, [_doc_for(seed_project, DOC), _doc_for(seed_project, DOC)])
    refused(
        f"{path} (doc 1): E158 holds document {DOC} again (first in {path} (doc 0)). Keep one "
        "Doc per document."
    )

    write_docs(path, [_doc_for(seed_project, DOC)])
    before = tree(seed_project)
    assert run(seed_project, "import", "spacy", str(path), "--doc", "other") == (
        1,
        "",
        "error: E213 no article with id 'other' in the corpus. Check the id (`ls corpus/`), or "
        "`newscorpus add` the article first.\n",
    )
    assert tree(seed_project) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    before = tree(seed_project)
    assert run(seed_project, "import", "spacy", str(empty)) == (
        1,
        "",
        f"error: {empty}: E202 holds no .spacy files. Pass a .spacy file or the folder "
        "`newscorpus export spacy` wrote.\n",
    )
    assert tree(seed_project) == before


def test_doc_ids_choose_documents(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    run(project.root, "export", "spacy", str(out))
    assert run(project.root, "import", "spacy", str(out), "emoji") == (
        0,
        "emoji: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (spacy): 0 annotation file(s) written\n",
        "",
    )
    code, _, err = run(project.root, "import", "spacy", str(out / "train.spacy"), "--doc", "emoji")
    assert (code, err) == (
        1,
        f"error: {out / 'train.spacy'}: E158 holds no Doc of emoji, which was named to import. "
        "Name only documents the file holds, or none to import them all.\n",
    )


def test_a_doc_without_doc_id_is_matched_by_its_text(seed_project: Path, tmp_path: Path) -> None:
    doc = _doc_for(seed_project, DOC)
    doc._.doc_id = None
    doc.ents = [Span(doc, 0, 1, label="GPE")]
    path = tmp_path / "pred.spacy"
    write_docs(path, [doc])
    code, out, err = run(seed_project, "import", "spacy", str(path), "--annotator", "model1")
    assert (code, out, err) == (
        0,
        f"{DOC} [model1]: entities +1 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (spacy): 1 annotation file(s) written\n",
        "",
    )


# --- spaCy's own tools on the export ----------------------------------------------------------


@pytest.fixture(scope="module")
def trainable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and 130 synthetic articles (105 in train: `debug data` fails below 100),
    exported; returns the export folder."""
    spec = importlib.util.spec_from_file_location(
        "bench_build", REPO_ROOT / "scripts" / "bench_build.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_build"] = bench  # dataclasses look their module up by name
    spec.loader.exec_module(bench)
    root = tmp_path_factory.mktemp("trainable") / "proj"
    bench.make_corpus(root, 130)
    shutil.copytree(REPO_ROOT / "corpus" / DOC, root / "corpus" / DOC)
    shutil.copy(REPO_ROOT / "annotations" / f"{DOC}.json", root / "annotations")
    out = root / "spacy"
    code, stdout, err = run(root, "export", "spacy", str(out))
    assert (code, stdout, err) == (0, f"exported 131 document(s) to {out} (spacy)\n", "")
    assert len(doc_ids(load_project(root))) == 131
    return out


def _spacy_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(Path(sys.executable).parent), "NO_COLOR": "1", "HOME": str(folder)},
    )


def test_debug_data_finds_no_misaligned_or_skipped_entities(trainable: Path) -> None:
    done = _spacy_cli(trainable, "debug", "data", "config.cfg")
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    assert "106 training docs" in report
    assert "13 evaluation docs" in report
    for line in (
        "0 missing value(s) (tokens with '-' label)",
        "No entities consisting of or starting/ending with whitespace",
        "No entities crossing sentence boundaries",
        "Corpus is loadable",
    ):
        assert line in report
    assert "misaligned" not in report.lower()
    assert "✘" not in report


def test_spacy_train_runs_with_the_project_tokenizer(trainable: Path) -> None:
    done = _spacy_cli(
        trainable,
        "train",
        "config.cfg",
        "--output",
        "model",
        "--training.max_steps",
        "2",
        "--training.eval_frequency",
        "2",
        "--components.tok2vec.model.encode.width",
        "16",
        "--components.tok2vec.model.encode.depth",
        "1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    trained = spacy.load(trainable / "model" / "model-last")
    assert trained.pipe_names == ["tok2vec", "ner"]
    assert [t.text for t in trained.make_doc("Japan on 5G. And the IoT. Pvt.")][-1] == "Pvt."
    assert [t.text for t in trained.make_doc("Japan on 5G. And the IoT.")] == [
        "Japan",
        "on",
        "5G",
        ".",
        "And",
        "the",
        "IoT",
        ".",
    ]
    config = (trainable / "config.cfg").read_text("utf-8")
    assert (
        '[initialize.before_init]\n@callbacks = "newscorpus.tokenizer_fix.v1"\n'
        'abbreviations = ["Inc.", "Co.", "Corp.", "Ltd.", "Bros.", "Cos.", "Pvt.", "Plc.", '
        '"Pty.", "Jr.", "Sr."]\n'
    ) in config
    assert 'train = "train.spacy"\ndev = "dev.spacy"' in config


def test_exported_tokens_are_the_pipeline_tokens_on_scraped_articles(trainable: Path) -> None:
    """The export tokenises line by line (fast); on headline + paragraph articles with CRLF
    raw text its tokens, whitespace and sentence starts are those of the whole-document
    pipeline."""
    nlp = make_nlp()
    docs = [
        doc for name in ("train", "dev", "test") for doc in read_docs(trainable / f"{name}.spacy")
    ]
    assert len(docs) == 131
    for doc in docs:
        reference = nlp(doc.text)
        assert [(t.text, t.whitespace_) for t in doc] == [
            (t.text, t.whitespace_) for t in reference
        ], doc._.doc_id
        starts = {t.i for t in doc if t.is_sent_start and not t.is_space}
        assert starts <= {t.i for t in reference if t.is_sent_start}, doc._.doc_id


def test_doc_texts_are_made_as_spacy_makes_them(tmp_path: Path) -> None:
    from newscorpus.formats.spacy import _Texts

    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    run(project.root, "export", "spacy", str(out))
    nlp = make_nlp()
    docs = [doc for name in ("train", "dev", "test") for doc in read_docs(out / f"{name}.spacy")]
    docs += [
        nlp.make_doc(""),
        nlp.make_doc("  two  spaces,\ttab\r\nand 🚀 emoji  "),
        Doc(nlp.vocab, words=["no", "space", "known"]),  # has_unknown_spaces
    ]
    texts = _Texts()
    assert [texts(doc) for doc in docs] == [doc.text for doc in docs]
    assert texts(docs[-1]) == "no space known "


def test_a_broken_doc_in_a_later_file_writes_nothing(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "spacy"
    run(project.root, "export", "spacy", str(out))
    # dev.spacy comes first and would change gold: its Docs lose every entity.
    register_extensions()
    docs = read_docs(out / "dev.spacy")
    for doc in docs:
        doc.spans["entities"] = []
        doc.ents = []
        doc._.relations = []
    write_docs(out / "dev.spacy", docs)
    # train.spacy's first Doc reads; its second's span groups are not msgpack.
    message = srsly.msgpack_loads(zlib.decompress((out / "train.spacy").read_bytes()))
    message["span_groups"].append(b"\xc1")
    message["lengths"] = message["lengths"] + message["lengths"]
    message["tokens"] += message["tokens"]
    message["spaces"] += message["spaces"]
    for name in ("cats", "flags", "user_data"):
        message[name].append(message[name][0])
    (out / "train.spacy").write_bytes(zlib.compress(srsly.msgpack_dumps(message)))
    before = tree(project.root)
    code, text, err = run(project.root, "import", "spacy", str(out), "--replace")
    assert (code, text) == (1, "")
    assert err.startswith(f"error: {out / 'train.spacy'}: E158 is not a spaCy DocBin file (")
    assert tree(project.root) == before


def _varied_docs(nlp: spacy.language.Language) -> list[Doc]:
    """Docs that use every part of a DocBin: entities, span groups with ids and KB ids, cats,
    user data, unknown spaces, an empty Doc, and enough tokens to cross the reader's chunks."""
    register_extensions()
    long = nlp.make_doc(" ".join(f"word{n % 997} Kenji Tokyo 🚀" for n in range(40_000)))
    long.ents = [Span(long, 1, 2, label="PERSON"), Span(long, 2, 3, label="GPE")]
    long.spans["extra"] = [Span(long, 0, 3, label="X", kb_id="Q1", span_id="S1")]
    long.cats = {"news": 1.0, "sport": 0.0}
    long._.doc_id = "long"
    long._.relations = [["R1", "T1", "T2", "located_in"]]
    short = nlp.make_doc("India and Japan\n\nsigned  it.")
    short.spans["entities"] = [Span(short, 0, 1, label="GPE"), Span(short, 0, 3, label="X")]
    unknown = Doc(nlp.vocab, words=["no", "spaces", "known"])
    return [long, short, nlp.make_doc(""), unknown]


@pytest.mark.parametrize("user_data", [True, False])
@pytest.mark.parametrize("attrs", ["default", "export"])
def test_the_streaming_reader_makes_the_docs_docbin_makes(
    tmp_path: Path, attrs: str, user_data: bool
) -> None:
    from newscorpus.formats.docbin import read_docs

    nlp = make_nlp()
    path = tmp_path / "docs.spacy"
    names = DOCBIN_ATTRS if attrs == "export" else None
    docbin = (
        DocBin(attrs=names, store_user_data=user_data)
        if names
        else DocBin(store_user_data=user_data)
    )
    for doc in _varied_docs(nlp):
        docbin.add(doc)
    docbin.to_disk(path)
    assert len(zlib.decompress(path.read_bytes())) > 4 << 20  # several of the reader's chunks
    vocab = make_nlp().vocab
    expected = [d.to_bytes() for d in DocBin().from_disk(path).get_docs(vocab)]
    assert [d.to_bytes() for d in read_docs(path, vocab)] == expected
    empty = tmp_path / "empty.spacy"
    DocBin().to_disk(empty)
    assert list(read_docs(empty, vocab)) == []


def test_the_streaming_reader_refuses_what_is_not_a_docbin(tmp_path: Path) -> None:
    from newscorpus.formats.docbin import read_docs

    path = tmp_path / "docs.spacy"
    docbin = DocBin(store_user_data=True)
    for doc in _varied_docs(make_nlp())[1:]:
        docbin.add(doc)
    good = zlib.decompress(docbin.to_bytes())
    message = srsly.msgpack_loads(good)
    vocab = make_nlp().vocab

    def refused(data: bytes) -> str:
        path.write_bytes(data)
        with pytest.raises(Exception) as caught:
            list(read_docs(path, vocab))
        return str(caught.value)

    assert refused(zlib.compress(good)[:-9]) == "the file ends inside its zlib stream (truncated)"
    assert refused(zlib.compress(good + b"\x00")) == "it holds more data after its map"
    without = {k: v for k, v in message.items() if k != "cats"}
    assert refused(zlib.compress(srsly.msgpack_dumps(without))) == "it has no 'cats' section"
    shorter = {**message, "spaces": message["spaces"][:-1]}
    assert refused(zlib.compress(srsly.msgpack_dumps(shorter))) == (
        "its token arrays do not have the lengths it lists"
    )
    listed = {**message, "tokens": [1, 2]}
    assert refused(zlib.compress(srsly.msgpack_dumps(listed))) == (
        "its 'tokens' section is not a byte string"
    )
    # What DocBin reads, or reads differently, but no DocBin writes.
    assert refused(zlib.compress(good + b"\xc4")) == "it holds more data after its map"
    packer = srsly.msgpack.Packer(use_bin_type=True)
    twice = packer.pack_map_header(len(message) + 1) + b"".join(
        packer.pack(k) + packer.pack(v) for k, v in [*message.items(), ("cats", message["cats"])]
    )
    assert refused(zlib.compress(twice)) == "it holds its 'cats' section twice"
    flagless = {**message, "flags": [None] * len(message["flags"])}
    assert refused(zlib.compress(srsly.msgpack_dumps(flagless))) == (
        "value 0 of its 'flags' section is not a DocBin's"
    )
    sizes = numpy.frombuffer(message["lengths"], dtype="int32").copy()
    sizes[:2] = [sizes[0] + sizes[1] + 1, -1]
    negative = {**message, "lengths": sizes.tobytes()}
    assert refused(zlib.compress(srsly.msgpack_dumps(negative))) == (
        "its 'lengths' section holds a negative length"
    )
    fewer = {**message, "span_groups": message["span_groups"][:-1]}
    assert refused(zlib.compress(srsly.msgpack_dumps(fewer))) == (
        f"its 'span_groups' section holds {len(fewer['span_groups'])} values for "
        f"{len(message['span_groups'])} Docs"
    )
    many = {**message, "attrs": list(range(2000))}
    assert refused(zlib.compress(srsly.msgpack_dumps(many))) == (
        "its 'attrs' section lists 2000 attributes"
    )
    # User data may stop early, as in DocBin: the Docs after it have none.
    short = {**message, "user_data": message["user_data"][:1]}
    path.write_bytes(zlib.compress(srsly.msgpack_dumps(short)))
    expected = [d.to_bytes() for d in DocBin().from_disk(path).get_docs(vocab)]
    assert [d.to_bytes() for d in read_docs(path, vocab)] == expected


def test_a_string_missing_from_the_string_table_is_a_coded_error(
    seed_project: Path, tmp_path: Path
) -> None:
    path = tmp_path / "cut.spacy"
    doc = _doc_for(seed_project, DOC)
    doc.spans["entities"] = [Span(doc, 0, 1, label="GPE", span_id="T1")]
    write_docs(path, [doc])
    message = srsly.msgpack_loads(zlib.decompress(path.read_bytes()))
    message["strings"] = [s for s in message["strings"] if s != "T1"]  # the span id
    path.write_bytes(zlib.compress(srsly.msgpack_dumps(message)))
    code, out, err = run(seed_project, "import", "spacy", str(path))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {path} (doc 0): E158 names a string that the file's string table does not hold"
    )


def test_a_fifo_named_like_a_docbin_is_refused(seed_project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "train.spacy")
    assert run(seed_project, "import", "spacy", str(folder)) == (
        1,
        "",
        f"error: {folder / 'train.spacy'}: E219 is not a regular file (a folder, pipe, device "
        "or dangling link). Pass a file written by DocBin.to_disk, e.g. by `newscorpus export "
        "spacy`.\n",
    )
