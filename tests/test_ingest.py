"""`newscorpus init`, `add` and `renormalise`: storing articles verbatim, all or nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEEDS, run, tree
from newscorpus.cli import main
from newscorpus.ingest import slugify
from newscorpus.normalise import normalise

SEED = SEEDS / "000_e9c3dbcb3b5f8d71.txt"


def test_add_stores_the_raw_bytes_metadata_and_normalised_text(empty_project: Path) -> None:
    code, out, _ = run(empty_project, "add", str(SEED), "--id", "india-japan-5g-agreement")
    assert code == 0
    assert out == "added india-japan-5g-agreement  (000_e9c3dbcb3b5f8d71.txt)\n"
    entry = empty_project / "corpus" / "india-japan-5g-agreement"
    assert (entry / "raw.txt").read_bytes() == SEED.read_bytes()
    raw = SEED.read_text(encoding="utf-8")
    assert (entry / "text.txt").read_text(encoding="utf-8") == normalise(raw).text
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    assert meta == {
        "id": "india-japan-5g-agreement",
        "source_file": "000_e9c3dbcb3b5f8d71.txt",
        "title": "India and Japan finalize a historic agreement to strengthen collaboration "
        "on 5G tech",
        "category": "5G Technology",
        "url": None,
        "published": None,
        "language": "en",
        "license": "unknown",
        "raw_sha256": hashlib.sha256(SEED.read_bytes()).hexdigest(),
    }


def test_add_without_id_derives_a_slug_from_the_title(empty_project: Path) -> None:
    code, out, _ = run(empty_project, "add", str(SEED))
    assert code == 0
    assert (
        out
        == "added india-japan-finalize-historic-agreement-strengthen  (000_e9c3dbcb3b5f8d71.txt)\n"
    )


def test_slugify_folds_accents_and_drops_stop_words() -> None:
    assert slugify("Café in São Paulo: the 6G race") == "cafe-sao-paulo-6g-race"


def test_duplicate_article_is_refused_and_nothing_changes(empty_project: Path) -> None:
    run(empty_project, "add", str(SEED), "--id", "first")
    before = tree(empty_project)
    code, out, err = run(empty_project, "add", str(SEED), "--id", "second")
    assert (code, out) == (1, "")
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert err == (
        f"error: {SEED}: E207 this article is already in the corpus as first (same raw sha256 "
        f"{digest[:12]}...). Nothing to do; to re-import it, remove corpus/first/ first.\n"
    )
    assert tree(empty_project) == before


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", "a\\b", "Has Caps", "tab\tid", "x..y", "-x"])
def test_unsafe_ids_are_refused(empty_project: Path, bad_id: str) -> None:
    code, _, err = run(empty_project, "add", str(SEED), "--id", bad_id)
    assert code == 1
    assert err == (
        f"error: {SEED}: E206 document id {bad_id!r} is not a safe slug: use 1-100 characters "
        "from a-z, 0-9, '-', '_' and '.', starting with a letter or digit, with no '/', '\\', "
        "'..', spaces, capitals or control characters. Pass another id with --id (for example "
        "india-japan-5g).\n"
    )
    assert not any((empty_project / "corpus").iterdir())


def test_id_in_use_is_refused(empty_project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("Another story about 6G.\n", encoding="utf-8")
    run(empty_project, "add", str(SEED), "--id", "story")
    code, _, err = run(empty_project, "add", str(other), "--id", "story")
    assert code == 1
    assert err == (
        f"error: {other}: E208 document id 'story' is already in use. Pass another id with "
        '--id (or an "id" in the JSONL record).\n'
    )


def test_jsonl_and_folder_inputs(empty_project: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "batch.jsonl"
    records = [
        {"text": "Title one\n\nBody about 5 G .", "id": "one", "url": "https://example.com/1"},
        {"text": "Title two\n\nBody two.", "published": "2020-10-07"},
    ]
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "b.txt").write_text("Story B\n\nText b.", encoding="utf-8")
    (folder / "a.txt").write_text("Story A\n\nText a.", encoding="utf-8")
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    code, out, _ = run(empty_project, "add", str(jsonl), str(folder))
    assert code == 0
    assert out == (
        "added one  (batch.jsonl#L1)\n"
        "added title-two  (batch.jsonl#L2)\n"
        "added story  (a.txt)\n"
        "added story-b  (b.txt)\n"
    )
    corpus = empty_project / "corpus"
    assert (corpus / "one" / "text.txt").read_text(
        encoding="utf-8"
    ) == "Title one\n\nBody about 5G."
    meta = json.loads((corpus / "title-two" / "meta.json").read_text(encoding="utf-8"))
    assert (meta["published"], meta["url"], meta["title"]) == ("2020-10-07", None, "Title two")


def test_a_failing_batch_adds_nothing(empty_project: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Good story\n\nText.", encoding="utf-8")
    code, _, err = run(empty_project, "add", str(good), str(SEED), str(SEED))
    assert (code, err) == (
        1,
        f"error: {SEED}: E207 this article is also at {SEED}, earlier in this batch (same raw "
        "sha256 b49d0390044e...); nothing was added. Remove one of the two copies from the "
        "input.\n",
    )
    assert not any((empty_project / "corpus").iterdir())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{not json",
            "E209 is not valid JSON: Expecting property name enclosed in double "
            "quotes (column 2). Write one JSON object per line.",
        ),
        (
            '{"id": "x"}',
            'E209 must be a JSON object with a string "text". Write e.g. '
            '{"text": "...", "id": "my-article", "url": "https://..."}.',
        ),
        (
            '{"text": "t", "author": "me"}',
            "E209 has unknown keys ['author'] or non-string "
            "values for []; allowed keys: id, license, published, source_file, text, title, url. "
            "Remove or rename the keys; all values are strings.",
        ),
        (
            '{"text": ""}',
            "E205 is empty (or only whitespace). Pass a file that holds the article text.",
        ),
        (
            '{"text": "\\ud800 Nu\\nBody.", "title": "T"}',
            "E209 'text' holds a lone surrogate escape (such as \\ud800), a character UTF-8 "
            "cannot hold. Write the character the escape stood for, or remove it.",
        ),
        (
            '{"text": "Body", "title": "T\\u001b[2J\\nx"}',
            "E210 title holds U+001B (a control character); it must be one line of plain text. "
            "Remove it from the title (write a space for a line break).",
        ),
        (
            '{"text": "Body", "title": "A\\u2028B"}',
            "E210 title holds U+2028 (a line separator); it must be one line of plain text. "
            "Remove it from the title (write a space for a line break).",
        ),
        (
            '{"text": "Body", "license": "CC BY\\u0000"}',
            "E210 license holds U+0000 (a control character); it must be one line of plain "
            "text. Remove it from the license (write a space for a line break).",
        ),
        (
            '{"text": "Body", "source_file": "a\\nok: forged.txt"}',
            "E210 source_file holds U+000A (a control character); it must be one line of plain "
            "text. Remove it from the source_file (write a space for a line break), or rename "
            "the file.",
        ),
    ],
)
def test_bad_jsonl_records(empty_project: Path, tmp_path: Path, line: str, message: str) -> None:
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
    code, _, err = run(empty_project, "add", str(jsonl))
    assert (code, err) == (1, f"error: {jsonl}:2: {message}\n")
    assert not any((empty_project / "corpus").iterdir())


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--url",
            "example.com",
            "E210 url 'example.com' is not an http(s) URL. Pass the "
            "article's address, e.g. --url https://example.com/story.",
        ),
        (
            "--published",
            "7 Oct 2020",
            "E210 published date '7 Oct 2020' is not an ISO 8601 "
            "date. Pass e.g. --published 2020-10-07 (or 2020-10-07T09:30:00+05:30).",
        ),
    ],
)
def test_bad_metadata_values(empty_project: Path, option: str, value: str, message: str) -> None:
    code, _, err = run(empty_project, "add", str(SEED), option, value)
    assert (code, err) == (1, f"error: {SEED}: {message}\n")


def test_single_article_options_refused_for_several(empty_project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("Other\n\nText.", encoding="utf-8")
    code, _, err = run(empty_project, "add", str(SEED), str(other), "--id", "x")
    assert (code, err) == (
        1,
        "error: E210 --id, --url and --published apply to one article, but 2 were given. Add "
        "the articles one at a time, or put per-article values in a JSONL file.\n",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "E201 no such file. Check the path."),
        (b"", "E205 is empty (or only whitespace). Pass a file that holds the article text."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "E203 looks like binary data (it contains NUL bytes), "
            "not text. Pass the article as a UTF-8 text file.",
        ),
        (
            "Caf\u00e9 news".encode("cp1252"),
            "E204 is not valid UTF-8 (byte 0xe9 at offset 3); "
            "articles must be UTF-8. Convert it first, e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE "
            "> FILE.utf8` (use the file's real encoding).",
        ),
    ],
)
def test_unusable_files(
    empty_project: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "article.txt"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(empty_project, "add", str(path))
    assert (code, err) == (1, f"error: {path}: {message}\n")


def test_folder_without_articles(empty_project: Path, tmp_path: Path) -> None:
    code, _, err = run(empty_project, "add", str(tmp_path))
    assert (code, err) == (
        1,
        f"error: {tmp_path}: E202 is a directory with no .txt article files. Pass article "
        "files, a folder of .txt files, or a .jsonl file.\n",
    )


def test_init_scaffolds_a_project_that_commands_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "My Corpus"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0
    assert result.stdout == (
        f"created corpus project my-corpus in {target}\n"
        "next: newscorpus add ARTICLE.txt, then annotate and run newscorpus validate\n"
    )
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        ".gitattributes",
        ".gitignore",
        "DATASET_CARD.md",
        "annotations",
        "annotations/GUIDELINES.md",
        "annotations/patterns.jsonl",
        "annotations/schema.yaml",
        "corpus",
        "pyproject.toml",
    ]
    assert (target / ".gitignore").read_text("utf-8").splitlines()[1:] == ["dist/", ".newscorpus/"]
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2
    assert again.stderr == (
        f"error: E002 {target / 'pyproject.toml'} already exists; init never overwrites a "
        "project. Choose an empty folder, or add a [tool.newscorpus] table to that file by "
        "hand.\n"
    )
    monkeypatch.chdir(target / "corpus")
    result = CliRunner().invoke(main, ["add", str(SEED), "--id", "seed"])
    assert (result.exit_code, result.stdout) == (0, "added seed  (000_e9c3dbcb3b5f8d71.txt)\n")
    for command in (["preannotate", "seed"], ["schema", "--update-guidelines"], ["validate"]):
        assert CliRunner().invoke(main, command).exit_code == 0, command
    assert (target / "corpus" / "seed" / "raw.txt").read_bytes() == SEED.read_bytes()


def test_an_init_stopped_part_way_leaves_no_project_and_runs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyproject.toml, which makes the folder a project, is written last: an init stopped
    before it (Ctrl-C, SIGTERM) leaves a folder init finishes, not a project without a schema
    that init refuses to touch, and says what it left."""
    import newscorpus.scaffold

    target = tmp_path / "p"
    write = newscorpus.scaffold.write_text_atomic

    def interrupted(path: Path, text: str) -> None:
        if path.name == ".gitignore":
            raise KeyboardInterrupt
        write(path, text)

    monkeypatch.setattr(newscorpus.scaffold, "write_text_atomic", interrupted)
    result = CliRunner().invoke(main, ["init", str(target)])
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == (
        f"interrupted: {target} has part of the scaffold (corpus/, annotations/schema.yaml, "
        "annotations/GUIDELINES.md, annotations/patterns.jsonl, DATASET_CARD.md, "
        f".gitattributes) but no pyproject.toml, so it is no project yet; run `newscorpus init "
        f"{target}` again to finish it.\n"
    )
    assert not (target / "pyproject.toml").exists()
    monkeypatch.setattr(newscorpus.scaffold, "write_text_atomic", write)
    result = CliRunner().invoke(main, ["init", str(target)])
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        0,
        f"created corpus project p in {target}",
    )
    assert sorted(p.name for p in target.iterdir()) == [
        ".gitattributes",
        ".gitignore",
        "DATASET_CARD.md",
        "annotations",
        "corpus",
        "pyproject.toml",
    ]
    assert CliRunner().invoke(main, ["--root", str(target), "validate"]).exit_code == 0


