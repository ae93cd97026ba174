"""Errors and validation issues: stable codes, where the problem is, and how to fix it.

Codes are grouped by stage so a reader can tell at a glance which part of the project complains:
``E1xx`` annotations, ``E2xx`` corpus and input files, ``E3xx`` build, ``E4xx`` publish, ``W``
for warnings. Every code used anywhere is listed in :data:`CODES` with a one-line summary; the
docs and a test are derived from that table.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: Every issue and error code the project emits, with a one-line summary.
CODES: dict[str, str] = {
    # --- E0xx: usage and project discovery -------------------------------------------------------
    "E001": "no corpus project found (no pyproject.toml with a [tool.newscorpus] table)",
    "E002": "the project configuration is invalid",
    "E003": "the schema file is missing or invalid",
    "E004": "init cannot write the new project's folder (no permission, a file in the way, full)",
    "E010": "another newscorpus command holds the project lock",
    "E011": "an interrupted change cannot be completed (its journal or staged files are damaged)",
    "E012": "the project's private folder .newscorpus cannot be used (blocked, read-only, full)",
    "E013": "a change would write where a file or folder of the project is in the way",
    "E014": "a project folder or file cannot be looked into (no permission, an I/O error)",
    # E050-E059: the corpus browser (view)
    "E050": "--diff names neither a build folder nor a git revision of the project",
    "E051": "the view output folder exists and is not a site written by `newscorpus view`",
    "E052": "view --serve cannot bind its port on 127.0.0.1",
    # --- E1xx / W1xx: annotations (validate.py) --------------------------------------------------
    "E101": "annotation file is not UTF-8 text (another encoding, or unreadable)",
    "E102": "annotation file is binary (holds NUL bytes)",
    "E103": "annotation file is not valid JSON (syntax error, empty, BOM, NaN)",
    "E104": "a JSON object repeats a key (readers keep only the last value)",
    "E105": "a required key is missing",
    "E106": "a value has the wrong type, or is empty where a name is needed",
    "E107": "unknown source (allowed: gold, rule, model)",
    "E108": "doc_id does not match the file name",
    "E109": "entity label not in the schema",
    "E110": "relation label not in the schema",
    "E111": "span offsets are negative, reversed or empty",
    "E112": "span ends past the end of the text",
    "E113": "entity text differs from the text under its offsets",
    "E114": "whitespace or punctuation at a span edge",
    "E115": "two entities share an id",
    "E116": "two relations share an id",
    "E117": "two entities annotate the same span",
    "E118": "spans cross (or, with overlap: none, overlap at all)",
    "E119": "relation argument is not an entity id of the file",
    # E140-E149: validate.py, continued
    "E140": "relation links an entity to itself",
    "E141": "relation argument type outside the relation's signature",
    "E142": "duplicate relation (also the mirror of a symmetric one)",
    "E143": "text_sha256 does not match the article's text (stale annotations)",
    "E144": "annotation file without an article in the corpus",
    "E145": "a path given to validate is not an annotation file or a folder of them",
    "W101": "span cuts a word",
    "W102": "article without an annotation file",
    # E120-E129: pre-annotation (annotate.py)
    "E120": "ruler patterns file is missing or invalid",
    "E121": "the requested spaCy pipeline is not installed",
    "E122": "existing annotations are invalid, so pre-annotation will not merge into them",
    "E123": "merged pre-annotation proposals fail validation",
    "E124": "GUIDELINES.md has no generated label index",
    "E125": "an article is too long for the pretrained model's NER (spaCy's max_length)",
    # E130-E139: brat import (formats/brat.py)
    "E130": "a brat line that this corpus cannot represent (event, attribute, discontinuous span)",
    "E131": "the brat folder's text differs from the corpus text",
    # E150-E169: interchange formats (formats/)
    "E150": "export refused: the annotations or their metadata do not validate",
    "E151": "an imported span's offsets do not give back its text under any known convention",
    "E152": "an imported item matches no corpus document",
    "E153": "an imported label is not in the schema",
    "E154": "imported annotations fail validation",
    "E155": "an import would change or remove curated gold annotations without --replace",
    "E156": "a CoNLL line is malformed or its tags break IOB2",
    "E157": "CoNLL tokens do not align to the document's text",
    "E158": "a .spacy file is not a DocBin, or lacks what the import needs or was asked for",
    "E159": "an export's output folder holds files that format does not write",
    "E160": "an imported JSON or JSONL file has a syntax error or cannot be read",
    "E161": "an imported item has the wrong type or shape (or a span several labels)",
    "E162": "an imported task or line has no text",
    "E163": "an import holds the same document twice",
    "E164": "a task has several annotations and no single one marked ground truth",
    "E165": "an imported relation points at a region that is not in its annotation",
    "E166": "re-anchoring an imported document onto text.txt would lose annotations",
    "E167": "an imported relation has no label or several labels",
    "E168": "an imported relation's direction does not fit its label (bi for a directed one)",
    "E169": "a CoNLL file's documents cannot be paired with corpus documents",
    # E170-E189, W170-W189: annotation quality (annotators.py, review.py, agree, adjudicate, check)
    "E170": "no annotator set of that name",
    "E171": "annotator name is not a safe slug (or is the reserved name gold)",
    "E172": "an annotator set holds a document that is not in the corpus",
    "E173": "an annotation file that agree, adjudicate, check or import reads does not validate",
    "E174": "review file: adjudication or conflicts entry malformed",
    "E175": "review file: a conflict's resolution is not null, manual or one of its sides",
    "E176": "an entry of annotations/annotators/ is not an annotator's folder",
    "E177": "gold changed since adjudicate wrote it; refusing to overwrite without --replace",
    "E178": "annotations/checks.yaml (accepted exceptions) is invalid",
    "E179": "too few annotator sets to compare or adjudicate",
    "E180": "adjudicated gold fails validation (a resolution conflicts with other gold items)",
    "E181": "a document named is not in every named annotator's set",
    "E182": "review resolutions contradict each other (one brings back an entity another left out)",
    "W170": "likely missed mention: annotated text occurs elsewhere unannotated",
    "W171": "the same text is annotated with different labels",
    "W172": "boundary variation: a name annotated with and without a neighbouring word",
    "W173": "the same pair of texts is linked by different relation labels",
    "W174": "an accepted exception in annotations/checks.yaml matches no warning (stale)",
    # E190-E199: interchange formats, continued
    "E190": "an export's files cannot be written (no space, no permission, not a folder)",
    "E191": "an annotation file changed between an import's reading and its writing",
    # --- E2xx / W2xx: corpus and input files -----------------------------------------------------
    "E201": "input file not found",
    "E202": "input path is a directory where a file was expected, or holds no articles",
    "E203": "input is binary, not text",
    "E204": "input is not valid UTF-8",
    "E205": "input is empty",
    "E206": "document id is not a safe slug",
    "E207": "article already in the corpus (same raw sha256)",
    "E208": "document id already in use",
    "E209": "invalid JSONL record",
    "E210": "invalid metadata value",
    "E211": "span lies entirely in text the normaliser removed",
    "E212": "corpus entry is incomplete or corrupt",
    "E213": "no article with that document id",
    "E214": "text.txt differs from the normaliser's output for raw.txt (stale corpus)",
    "E215": "raw.txt does not match the raw_sha256 in meta.json (raw article modified)",
    "E216": "meta.json id does not match the article's folder name",
    "E217": "annotations would be lost by a text change",
    "E218": "the text the annotations were made on cannot be found",
    "E219": "input is not a regular file (a pipe, socket or device)",
    "E220": "input article is larger than max_article_bytes",
    "E221": "a symlink in an input folder points outside it",
    "E222": "two stored articles have the same raw sha256 (the same article twice)",
    "E223": "a document under review cannot have its text changed until the review is done",
    # --- E3xx / W3xx: build (package.py) ---------------------------------------------------------
    "E301": "the project has validation errors, so the build refuses to run",
    "E302": "an entity does not start and end on token boundaries",
    "E303": "a relation names an entity id the document does not have",
    "E304": "invalid [tool.newscorpus.build] setting",
    "E305": "a split override names an unknown split",
    "E306": "the output folder exists and is not a newscorpus build",
    "E307": "the stored normalised text differs from the normaliser's output",
    "E308": "cannot load the dataset: not a built dataset folder, or a bad argument",
    "E309": "the corpus has no documents to build",
    "E311": "the build's output folder cannot be created",
    "E312": "a folder that is not a build sits where the build swaps its output",
    "E310": "a folder given to diff is not a newscorpus build",
    "W301": "a split override names a document that is not in the corpus",
    # E315-E319, W302-W309: dataset metadata and library versions
    "E315": "invalid dataset metadata in [tool.newscorpus] (url, creator, date_published)",
    "W302": "croissant.json lacks url, creator or datePublished (not set in [tool.newscorpus])",
    "W303": "the build ran with other library versions than the tested pins (bytes may differ)",
    # E320-E329: build engines
    "E320": "a bad engine option: a negative job count, or a scheduler without the dask engine",
    "E321": "the dask engine is asked for but the dask extra is not installed",
    "E322": "the Dask scheduler cannot be reached",
    # --- E4xx: publish (publish.py) --------------------------------------------------------------
    "E401": "no usable build to publish (manifest.json missing or unreadable)",
    "E402": "the build's files do not match its manifest",
    "E403": "the build is of another version than the project",
    "E404": "the --repo-id is not a Hub dataset id (OWNER/NAME)",
    "E405": "no Hugging Face token (HF_TOKEN unset and no `hf auth login`)",
    "E406": "the Hub rejected the token (HTTP 401/403)",
    "E407": "the Hub cannot be reached (connection failed, offline mode, HF_ENDPOINT not a URL)",
    "E408": "the version tag exists with other files; a published version never changes",
    "E409": "the branch moved during publishing (HTTP 412) or the repo is busy (HTTP 409)",
    "E410": "the Hub failed during publishing (server error or failed upload)",
    "E411": "the Hub rejected the dataset card's YAML",
}


class NewscorpusError(Exception):
    """Base of every error the library raises on purpose.

    The CLI turns these into a one-paragraph message and a non-zero exit code, never a traceback.
    ``str(err)`` is ``"<where>: <code> <message> <fix>"``.
    """

    exit_code = 1

    def __init__(self, code: str, message: str, *, fix: str = "", where: str = "") -> None:
        self.code = code
        self.message = message
        self.fix = fix
        self.where = where
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (a worker process hands errors back): Exception's own pickling would
        # call __init__ with the rendered text alone, which subclasses do not accept.
        return (_restore, (type(self), self.args, self.__dict__))

    def render(self) -> str:
        """The message as printed: location, code, what is wrong, then the fix."""
        text = f"{self.code} {self.message}"
        if self.fix:
            text = f"{text} {self.fix}"
        return f"{self.where}: {text}" if self.where else text


def _restore(
    cls: type[NewscorpusError], args: tuple[Any, ...], state: dict[str, Any]
) -> NewscorpusError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class UsageError(NewscorpusError):
    """The command was called wrongly or no project was found: exit code 2."""

    exit_code = 2


class InputError(NewscorpusError):
    """An input file or value cannot be used (missing, binary, not UTF-8, bad id, duplicate)."""


class SpanRemovedError(NewscorpusError):
    """A span falls entirely in text that the normaliser removed, so it has no image."""

    def __init__(self, start: int, end: int, side: str) -> None:
        self.start = start
        self.end = end
        super().__init__(
            "E211",
            f"span [{start}, {end}) of the {side} text lies entirely in text removed by "
            "normalisation, so it has no counterpart.",
            fix="Anchor the annotation to text that survives normalisation.",
        )


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found by a check: what, where, and how to fix it.

    ``path`` is relative to the project root where possible. ``line``/``column`` are 1-based and
    set when the format has lines (JSON syntax errors). ``annotation_id`` names the entity or
    relation (``T3``, ``R7``) when the problem is about one.
    """

    code: str
    severity: Severity
    path: str
    message: str
    fix: str = ""
    annotation_id: str | None = None
    line: int | None = None
    column: int | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # By fields: a slotted dataclass's own pickling looks its fields up on every load,
        # and a worker can hand back tens of thousands of issues.
        return (
            Issue,
            (
                self.code,
                self.severity,
                self.path,
                self.message,
                self.fix,
                self.annotation_id,
                self.line,
                self.column,
            ),
        )

    def render(self) -> str:
        """``path[:line[:col]]: CODE [id] message fix`` on one line."""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        head = f"{where}: {self.code}"
        if self.annotation_id:
            head += f" {self.annotation_id}"
        text = f"{head} {self.message}"
        return f"{text} {self.fix}" if self.fix else text

    def to_json(self) -> str:
        """The issue as one JSON object (keys in a fixed order)."""
        return json.dumps(asdict(self), ensure_ascii=False)
