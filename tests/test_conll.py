"""CoNLL-2003 export and import: the sentences view's tokens and tags, round trips, coded errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from build_helpers import IRREGULAR, formats_project, make_irregular
from conftest import run, tree
from newscorpus.annotations import annotation_path, read_annotations
from newscorpus.corpus import doc_ids, load_article
from newscorpus.errors import InputError
from newscorpus.formats.conll import align, parse
from newscorpus.model import Document
from newscorpus.nlp import make_nlp, segment
from newscorpus.project import load_project
from newscorpus.schema import Schema
from newscorpus.views import merge_sentences, sentence_rows

DOC = "india-japan-5g-agreement"


@pytest.fixture
def exported(seed_project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "conll"
    assert run(seed_project, "export", "conll", str(out)) == (
        0,
        "not representable in conll: 11 nested entities\n"
        "not representable in conll: 35 relations\n"
        "warning: validation.conll is empty: no document is in the validation split\n"
        "warning: test.conll is empty: no document is in the test split\n"
        f"exported 1 document(s) to {out} (conll)\n",
        "",
    )
    return out


def test_seed_round_trip_keeps_what_conll_cannot_hold(seed_project: Path, exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == [
        "test.conll",
        "train.conll",
        "validation.conll",
    ]
    assert (exported / "test.conll").read_bytes() == b""
    lines = (exported / "train.conll").read_text("utf-8").split("\n")
    assert lines[:5] == [
        "-DOCSTART- -X- -X- O",
        "",
        "India _ _ B-GPE",
        "and _ _ O",
        "Japan _ _ B-GPE",
    ]
    before = tree(seed_project)
    code, out, err = run(seed_project, "import", "conll", str(exported / "train.conll"))
    assert (code, out, err) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "warning: kept 11 nested entities and 35 relations of the current annotations, which "
        "CoNLL cannot hold\n"
        "imported 1 document(s) (conll): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_tokens_and_tags_are_the_sentences_view(tmp_path: Path) -> None:
    """The export's lines are the rows the build makes (whole-document pipeline, then the
    views), although the export tokenises line by line."""
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "conll"
    assert run(project.root, "export", "conll", str(out)) == (
        0,
        "not representable in conll: 3 nested entities\n"
        "not representable in conll: 7 relations\n"
        f"exported 4 document(s) to {out} (conll)\n",
        "",
    )
    nlp = make_nlp()
    expected: dict[str, str] = {"train": "", "validation": "", "test": ""}
    splits = {"agreement": "train", "emoji": "validation", "huawei-ban": "validation"}
    for doc_id in doc_ids(project):
        text = load_article(project, doc_id).text
        path = annotation_path(project, doc_id)
        stored = read_annotations(path) if path.exists() else None
        doc = Document(doc_id, text, stored.entities if stored else ())
        sentences, _ = merge_sentences(segment(nlp(text)), doc.entities)
        lines = ["-DOCSTART- -X- -X- O", ""]
        for row in sentence_rows(doc, sentences):
            lines += [
                f"{t} _ _ {tag}" for t, tag in zip(row["tokens"], row["ner_tags"], strict=True)
            ]
            lines.append("")
        expected[splits.get(doc_id, "test")] += "\n".join(lines) + "\n"
    for split, content in expected.items():
        assert (out / f"{split}.conll").read_text("utf-8") == content
    assert "Tokyo _ _ B-EVENT\n🚀 _ _ I-EVENT\nSummit _ _ I-EVENT\n" in expected["validation"]
    before = tree(project.root)
    for split in expected:
        code, _, err = run(project.root, "import", "conll", str(out / f"{split}.conll"))
        assert (code, err) == (0, "")
    assert tree(project.root) == before


def test_edited_tags_replace_gold_only_with_replace(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "conll"
    run(project.root, "export", "conll", str(out))
    conll = out / "validation.conll"
    content = conll.read_text("utf-8")
    # Huawei's second mention loses its tag (R1 goes with it); "the U.S." becomes a GPE.
    content = content.replace("blocked _ _ O\nHuawei _ _ B-ORG", "blocked _ _ O\nHuawei _ _ O")
    content = content.replace("U.S. _ _ O", "U.S. _ _ B-GPE")
    conll.write_text(content, "utf-8")
    before = tree(project.root)
    code, _, err = run(project.root, "import", "conll", str(conll))
    assert (code, err) == (
        1,
        f"error: {conll}: E155 the import would change or remove curated annotations in 1 "
        "document(s); nothing was written:\n"
        "  huawei-ban:\n"
        "    - T2 ORG 'Huawei' [29, 35)\n"
        "    - R1 restricts T1 -> T2\n"
        " Check them; to let the import replace them, run it again with --replace (or import into "
        "an annotator's set with --annotator NAME).\n",
    )
    assert tree(project.root) == before
    code, out_text, err = run(project.root, "import", "conll", str(conll), "--replace")
    assert (code, out_text, err) == (
        0,
        "emoji: entities +0 ~0 -0, relations +0 -0\n"
        "huawei-ban: entities +1 ~0 -1, relations +0 -1\n"
        "warning: kept 1 nested entities and 2 relations of the current annotations, which "
        "CoNLL cannot hold\n"
        "imported 2 document(s) (conll): 1 annotation file(s) written\n",
        "",
    )
    data = json.loads(annotation_path(project, "huawei-ban").read_text("utf-8"))
    assert [(e["id"], e["text"], e["label"], e["source"]) for e in data["entities"]] == [
        ("T1", "US", "GPE", "gold"),
        ("T3", "Washington", "GPE", "gold"),
        ("T4", "Huawei", "ORG", "gold"),
        ("T5", "U.S.", "GPE", "gold"),
    ]
    assert data["relations"] == [
        {"id": "R2", "head": "T3", "tail": "T4", "label": "restricts", "source": "gold"}
    ]


def test_doc_option_pairs_a_file_with_a_document(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    conll = tmp_path / "one.conll"
    conll.write_text("Huawei O\nCurbs O\n\nThe O\nUS B-GPE\nblocked O\nHuawei B-ORG\n", "utf-8")
    code, _, err = run(project.root, "import", "conll", str(conll), "--doc", "huawei-ban")
    assert (code, err) == (
        1,
        f"error: {conll}:7: E157 the file's tokens end at offset 35 of huawei-ban, but its text "
        "goes on: '.\\n\\nWashington limits Huawei in'. Keep every token of `newscorpus export "
        "conll`; a CoNLL import covers the whole document.\n",
    )
    conll.write_text(
        "Weather O\nToday O\n\nRain O\nis O\nexpected O\nacross O\nthe O\n"
        "region O\non O\nFriday O\n. O\n",
        "utf-8",
    )
    code, out, err = run(project.root, "import", "conll", str(conll), "--doc", "forecast")
    assert (code, out, err) == (
        0,
        "skipped: 1 document(s) without entities or an annotation file (none made)\n"
        "imported 0 document(s) (conll): 0 annotation file(s) written\n",
        "",
    )
    assert not annotation_path(project, "forecast").exists()


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            "-DOCSTART- -X- -X- O\n\nIndia\n",
            (),
            "{path}:3: E156 line 'India' has one column; a CoNLL line is 'TOKEN ... TAG'. Give "
            "every token its tag in the last column (O, B-LABEL or I-LABEL).",
        ),
        (
            "India _ _ X-GPE\n",
            (),
            "{path}:1: E156 tag 'X-GPE' is not O, B-LABEL or I-LABEL (IOB2). Use IOB2 tags: B- "
            "starts an entity, I- continues it, O is outside.",
        ),
        (
            "India _ _ B-GPE\nand _ _ O\nJapan _ _ I-GPE\n",
            (),
            "{path}:3: E156 tag 'I-GPE' continues an entity outside an entity; in IOB2 an entity "
            "starts with B-. Write B-GPE on the entity's first token.",
        ),
        (
            "India _ _ B-GPE\n\nJapan _ _ I-GPE\n",
            (),
            "{path}:3: E156 tag 'I-GPE' continues an entity outside an entity; in IOB2 an entity "
            "starts with B-. Write B-GPE on the entity's first token.",
        ),
        (
            "India _ _ B-GPE\nJapan _ _ I-ORG\n",
            (),
            "{path}:2: E156 tag 'I-ORG' continues an entity after GPE; in IOB2 an entity starts "
            "with B-. Write B-ORG on the entity's first token.",
        ),
        (
            "-DOCSTART- -X- -X- O\n\nIndia _ _ B-COUNTRY\n",
            (),
            "{path}:3: E153 entity label 'COUNTRY' is not in the schema; allowed: PERSON, ORG, "
            "GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the schema's labels (the "
            "exported label config lists them), or declare this one in schema.yaml.",
        ),
        (
            "India _ _ B-GPE\nand _ _ O\nJapan _ _ B-GPE\nfinalise _ _ O\n",
            ("--doc", DOC),
            "{path}:4: E157 token 'finalise' does not align to the text of " + DOC + ": at "
            "offset 16 it reads 'finalize a'. Keep the tokens of `newscorpus export conll` "
            "(change only the tags), or name the right document with --doc.",
        ),
        (
            "-DOCSTART- -X- -X- O\n\nIndia _ _ B-GPE\n",
            (),
            "{path}:1: E169 no corpus document has the text of this block's tokens, so it cannot "
            "be matched to one document. Name the document with --doc DOC_ID.",
        ),
        (
            "-DOCSTART- -X- -X- O\n\nIndia _ _ B-GPE\n\n-DOCSTART- -X- -X- O\n\nJapan _ _ B-GPE\n",
            ("--doc", DOC),
            "{path}: E169 holds 2 document(s) (-DOCSTART- blocks) but 1 were named with --doc. "
            "Give one --doc DOC_ID per document, in the file's order, or none to match them by "
            "their tokens.",
        ),
    ],
)
def test_malformed_files_are_refused_with_coded_errors(
    seed_project: Path, tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "bad.conll"
    path.write_text(content, "utf-8")
    before = tree(seed_project)
    code, out, err = run(seed_project, "import", "conll", str(path), *args)
    assert (code, out, err) == (1, "", "error: " + message.format(path=path) + "\n")
    assert tree(seed_project) == before


def test_the_same_document_twice_is_refused(seed_project: Path, exported: Path) -> None:
    train = exported / "train.conll"
    twice = exported / "twice.conll"
    twice.write_text(train.read_text("utf-8") * 2, "utf-8")
    lines = train.read_text("utf-8").count("\n")
    code, _, err = run(seed_project, "import", "conll", str(twice))
    assert (code, err) == (
        1,
        f"error: {twice}: E169 holds document {DOC} twice (from lines 1 and {lines + 1}). Keep "
        "one copy of each document in the file.\n",
    )


def test_parse_reads_tabs_and_two_columns() -> None:
    schema = Schema.load(SCHEMA)
    blocks = list(parse("Kenji\tB-PERSON\nWatanabe\tI-PERSON\nspoke\tO\n", "f", schema))
    assert (blocks[0].tokens, blocks[0].lines) == (["Kenji", "Watanabe", "spoke"], [1, 2, 3])
    assert blocks[0].entities == [(0, 1, "PERSON")]


SCHEMA = Path(__file__).parent.parent / "annotations" / "schema.yaml"


def blocks_of(content: str) -> list[tuple[int, list[str], list[int], list[tuple[int, int, str]]]]:
    return [
        (b.line, b.tokens, b.lines, b.entities) for b in parse(content, "f", Schema.load(SCHEMA))
    ]


def test_parse_finds_blocks_as_lines_define_them() -> None:
    # Tokens before the first -DOCSTART- are a block of their own; blank lines are not.
    assert blocks_of("India B-GPE\n\n -DOCSTART- -X- O\r\nJapan\u2028B-GPE\r\n") == [
        (1, ["India"], [1], [(0, 0, "GPE")]),
        (3, ["Japan"], [4], [(0, 0, "GPE")]),
    ]
    assert blocks_of("\n \t\n-DOCSTART-\n\n-DOCSTART- x\nA O\n") == [
        (3, [], [], []),
        (5, ["A"], [6], []),
    ]
    # Only a first column of exactly -DOCSTART- starts a document, and not in a token line as
    # the export writes one (the article's own word -DOCSTART-).
    assert blocks_of("-DOCSTART-X O\nx -DOCSTART- O\n")[0][1] == ["-DOCSTART-X", "x"]
    assert blocks_of("-DOCSTART- -X- -X- O\n\nThe O\n-DOCSTART- _ _ O\nsaid O\n") == [
        (1, ["The", "-DOCSTART-", "said"], [3, 4, 5], [])
    ]
    assert blocks_of("") == blocks_of("\n\n") == []
    assert blocks_of("New B-GPE\nDelhi I-GPE\nand O\nTokyo B-GPE\nBay B-LOC\n")[0][3] == [
        (0, 1, "GPE"),
        (3, 3, "GPE"),
        (4, 4, "LOC"),
    ]


@pytest.mark.parametrize(
    ("content", "first"),
    [
        # The first error in the file's order, whatever its kind.
        ("A O\nB X-GPE\nC\n", "f:2: E156 tag 'X-GPE' is not O"),
        ("A O\nB\nC X-GPE\n", "f:2: E156 line 'B' has one column"),
        ("A B-GPE\nB I-ORG\nC X-GPE\n", "f:2: E156 tag 'I-ORG' continues an entity after GPE"),
        # In a later block, with the file's line numbers.
        ("-DOCSTART-\nA O\n\n-DOCSTART-\n\nA O\n\nB I-GPE\n", "f:8: E156 tag 'I-GPE' "),
        (
            "-DOCSTART-\nA B-GPE\n-DOCSTART-\nB I-GPE\n",
            "f:4: E156 tag 'I-GPE' continues an entity outside",
        ),
    ],
)
def test_parse_reports_the_first_error_of_the_file(content: str, first: str) -> None:
    with pytest.raises(InputError) as raised:
        blocks_of(content)
    assert raised.value.render().startswith(first)


def test_alignment_skips_every_kind_of_whitespace(tmp_path: Path) -> None:
    text = load_article(formats_project(tmp_path / "proj"), "huawei-ban").text
    # Whitespace that str.split knows, between and around tokens.
    odd = text.replace(" ", "\u3000", 1).replace(" ", "\xa0\x1c", 1).replace(" ", "\u2028 ", 1)
    (block,) = parse("".join(f"{t} O\n" for t in odd.split()), "f", Schema.load(SCHEMA))
    span = align(odd, block, "f", "huawei-ban")
    for index, token in enumerate(block.tokens):
        start, end = span(index, index)
        assert odd[start:end] == token
    assert odd[slice(*span(0, len(block.tokens) - 1))] == odd.strip()
    # Adjacent tokens that split a word are fine; a token across whitespace is not.
    (split,) = parse("US O\nbl O\nocked O\n", "f", Schema.load(SCHEMA))
    assert align("US blocked", split, "f", "d")(1, 2) == (3, 10)
    (joined,) = parse("USblocked O\n", "f", Schema.load(SCHEMA))
    with pytest.raises(InputError) as raised:
        align("US blocked", joined, "f", "d")
    assert raised.value.render() == (
        "f:1: E157 token 'USblocked' does not align to the text of d: at offset 0 it reads "
        "'US blocked'. Keep the tokens of `newscorpus export conll` (change only the tags), or "
        "name the right document with --doc."
    )


def test_annotator_import_goes_to_the_annotator_set(seed_project: Path, exported: Path) -> None:
    project = load_project(seed_project)
    code, out, err = run(
        seed_project, "import", "conll", str(exported / "train.conll"), "--annotator", "ann1"
    )
    assert (code, err) == (0, "")
    assert out.endswith("imported 1 document(s) (conll): 1 annotation file(s) written\n")
    mine = read_annotations(annotation_path(project, DOC, "ann1"))
    gold = read_annotations(annotation_path(project, DOC))
    assert len(mine.entities) == 78 and mine.relations == ()
    assert {(e.start, e.end, e.label) for e in mine.entities} <= {
        (e.start, e.end, e.label) for e in gold.entities
    }


def test_a_file_that_is_not_utf8_is_refused(seed_project: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin1.conll"
    path.write_bytes("Kenji B-PERSON\nM\xfcller I-PERSON\n".encode("latin-1"))
    before = tree(seed_project)
    assert run(seed_project, "import", "conll", str(path)) == (
        1,
        "",
        f"error: {path}: E204 is not valid UTF-8 (byte 0xfc at offset 16). Convert it to UTF-8 "
        "first, e.g. with iconv.\n",
    )
    assert tree(seed_project) == before


@pytest.mark.parametrize("fmt", ["conll", "spacy"])
def test_an_entity_off_token_boundaries_stops_the_export(tmp_path: Path, fmt: str) -> None:
    project = formats_project(tmp_path / "proj")
    path = annotation_path(project, "emoji")
    data = json.loads(path.read_text("utf-8"))
    data["entities"][3] = {"id": "T4", "start": 53, "end": 54, "label": "TECHNOLOGY", "text": "5"}
    path.write_text(json.dumps(data), "utf-8")
    out = tmp_path / fmt
    assert run(project.root, "export", fmt, str(out)) == (
        1,
        "",
        "error: annotations/emoji.json: E302 [T4] entity [53, 54) '5' (TECHNOLOGY) does not start "
        "and end on token boundaries (it overlaps the tokens ['5G']), so the token views would "
        "lose it. Move the span edges to word boundaries (`newscorpus validate` shows span "
        "edges), or extend the tokenizer fix in newscorpus.nlp if the tokenizer splits wrongly.\n",
    )
    assert not out.exists()


@pytest.mark.parametrize(("fmt", "kept"), [("conll", "train.conll"), ("spacy", "config.cfg")])
def test_export_refuses_a_folder_holding_other_work(
    seed_project: Path, tmp_path: Path, fmt: str, kept: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / kept).write_text("a previous export's file: refreshed", encoding="utf-8")
    (out / "notes.txt").write_text("someone's work", encoding="utf-8")
    code, stdout, err = run(seed_project, "export", fmt, str(out))
    assert (code, stdout) == (1, "")
    assert err.startswith(
        f"error: {out}: E159 holds files that a {fmt} export does not write (notes.txt), "
    )
    assert sorted(p.name for p in out.iterdir()) == sorted([kept, "notes.txt"])


def test_documents_named_both_ways_are_refused(tmp_path: Path) -> None:
    # A CoNLL file pairs its blocks with the names in order, and the order between arguments
    # and options is lost: mixing them paired blocks with the wrong documents.
    project = formats_project(tmp_path / "proj")
    conll = tmp_path / "x.conll"
    conll.write_text("Kenji B-PERSON\n", encoding="utf-8")
    code, out, err = run(project.root, "import", "conll", str(conll), "emoji", "--doc", "seed")
    assert (code, out) == (2, "")
    assert err.endswith("Error: name the documents as DOC_ID arguments or with --doc, not both\n")


def test_a_folder_is_imported_as_one_change(tmp_path: Path) -> None:
    """The export's folder round trips in one import; an error in any of its files stops the
    whole import, so the other files' changes are not written either."""
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "conll"
    run(project.root, "export", "conll", str(out))
    before = tree(project.root)
    assert run(project.root, "import", "conll", str(out)) == (
        0,
        "agreement: entities +0 ~0 -0, relations +0 -0\n"
        "emoji: entities +0 ~0 -0, relations +0 -0\n"
        "huawei-ban: entities +0 ~0 -0, relations +0 -0\n"
        "warning: kept 3 nested entities and 7 relations of the current annotations, which "
        "CoNLL cannot hold\n"
        "skipped: 1 document(s) without entities or an annotation file (none made)\n"
        "imported 3 document(s) (conll): 0 annotation file(s) written\n",
        "",
    )
    validation = out / "validation.conll"
    validation.write_text(
        validation.read_text("utf-8").replace("U.S. _ _ O", "U.S. _ _ B-GPE"), "utf-8"
    )
    test = out / "test.conll"
    test.write_text(test.read_text("utf-8") + "\nstray _ _ I-GPE\n", "utf-8")
    lines = test.read_text("utf-8").count("\n")
    code, _, err = run(project.root, "import", "conll", str(out), "--replace")
    assert (code, err) == (
        1,
        f"error: {test}:{lines}: E156 tag 'I-GPE' continues an entity outside an entity; in "
        "IOB2 an entity starts with B-. Write B-GPE on the entity's first token.\n",
    )
    assert tree(project.root) == before
    test.write_text(test.read_text("utf-8").replace("\nstray _ _ I-GPE\n", ""), "utf-8")
    code, text, err = run(project.root, "import", "conll", str(out), "--replace")
    assert (code, err) == (0, "")
    assert "huawei-ban: entities +1 ~0 -0, relations +0 -0\n" in text
    assert text.endswith("imported 3 document(s) (conll): 1 annotation file(s) written\n")