def test_init_removes_what_a_killed_init_left(tmp_path: Path) -> None:
    """A temp file an init killed part way left (no process holds it, older than a minute)
    goes when init runs again; another file of that shape stays."""
    import os

    (tmp_path / "annotations").mkdir()
    left = [tmp_path / "annotations" / ".schema.yaml.x1y2.tmp", tmp_path / ".pyproject.toml.z3.tmp"]
    other = tmp_path / ".notes.txt.a1.tmp"
    for path in [*left, other]:
        path.write_text("", encoding="utf-8")
        os.utime(path, (1_600_000_000, 1_600_000_000))
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert [p.exists() for p in left] == [False, False]
    assert other.exists()


def test_init_keeps_the_maintainers_own_files(tmp_path: Path) -> None:
    """A guidelines text without the generated index's markers, or a card, already there are
    the maintainer's: init leaves them as they are."""
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "GUIDELINES.md").write_text("# Ours\n", encoding="utf-8")
    (tmp_path / "DATASET_CARD.md").write_text("# Our corpus\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "annotations" / "GUIDELINES.md").read_text("utf-8") == "# Ours\n"
    assert (tmp_path / "DATASET_CARD.md").read_text("utf-8") == "# Our corpus\n"


def test_init_where_it_cannot_write_is_a_coded_error(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(in_the_way / "sub")])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {in_the_way / 'sub'}: E004 cannot write {in_the_way / 'sub' / 'corpus'}: Not a "
        "directory. Choose a folder you can write to (not inside a file), or free some space.\n"
    )
    assert in_the_way.read_text("utf-8") == "x"


