"""QA: an article edited after it was annotated, and the fixes the messages point to.

Each test edits ``raw.txt`` or ``text.txt`` of the seed article (or its annotation file) in a
copy of the repository's project, checks that ``validate`` names the problem (E214, E215,
E143), follows the fix the message gives (``renormalise --accept-raw-edits``, ``renormalise``,
``reanchor``), and checks that the project validates again with the annotations where they
belong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import git, tree
from newscorpus.cli import main

DOC = "india-japan-5g-agreement"
ANN = f"annotations/{DOC}.json"
RAW = f"corpus/{DOC}/raw.txt"
TEXT = f"corpus/{DOC}/text.txt"
META = f"corpus/{DOC}/meta.json"
OK = "ok: 1 annotation file, 1 article, no problems\n"
#: What renormalise and reanchor report after "Strategic Dialog" became "Dialogue".
DIALOGUE_REPORT = (
    f"{DOC}: annotations 80 unchanged, 41 moved, 3 changed, 0 lost\n"
    '  T52 changed EVENT "13th India-Japan Foreign Ministers\u2019 Strategic Dialog" '
    "[2758, 2810) -> [2758, 2812) "
    '"13th India-Japan Foreign Ministers\u2019 Strategic Dialogue"\n'
    "  R22 changed participates_in T55 -> T52\n"
    "  R23 changed participates_in T56 -> T52\n"
)


def run(root: Path, *args: str) -> tuple[int, str, str]:
    before = tree(root)
    result = CliRunner().invoke(main, ["--root", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code != 0 or args[0] == "validate":
        assert tree(root) == before, args
    return result.exit_code, result.stdout, result.stderr


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_bytes().decode("utf-8")
    assert text.count(old) == 1, old
    path.write_bytes(text.replace(old, new).encode("utf-8"))


def annotations(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / ANN).read_text(encoding="utf-8"))
    return data


def entity(root: Path, entity_id: str) -> dict[str, Any]:
    return next(e for e in annotations(root)["entities"] if e["id"] == entity_id)


def assert_anchored(root: Path) -> None:
    """Every entity's text is the text under its offsets."""
    text = (root / TEXT).read_text(encoding="utf-8")
    for e in annotations(root)["entities"]:
        assert text[e["start"] : e["end"]] == e["text"], e


# --- a correction of the raw article ----------------------------------------------------------


E215_TYPO = (
    f"{RAW}: E215 raw.txt hashes to 0c68a1229c37... but meta.json records raw_sha256 "
    f"b49d0390044e...: the raw article was modified. Restore it (`git checkout -- {RAW}`) and "
    "fix text problems with normaliser rules; for a deliberate correction, record it with "
    "`newscorpus renormalise --accept-raw-edits`."
)
E214_TYPO = (
    f"{TEXT}: E214 text.txt differs from the normaliser's output for raw.txt from character "
    '2810: it has ", Jaishankar and Motegi addres" where the normaliser gives "ue, Jaishankar '
    'and Motegi addr" (stale corpus). Regenerate it with `newscorpus renormalise` (it moves the '
    "annotations along); never edit text.txt by hand."
)


def test_a_corrected_typo_is_reported_then_accepted(seed_project: Path) -> None:
    edit(seed_project, RAW, "Strategic Dialog,", "Strategic Dialogue,")
    assert run(seed_project, "validate") == (
        1,
        f"{E215_TYPO}\n{E214_TYPO}\n2 errors, 0 warnings in 2 files\n",
        "",
    )
    code, out, err = run(seed_project, "build")
    assert (code, out) == (1, "")
    assert err == (
        "error: E301 the project has 2 validation errors, so nothing was built. Run `newscorpus "
        f"validate` for the full report and fix them; the first are:\n  {E215_TYPO}\n"
        f"  {E214_TYPO}\n"
    )
    assert run(seed_project, "renormalise") == (
        1,
        "",
        f"error: {RAW}: E215 raw.txt no longer matches the sha256 recorded when it was added "
        "(b49d0390044e..., now 0c68a1229c37...). Restore it from version control; if the edit "
        "is a deliberate correction, run `newscorpus renormalise --accept-raw-edits`.\n",
    )
    assert run(seed_project, "renormalise", "--accept-raw-edits") == (
        0,
        DIALOGUE_REPORT + "1 document(s) renormalised\n",
        "",
    )
    assert run(seed_project, "validate") == (0, OK, "")
    assert entity(seed_project, "T52")["text"] == (
        "13th India-Japan Foreign Ministers\u2019 Strategic Dialogue"
    )
    assert entity(seed_project, "T55") == {
        "id": "T55",
        "start": 2814,
        "end": 2824,
        "label": "PERSON",
        "text": "Jaishankar",
        "source": "gold",
    }
    assert_anchored(seed_project)


