"""QA: the normaliser on scraped articles it was not written against, end to end.

``tests/data/qa/*.txt`` are ten articles in the seed's style (site prompts, a category line, a
headline) with the artefacts a scraper leaves: spaced generation names, spaces before
punctuation and after brackets, tabs, no-break and thin spaces, CRLF and lone CR, a BOM,
decomposed accents, zero width spaces, runs of blank lines, share and comment footers. Next to
each, ``*.normalised`` holds its normalised text as reviewed by eye. Beyond the exact text, the
tests check look-alikes that must survive, the offset map on every word both ways, idempotence,
determinism in a fresh process, the refused inputs, and the articles through ``add``,
``validate``, ``build`` and ``load_dataset``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT, make_project
from newscorpus.cli import main
from newscorpus.errors import SpanRemovedError
from newscorpus.normalise import Normalised, normalise

QA = Path(__file__).parent / "data" / "qa"
ARTICLES = sorted(p.stem for p in QA.glob("*.txt"))


def raw_of(name: str) -> str:
    # Bytes, not read_text: universal newlines would hide the CRLF and lone CR artefacts.
    return (QA / f"{name}.txt").read_bytes().decode("utf-8")


def normalised(name: str) -> Normalised:
    return normalise(raw_of(name))


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_articles_are_there_with_their_artefacts() -> None:
    assert len(ARTICLES) == 10
    raw = "".join(raw_of(name) for name in ARTICLES)
    for artefact in (
        "\r\n",
        "\ufeff",
        "\t",
        "\u00a0",
        "\u2009",
        "\u202f",
        "\u200b",
        "e\u0301",
        "\n\n\n",
        " \n",
        "5 G",
        "3 G",
        "6 G",
        "4 G LTE",
        "5 G-enabled",
        "5 G's",
        "( 5 G )",
        " ,",
        " ;",
        " :",
        " ?",
        " !",
        " )",
        "( ",
        "Lost your password ?",
    ):
        assert artefact in raw, artefact


# --- the exact output, reviewed by eye --------------------------------------------------------


@pytest.mark.parametrize("name", ARTICLES)
def test_normalised_text_is_the_reviewed_one(name: str) -> None:
    expected = (QA / f"{name}.normalised").read_bytes().decode("utf-8")
    assert normalised(name).text == expected


HEADS = {
    "5g-health-faq": ("Is 5G dangerous? Your questions answered", "Explainer"),
    "chip-export-controls": (
        "U.S. tightens chip export rules, citing \u201c5G\u201d and AI uses",
        "Trade",
    ),
    "eu-5g-toolbox": (
        "EU ministers back a tougher 5G security toolbox as 6G research begins",
        "5G Technology",
    ),
    "fcc-spectrum-auction": ("FCC raises $4.5 billion in mid-band spectrum auction", "Policy"),
    "nigeria-5g-rollout": (
        "MTN switches on 5G in Lagos as Nigeria\u2019s rollout begins",
        "Africa",
    ),
    "open-ran-white-house": (
        "White House backs Open RAN as an alternative to Huawei\u2019s 5G gear",
        "Policy",
    ),
    "oulu-6g-flagship": ("Finland\u2019s 6G Flagship opens a test network in Oulu", "6G Research"),
    "starlink-direct-to-cell": (
        "SpaceX\u2019s Starlink sends first texts straight to phones from orbit",
        "Space",
    ),
    "trai-spectrum-pricing": (
        "TRAI cuts 5G spectrum reserve price by 39% \u2014 will operators bite?",
        "Telecom",
    ),
    "uk-huawei-removal": (
        "UK sets 2027 deadline to strip Huawei kit from 5G networks",
        "5G Technology",
    ),
}


@pytest.mark.parametrize("name", ARTICLES)
def test_headline_and_category(name: str) -> None:
    n = normalised(name)
    assert (n.title, n.category) == HEADS[name]


# Text that looks like an artefact but is the publisher's: it must reach the normalised text
# exactly as it is in the raw article.
LOOK_ALIKES = {
    "5g-health-faq": ["1 GHz", "40 GHz", "a 5 g sensor", "About 5 g,", "i.e. too", "\u2013 full"],
    "chip-export-controls": [
        "U.S. Commerce",
        "28 nm",
        "Figure 5 Gallery:",
        "https://www.bis.doc.gov/index.php/documents/about-bis?page=2:rules",
    ],
    "eu-5g-toolbox": ["3.5 GHz", "5 GHz band", "Wi-Fi.", "Share this:", "Related posts"],
    "fcc-spectrum-auction": [
        "U.S. Federal",
        "3.45 GHz",
        "$4.5 billion",
        "No. 5 carrier",
        "1,232",
        "3.7 GHz C-band",
        "5 GB of data",
        "10 Gbps",
        "closer to .5 Gbps",
        "at 10 : 30 a.m. ET",
        "\u2014 The",
    ],
    "nigeria-5g-rollout": ["$273.6", "10 % of", "1% of", "slow \u2026 because", "5G-capable"],
    "open-ran-white-house": ["$1.5 billion", "CHIPS and Science Act"],
    "oulu-6g-flagship": ["6G Flagship programme", "cautious...", "Latva-aho"],
    "starlink-direct-to-cell": [
        "5 GHz or 3.5 GHz",
        "4 Mbps",
        "10 Gbps",
        "\u2026 :-)\u201d",
        "9 g in a turn",
        "1.25 t",
        "#5G #Starlink",
        "X (formerly Twitter)",
    ],
    "trai-spectrum-pricing": [
        "3300\u20133670 MHz",
        "\u20b9317 crore",
        "S.P. Kochhar",
        "https://trai.gov.in/notifications/press-release?id=5g&year=2022",
        "10:30 IST",
    ],
    "uk-huawei-removal": [
        "U.K. government",
        "U.S. sanctions",
        "Parliament:\n- no new",
        " :)\n",
        " :(\n",
        " ;)\n",
        "Comments (3)",
    ],
}


@pytest.mark.parametrize("name", ARTICLES)
def test_look_alikes_stay_unchanged(name: str) -> None:
    raw, text = raw_of(name), normalised(name).text
    for look_alike in LOOK_ALIKES[name]:
        assert look_alike in raw, look_alike
        assert look_alike in text, look_alike


def test_prompts_with_spaced_punctuation_go_in_one_run() -> None:
    # The prompts only matched without the space before "?"; space_before_punct then fixed
    # them, so a second run removed the header: normalise was not idempotent.
    raw = "Lost your password ?\nDon't have an account ? Sign Up\nExplainer\n\nHeadline\n\nBody."
    n = normalise(raw)
    assert (n.text, n.category) == ("Headline\n\nBody.", "Explainer")
    assert normalise(n.text).edits == ()


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Bidding resumes at 10 : 30 a.m.", "Bidding resumes at 10 : 30 a.m."),
        ("a ratio of 3 : 1 and a 2 : 0 win", "a ratio of 3 : 1 and a 2 : 0 win"),
        ("John 3 : 16", "John 3 : 16"),
        ("Time : 10:30", "Time: 10:30"),
        ("won 3 : the rest", "won 3: the rest"),
    ],
)
def test_a_colon_spaced_between_digits_is_kept(raw: str, text: str) -> None:
    # Deleting the space before the colon made "10: 30", which no editor would write.
    assert normalise(raw).text == text


# --- the offset map on every word -------------------------------------------------------------


def _squash(text: str) -> str:
    """What no rule changes: the text without white space and invisible characters, NFC."""
    return unicodedata.normalize("NFC", re.sub(r"[\s\ufeff\u200b\u2060]", "", text))


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("word", [r"\w+", r"\S+"], ids=["word", "non-space-run"])
def test_every_normalised_word_maps_to_its_raw_text_and_back(name: str, word: str) -> None:
    n = normalised(name)
    for m in re.finditer(word, n.text):
        start, end = n.to_raw(m.start(), m.end())
        raw = n.raw[start:end]
        assert n.to_normalised(start, end) == m.span(), m.group()
        assert _squash(raw) == _squash(m.group()), (m.group(), raw)
        assert raw == raw.strip(), (m.group(), raw)  # no neighbouring space is pulled in


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("word", [r"\w+", r"\S+"], ids=["word", "non-space-run"])
def test_every_surviving_raw_word_maps_onto_the_same_word(name: str, word: str) -> None:
    n = normalised(name)
    deleted = {i for e in n.edits if e.after == "" for i in range(e.raw_start, e.raw_end)}
    for m in re.finditer(word, n.raw):
        try:
            start, end = n.to_normalised(m.start(), m.end())
        except SpanRemovedError:
            assert deleted.issuperset(range(*m.span())), m.group()
            continue
        # A \w+ word stops before a combining accent, which NFC folds into its last letter.
        stop = m.end()
        while stop < len(n.raw) and unicodedata.combining(n.raw[stop]):
            stop += 1
        assert _squash(n.text[start:end]) == _squash(n.raw[m.start() : stop]), m.group()


@pytest.mark.parametrize("name", ARTICLES)
def test_idempotent(name: str) -> None:
    text = normalised(name).text
    again = normalise(text)
    assert (again.text, again.edits) == (text, ())


def _fingerprint(names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        n = normalised(name)
        edits = [e.to_dict() for e in n.edits]
        record = [n.text, n.title, n.category, edits, n.alignment.to_list()]
        digest.update(json.dumps(record, ensure_ascii=False).encode())
    return digest.hexdigest()


def test_deterministic_across_processes() -> None:
    script = (
        "import sys; sys.path[:0] = sys.argv[1:3]; import test_qa_normalise as t; "
        "print(t._fingerprint(t.ARTICLES))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    tests = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", script, tests, str(REPO_ROOT / "src")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert out.strip() == _fingerprint(ARTICLES)


# --- the CLI: text, explanation, refused inputs -----------------------------------------------


@pytest.mark.parametrize("name", ARTICLES)
def test_cli_prints_the_text_and_one_explanation_line_per_edit(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # outside any project: the default rules
    n = normalised(name)
    path = str(QA / f"{name}.txt")
    assert run("normalise", path) == (0, n.text, "")
    code, out, err = run("normalise", "--explain", path)
    assert (code, err) == (0, "")
    assert out == n.explain() + "\n"
    assert len(out.splitlines()) == len(n.edits)
    assert all(e.before != e.after for e in n.edits)


def test_explain_shows_a_decomposed_accent_apart_from_the_composed_one() -> None:
    lines = [
        line for line in normalised("oulu-6g-flagship").explain().splitlines() if "nfc" in line
    ]
    assert lines == [
        "unicode_nfc               [130, 132)  'e\\u0301' -> '\u00e9'",
        "unicode_nfc               [544, 546)  'e\\u0301' -> '\u00e9'",
    ]


def test_explain_of_an_article_with_every_kind_of_space() -> None:
    assert normalised("nigeria-5g-rollout").explain().splitlines() == [
        "line_endings        [541, 542)  '\\r' -> '\\n'",
        "site_category       [51, 58)  'Africa\\n' -> ''",
        "site_boilerplate    [0, 20)  'Lost your password?\\n' -> ''",
        "site_boilerplate    [20, 51)  \"Don't have an account? Sign Up\\n\" -> ''",
        "generation_names    [76, 77)  ' ' -> ''",
        "generation_names    [197, 198)  ' ' -> ''",
        "space_before_punct  [208, 209)  ' ' -> ''",
        "space_before_punct  [234, 235)  ' ' -> ''",
        "space_before_punct  [242, 243)  '\\xa0' -> ''",
        "space_before_punct  [409, 410)  ' ' -> ''",
        "space_before_punct  [486, 487)  ' ' -> ''",
        "space_before_punct  [594, 595)  ' ' -> ''",
        "space_before_punct  [619, 620)  ' ' -> ''",
        "line_edge_spaces    [623, 626)  '   ' -> ''",
        "line_edge_spaces    [627, 628)  '\\t' -> ''",
        "unicode_spaces      [295, 296)  '\\u2009' -> ' '",
        "unicode_spaces      [313, 314)  '\\xa0' -> ' '",
        "unicode_spaces      [334, 335)  '\\xa0' -> ' '",
        "unicode_spaces      [437, 438)  '\\u202f' -> ' '",
        "blank_lines         [58, 59)  '\\n' -> ''",
        "blank_lines         [622, 627)  '\\n\\n' -> ''",
        "blank_lines         [738, 739)  '\\n' -> ''",
    ]


def _make(path: Path, content: bytes | str | None) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "dir":
        path.mkdir()
    elif content == "dangling":
        path.symlink_to("nowhere.txt")
    elif content == "loop":
        path.symlink_to(path.name)


_USE_UTF8 = "Pass the article as a UTF-8 text file."
_EMPTY = "E205 is empty (or only whitespace). Pass a file that holds the article text."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "E201 no such file. Check the path."),
        ("dangling", "E201 no such file. Check the path."),
        ("loop", "E201 no such file. Check the path."),
        (
            "dir",
            "E202 is a directory, not a file. Pass the article files inside it (`add` also "
            "accepts a folder).",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            f"E203 looks like binary data (it contains NUL bytes), not text. {_USE_UTF8}",
        ),
        (
            b"Red \x1b[31malert\x1b[0m on 5 G",
            f"E203 contains the control character U+001B, so it is not plain text. {_USE_UTF8}",
        ),
        (
            "5 G in M\u00fcnchen".encode("cp1252"),
            "E204 is not valid UTF-8 (byte 0xfc at offset 8); articles must be UTF-8. Convert "
            "it first, e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8` (use the file's "
            "real encoding).",
        ),
        (
            "5 G news\n".encode("utf-16"),
            "E204 is encoded as UTF-16 (it starts with a UTF-16 byte order mark); articles must "
            "be UTF-8. Convert it first, e.g. `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`.",
        ),
        (
            "5 G news\n".encode("utf-32"),
            "E204 is encoded as UTF-32 (it starts with a UTF-32 byte order mark); articles must "
            "be UTF-8. Convert it first, e.g. `iconv -f UTF-32 -t UTF-8 FILE > FILE.utf8`.",
        ),
        (b"", _EMPTY),
        (b" \r\n\t\n", _EMPTY),
        # Only characters the normaliser deletes: the stored text would have been empty.
        (b"\xef\xbb\xbf", _EMPTY),
        ("\ufeff\u200b\n\u2060\u00a0\n".encode(), _EMPTY),
    ],
    ids=[
        "missing",
        "dangling-link",
        "link-loop",
        "directory",
        "binary",
        "terminal-escapes",
        "cp1252",
        "utf-16",
        "utf-32",
        "empty",
        "whitespace",
        "bom-only",
        "invisible-only",
    ],
)
def test_refused_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | str | None, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _make(tmp_path / "in.txt", content)
    assert run("normalise", "in.txt") == (1, "", f"error: in.txt: {message}\n")
    assert run("normalise", "--explain", "in.txt") == (1, "", f"error: in.txt: {message}\n")


def test_refused_inputs_are_not_added(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf\n")
    code, out, err = run("--root", str(project), "add", str(tmp_path / "bom.txt"))
    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'bom.txt'}: {_EMPTY}\n"
    assert list((project / "corpus").iterdir()) == []


# --- the articles in a corpus project ---------------------------------------------------------

ADDED = {
    "5g-health-faq": "5g-dangerous-your-questions-answered",
    "chip-export-controls": "u-s-tightens-chip-export-rules",
    "eu-5g-toolbox": "eu-ministers-back-tougher-5g-security",
    "fcc-spectrum-auction": "fcc-raises-4-5-billion-mid",
    "nigeria-5g-rollout": "mtn-switches-5g-lagos-nigerias-rollout",
    "open-ran-white-house": "white-house-backs-open-ran-alternative",
    "oulu-6g-flagship": "finlands-6g-flagship-opens-test-network",
    "starlink-direct-to-cell": "spacexs-starlink-sends-first-texts-straight",
    "trai-spectrum-pricing": "trai-cuts-5g-spectrum-reserve-price",
    "uk-huawei-removal": "uk-sets-2027-deadline-strip-huawei",
}


def test_add_validate_build_and_load(tmp_path: Path) -> None:
    from datasets import load_dataset

    project = make_project(tmp_path / "proj")
    shutil.copy(REPO_ROOT / "annotations" / "patterns.jsonl", project / "annotations")
    root = ["--root", str(project)]
    code, out, err = run(*root, "add", str(QA))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"added {ADDED[n]}  ({n}.txt)" for n in ARTICLES]
    for name, doc_id in ADDED.items():
        folder = project / "corpus" / doc_id
        assert (folder / "raw.txt").read_bytes() == (QA / f"{name}.txt").read_bytes()
        assert (folder / "text.txt").read_bytes() == (QA / f"{name}.normalised").read_bytes()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        assert (meta["title"], meta["category"]) == HEADS[name]
    code, out, err = run(*root, "preannotate", "--all")
    assert (code, err) == (0, "")
    assert run(*root, "validate", "--strict") == (
        0,
        "ok: 10 annotation files, 10 articles, no problems\n",
        "",
    )
    code, out, err = run(*root, "build", "--out", str(tmp_path / "dist"))
    assert (code, err) == (0, "")
    assert out.startswith("built ")
    assert out.endswith(
        " 10 documents (train 6, validation 0, test 4), 84 sentences, 67 relation pairs\n"
    )
    documents = load_dataset(str(tmp_path / "dist"), "documents")
    rows = {row["id"]: row for split in documents.values() for row in split}
    assert sorted(rows) == sorted(ADDED.values())
    for name, doc_id in ADDED.items():
        row = rows[doc_id]
        assert row["raw_text"] == raw_of(name)
        assert row["text"] == (QA / f"{name}.normalised").read_bytes().decode("utf-8")
        assert (row["title"], row["category"]) == HEADS[name]
        for entity in row["entities"]:
            assert row["text"][entity["start"] : entity["end"]] == entity["text"]
    texts = {doc_id: row["text"] for doc_id, row in rows.items()}
    for config in ("sentences", "relations"):
        dataset = load_dataset(str(tmp_path / "dist"), config)
        assert (
            sum(split.num_rows for split in dataset.values())
            == {"sentences": 84, "relations": 67}[config]
        )
        for split in dataset.values():
            for row in split:
                text = texts[row["doc_id"]]
                if config == "sentences":
                    assert text[row["start"] : row["end"]] == row["text"]
                    spans = zip(row["tokens"], row["token_starts"], row["token_ends"], strict=True)
                    assert all(text[s:e] == token for token, s, e in spans)
                else:
                    context = text[row["context_doc_start"] : row["context_doc_end"]]
                    assert context == row["context"]