def test_an_interrupt_as_an_atomic_write_starts_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (raised as an interrupt) right as the temp file is made is held until the write
    has taken charge of it, then removes it with the rest."""
    import os
    import signal

    import newscorpus.io
    from newscorpus.signals import interrupting

    made = newscorpus.io.tempfile.mkstemp

    def signalled(*args: object, **kwargs: object) -> tuple[int, str]:
        found = made(*args, **kwargs)  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGTERM)
        return found  # type: ignore[no-any-return]

    monkeypatch.setattr(newscorpus.io.tempfile, "mkstemp", signalled)
    with interrupting(), pytest.raises(KeyboardInterrupt):
        newscorpus.io.write_text_atomic(tmp_path / "f.txt", "text")
    assert list(tmp_path.iterdir()) == []


def test_no_project_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(tmp_path), "add", str(SEED)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: E001 {tmp_path} is not a corpus project (no pyproject.toml with a "
        "[tool.newscorpus] table). Pass the folder that holds the project's pyproject.toml, "
        "or create one with `newscorpus init DIR`.\n"
    )


def test_renormalise_rewrites_only_changed_text(empty_project: Path) -> None:
    run(empty_project, "add", str(SEED), "--id", "seed")
    text_file = empty_project / "corpus" / "seed" / "text.txt"
    expected = text_file.read_bytes()
    raw_before = (empty_project / "corpus" / "seed" / "raw.txt").read_bytes()
    text_file.write_text("stale text", encoding="utf-8")
    code, out, _ = run(empty_project, "renormalise")
    assert (code, out) == (
        0,
        "seed: annotations not moved (no annotations)\n1 document(s) renormalised\n",
    )
    assert text_file.read_bytes() == expected
    assert (empty_project / "corpus" / "seed" / "raw.txt").read_bytes() == raw_before
    assert run(empty_project, "renormalise")[1] == "0 document(s) renormalised\n"


def test_corrupt_metadata_is_reported_not_a_traceback(seed_project: Path) -> None:
    meta = seed_project / "corpus" / "india-japan-5g-agreement" / "meta.json"
    meta.write_text("[1, 2]", encoding="utf-8")
    code, _, err = run(seed_project, "renormalise")
    assert (code, err) == (
        1,
        "error: corpus/india-japan-5g-agreement: E212 corpus entry india-japan-5g-agreement is "
        "incomplete or corrupt: meta.json is not a JSON object. Restore "
        "corpus/india-japan-5g-agreement from version control, or remove it and `newscorpus "
        "add` the article again.\n",
    )


def test_files_get_ordinary_permissions(tmp_path: Path) -> None:
    """Atomic writes go through private temp files; the results must not stay private."""
    import os

    old = os.umask(0o022)
    try:
        target = tmp_path / "proj"
        CliRunner().invoke(main, ["init", str(target)])
        run(target, "add", str(SEED), "--id", "seed")
        modes = {
            p.relative_to(target).as_posix(): oct(p.stat().st_mode & 0o777)
            for p in sorted(target.rglob("*"))
        }
    finally:
        os.umask(old)
    assert modes["pyproject.toml"] == "0o644"
    assert modes["annotations/schema.yaml"] == "0o644"
    assert modes["corpus/seed"] == "0o755"
    assert modes["corpus/seed/raw.txt"] == "0o644"
    schema = target / "annotations" / "schema.yaml"
    schema.chmod(0o600)
    from newscorpus.io import write_text_atomic

    write_text_atomic(schema, schema.read_text("utf-8"))
    assert oct(schema.stat().st_mode & 0o777) == "0o600"  # a rewrite keeps the mode


def test_an_article_of_only_site_boilerplate_is_refused(
    empty_project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "login.txt"
    page.write_text("Lost your password?\nDon't have an account? Sign Up\n", encoding="utf-8")
    code, _, err = run(empty_project, "add", str(page))
    assert (code, err) == (
        1,
        f"error: {page}: E205 holds no article text once site boilerplate is removed (2 edit(s); "
        "see `newscorpus normalise --explain`). Check the scrape, and pass the article's text.\n",
    )
    assert not any((empty_project / "corpus").iterdir())


def test_a_jsonl_text_may_hold_line_separators(empty_project: Path, tmp_path: Path) -> None:
    """JSON strings may hold U+2028 and U+0085 as they are; only a newline ends a record."""
    jsonl = tmp_path / "batch.jsonl"
    text = "Tokyo talks\n\nIndia and Japan\u2028met\x85today."
    jsonl.write_text(json.dumps({"text": text, "id": "talks"}, ensure_ascii=False) + "\n", "utf-8")
    assert run(empty_project, "add", str(jsonl))[0] == 0
    assert (empty_project / "corpus" / "talks" / "raw.txt").read_text("utf-8") == text