def test_a_folder_holding_one_document_twice_names_both_places(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "conll"
    run(project.root, "export", "conll", str(out))
    shutil.copy(out / "validation.conll", out / "z-copy.conll")
    code, _, err = run(project.root, "import", "conll", str(out))
    assert (code, err) == (
        1,
        f"error: {out}: E169 holds document emoji twice (in {out / 'validation.conll'}:1 and "
        f"{out / 'z-copy.conll'}:1). Keep one copy of each document: a folder's files are "
        "imported together.\n",
    )


def test_doc_names_pair_with_a_folders_blocks_in_file_name_order(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    folder = tmp_path / "named"
    folder.mkdir()
    # Tokens that match no document by their letters: only --doc can pair them.
    (folder / "b.conll").write_text("Weather B-EVENT\n", "utf-8")
    (folder / "a.conll").write_text("Huawei B-ORG\n", "utf-8")
    code, _, err = run(project.root, "import", "conll", str(folder), "--doc", "huawei-ban")
    assert (code, err) == (
        1,
        f"error: {folder}: E169 holds 2 document(s) (-DOCSTART- blocks) but 1 were named with "
        "--doc. Give one --doc DOC_ID per document, in the files' name order, or none to match "
        "them by their tokens.\n",
    )
    code, _, err = run(
        project.root, "import", "conll", str(folder), "--doc", "huawei-ban", "--doc", "forecast"
    )
    assert (code, err) == (
        1,
        f"error: {folder / 'a.conll'}:1: E157 the file's tokens end at offset 6 of huawei-ban, "
        "but its text goes on: 'Curbs\\n\\nThe US blocked Huawei.\\n'. Keep every token of "
        "`newscorpus export conll`; a CoNLL import covers the whole document.\n",
    )


@pytest.mark.parametrize("kind", IRREGULAR)
def test_a_folder_entry_that_is_not_a_file_is_named_not_skipped(tmp_path: Path, kind: str) -> None:
    project = formats_project(tmp_path / "proj")
    out = tmp_path / "conll"
    run(project.root, "export", "conll", str(out))
    odd = out / "extra.conll"
    make_irregular(odd, kind)
    assert run(project.root, "import", "conll", str(out)) == (
        1,
        "",
        f"error: {odd}: E219 is not a regular file (a folder, pipe, device or dangling link); "
        "a CoNLL import reads the folder's .conll files. Remove it from the folder, or import "
        "the files one by one.\n",
    )


def test_a_file_that_cannot_be_read_is_a_coded_error(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "mem.conll").symlink_to("/proc/self/mem")  # reading it fails with EIO
    assert run(project.root, "import", "conll", str(folder)) == (
        1,
        "",
        f"error: {folder / 'mem.conll'}: E201 cannot read the file: Input/output error. Check "
        "that it exists and that you may read it.\n",
    )


def test_a_document_named_twice_with_doc_is_refused(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    conll = tmp_path / "two.conll"
    conll.write_text("Huawei O\n\n-DOCSTART- -X- -X- O\n\nWeather O\n", "utf-8")
    code, _, err = run(
        project.root, "import", "conll", str(conll), "--doc", "forecast", "--doc", "forecast"
    )
    assert (code, err) == (
        1,
        "error: E169 --doc names forecast twice; each block is one document. Give each "
        "document's id once, in the order of the blocks.\n",
    )


@pytest.mark.parametrize("kind", ["empty folder", "fifo"])
def test_a_path_without_conll_files_is_refused(tmp_path: Path, kind: str) -> None:
    project = formats_project(tmp_path / "proj")
    path = tmp_path / "in"
    if kind == "fifo":
        os.mkfifo(path)
        message = (
            "E219 is not a regular file (a folder, pipe, device or dangling link). Pass the "
            "file the tool exported."
        )
    else:
        path.mkdir()
        (path / "notes.txt").write_text("not conll", "utf-8")
        message = (
            "E202 holds no .conll files. Pass a .conll file or the folder `newscorpus export "
            "conll` wrote."
        )
    assert run(project.root, "import", "conll", str(path)) == (1, "", f"error: {path}: {message}\n")


def test_an_article_holding_the_word_docstart_round_trips(tmp_path: Path) -> None:
    from build_helpers import Ent, add_document

    project = formats_project(tmp_path / "proj")
    raw = "Reuters wrote -DOCSTART- in Tokyo.\n"
    add_document(project, "docstart", raw, (Ent("T1", "Reuters", "ORG"),))
    out = tmp_path / "conll"
    assert run(project.root, "export", "conll", str(out))[0] == 0
    assert "\n-DOCSTART- _ _ O\n" in "".join(p.read_text("utf-8") for p in out.iterdir())
    before = tree(project.root)
    code, out_text, err = run(project.root, "import", "conll", str(out))
    assert (code, err) == (0, "")
    assert "docstart: entities +0 ~0 -0, relations +0 -0\n" in out_text
    assert tree(project.root) == before