def test_a_corrected_headline_reaches_the_metadata(seed_project: Path) -> None:
    edit(
        seed_project,
        RAW,
        "India and Japan finalize a historic agreement to strengthen collaboration on 5 G tech",
        "India and Japan sign a historic 5 G pact",
    )
    edit(seed_project, RAW, "5G Technology\n", "Tech Policy\n")
    code, out, err = run(seed_project, "renormalise", "--accept-raw-edits")
    assert (code, err) == (0, "")
    assert out == (
        f"{DOC}: annotations 3 unchanged, 121 moved, 0 changed, 0 lost\n"
        "1 document(s) renormalised\n"
    )
    meta = json.loads((seed_project / META).read_text(encoding="utf-8"))
    assert (meta["title"], meta["category"]) == (
        "India and Japan sign a historic 5G pact",
        "Tech Policy",
    )
    assert meta["raw_sha256"] == hashlib.sha256((seed_project / RAW).read_bytes()).hexdigest()
    assert run(seed_project, "validate") == (0, OK, "")
    assert_anchored(seed_project)


def test_a_title_given_at_add_survives_a_correction(seed_project: Path) -> None:
    meta_path = seed_project / META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "title": "Given by the publisher"}), encoding="utf-8")
    edit(seed_project, RAW, "on 5 G tech\n", "on 5 G technology\n")
    assert run(seed_project, "renormalise", "--accept-raw-edits")[0] == 0
    assert json.loads(meta_path.read_text(encoding="utf-8"))["title"] == "Given by the publisher"


# --- a hand edit of the normalised text -------------------------------------------------------


def test_a_hand_edited_text_is_regenerated_and_the_annotations_fit_again(
    seed_project: Path,
) -> None:
    before = tree(seed_project)
    edit(seed_project, TEXT, "Toshimitsu Motegi", "Toshimitsu Motegi-san")
    code, out, err = run(seed_project, "validate")
    lines = out.splitlines()
    assert (code, err) == (1, "")
    assert lines[0] == (
        f"{ANN}:1:1: E143 text_sha256 is 5563a3821b03... but the article's text hashes to "
        "204f78ab3531...: the annotations were made on another version of the text (stale "
        "annotations; their offsets were not checked against this text). "
        f"Move them onto the current text with `newscorpus reanchor {DOC}`, or "
        "re-annotate the article; do not just copy the new hash."
    )
    assert lines[-2:] == [
        f"{TEXT}: E214 text.txt differs from the normaliser's output for raw.txt from character "
        '1112: it has "-san, it was also announced th" where the normaliser gives ", it was also '
        'announced that J" (stale corpus). Regenerate it with `newscorpus renormalise` (it moves '
        "the annotations along); never edit text.txt by hand.",
        "2 errors, 0 warnings in 2 files",
    ]
    assert len(lines) == 3  # the two causes, not dozens of follow-on offset errors
    # E214's fix restores the text the annotations were made on; nothing needs moving (this
    # used to say the annotations were stale and send the user to `reanchor --old-text`).
    assert run(seed_project, "renormalise") == (
        0,
        f"{DOC}: annotations not moved (already anchored to the new text)\n"
        "1 document(s) renormalised\n",
        "",
    )
    assert run(seed_project, "validate") == (0, OK, "")
    assert tree(seed_project) == before


# --- removed text -----------------------------------------------------------------------------

PARAGRAPH = (
    "At last year\u2019s East Asia Summit in Bangkok, Modi suggested the creation of an "
    "Indo-Pacific Ocean project to preserve and sustainably use the maritime domain and to make "
    "concrete efforts to create a clean and stable maritime domain.\n\n"
)
LOST = [
    'T63 lost EVENT "East Asia Summit" [3307, 3323)',
    'T64 lost LOC "East Asia" [3307, 3316)',
    'T65 lost GPE "Bangkok" [3327, 3334)',
    'T66 lost PERSON "Modi" [3336, 3340)',
    'T67 lost INITIATIVE "Indo-Pacific Ocean project" [3370, 3396)',
    'T68 lost LOC "Indo-Pacific" [3370, 3382)',
    "R24 lost participates_in T66 -> T63",
    "R25 lost located_in T63 -> T65",
    "R26 lost proposed T66 -> T67",
]


def test_a_removed_paragraph_takes_its_relations_along_only_when_asked(
    seed_project: Path,
) -> None:
    edit(seed_project, RAW, PARAGRAPH, "")
    assert run(seed_project, "renormalise", "--accept-raw-edits") == (
        1,
        "",
        f"error: {ANN}: E217 9 annotation(s) would be lost because their text was removed: "
        f"{'; '.join(LOST)}. No file was changed. Check the change; to drop them, run the "
        "command again with --drop-lost.\n",
    )
    code, out, err = run(seed_project, "renormalise", "--accept-raw-edits", "--drop-lost")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{DOC}: annotations 91 unchanged, 24 moved, 0 changed, 9 lost",
        *(f"  {line}" for line in LOST),
        "1 document(s) renormalised",
    ]
    assert run(seed_project, "validate") == (0, OK, "")
    data = annotations(seed_project)
    ids = {e["id"] for e in data["entities"]}
    assert ids.isdisjoint({"T63", "T64", "T65", "T66", "T67", "T68"})
    assert all({r["head"], r["tail"]} <= ids for r in data["relations"])
    assert len(data["relations"]) == 32
    assert_anchored(seed_project)


# --- stale annotations ------------------------------------------------------------------------


def test_stale_annotations_follow_the_fix_validate_names(seed_project: Path) -> None:
    # An annotator's branch still holds the annotations of the text before a correction.
    git(seed_project, "init", "-q")
    git(seed_project, "add", "-A")
    git(seed_project, "commit", "-qm", "seed")
    old_annotations = (seed_project / ANN).read_bytes()
    edit(seed_project, RAW, "Strategic Dialog,", "Strategic Dialogue,")
    assert run(seed_project, "renormalise", "--accept-raw-edits")[0] == 0
    moved = (seed_project / ANN).read_bytes()
    git(seed_project, "commit", "-qam", "correct a typo")
    (seed_project / ANN).write_bytes(old_annotations)
    code, out, err = run(seed_project, "validate")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == (
        f"{ANN}:1:1: E143 text_sha256 is 5563a3821b03... but the article's text hashes to "
        "65ce4d3c03c2...: the annotations were made on another version of the text (stale "
        "annotations; their offsets were not checked against this text). "
        f"Move them onto the current text with `newscorpus reanchor {DOC}`, or "
        "re-annotate the article; do not just copy the new hash."
    )
    assert run(seed_project, "reanchor", DOC, "--dry-run")[0] == 0
    assert (seed_project / ANN).read_bytes() == old_annotations
    assert run(seed_project, "reanchor", DOC)[1] == DIALOGUE_REPORT
    assert run(seed_project, "validate") == (0, OK, "")
    assert (seed_project / ANN).read_bytes() == moved


def test_stale_annotations_outside_git_need_the_old_text(seed_project: Path) -> None:
    old_text = seed_project.parent / "old.txt"
    old_text.write_bytes((seed_project / TEXT).read_bytes())
    old_annotations = (seed_project / ANN).read_bytes()
    edit(seed_project, RAW, "Strategic Dialog,", "Strategic Dialogue,")
    assert run(seed_project, "renormalise", "--accept-raw-edits")[0] == 0
    moved = (seed_project / ANN).read_bytes()
    (seed_project / ANN).write_bytes(old_annotations)
    assert run(seed_project, "reanchor", DOC) == (
        1,
        "",
        f"error: {ANN}: E218 cannot find the text these annotations were made on (sha256 "
        f"5563a3821b03...) in the git history of {TEXT}. Pass that earlier text with "
        "--old-text FILE.\n",
    )
    assert run(seed_project, "reanchor", DOC, "--old-text", str(seed_project / RAW)) == (
        1,
        "",
        f"error: {ANN}: E218 the given old text is not the text these annotations were made on "
        "(its sha256 is not 5563a3821b03...). Pass the exact earlier text.txt with --old-text.\n",
    )
    assert run(seed_project, "reanchor", DOC, "--old-text", str(old_text))[0] == 0
    assert run(seed_project, "validate") == (0, OK, "")
    assert (seed_project / ANN).read_bytes() == moved


def test_reanchor_an_article_without_annotations(seed_project: Path) -> None:
    (seed_project / ANN).unlink()  # this was a FileNotFoundError traceback
    assert run(seed_project, "reanchor", DOC) == (
        0,
        f"{DOC}: annotations not moved (no annotations)\n",
        "",
    )


@pytest.mark.parametrize("command", [["reanchor", DOC], ["renormalise", "--accept-raw-edits"]])
def test_an_unreadable_annotation_file_stops_the_revision(
    seed_project: Path, command: list[str]
) -> None:
    # Both read the file with json.loads and crashed with a traceback.
    path = seed_project / ANN
    path.write_bytes(path.read_bytes()[:500])
    edit(seed_project, RAW, "Strategic Dialog,", "Strategic Dialogue,")
    assert run(seed_project, *command) == (
        1,
        "",
        f"error: {ANN}:26:1: E103 is not valid JSON: Expecting property name enclosed in double "
        "quotes. Fix the JSON syntax at that line and column. Then run the command again "
        "(`newscorpus validate` lists every problem); no file was changed.\n",
    )


def test_a_folder_in_place_of_the_annotation_file_stops_the_revision(seed_project: Path) -> None:
    (seed_project / ANN).unlink()
    (seed_project / ANN).mkdir()
    assert run(seed_project, "reanchor", DOC) == (
        1,
        "",
        f"error: {ANN}: E101 is a directory, not an annotation file. Replace it with the "
        "annotation JSON file, or remove it. Then run the command again (`newscorpus validate` "
        "lists every problem); no file was changed.\n",
    )
