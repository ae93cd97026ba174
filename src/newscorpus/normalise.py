"""Normalise scraped article text losslessly: small named rules, every edit explained and mapped.

Each rule is a pure function ``text -> [(start, end, replacement), ...]`` returning minimal,
sorted, non-overlapping replacements on its input. :func:`normalise` applies the rules in order;
each rule's replacements become one alignment step, and the steps compose into one
:class:`~newscorpus.alignment.Alignment` from the raw text to the normalised text. Every edit is
reported with its span in the raw text, so nothing is silently lost and every annotation on the
normalised text maps back to the raw article exactly.

A rule's name is used everywhere: the project's ``normalise.rules`` setting, :data:`RULES`, each
:class:`Edit` and the explanation. Rules are idempotent: normalising normalised text changes
nothing. Typographic quotes and apostrophes are kept: they are the publisher's text, and
tokenizers handle them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from newscorpus.alignment import Alignment
from newscorpus.errors import NewscorpusError, SpanRemovedError

Replacement = tuple[int, int, str]
Rule = Callable[[str], list[Replacement]]

#: Horizontal white space other than the plain space: ``unicode_spaces`` makes each a plain space.
_OTHER_SPACES = (
    "\t\x0b\x0c\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
)
#: Horizontal white space: what every space rule treats as "a space". The space rules run before
#: ``unicode_spaces``, so they delete the raw characters themselves and edits do not stack.
_HS_CHARS = " " + _OTHER_SPACES
_HS = f"[{re.escape(_HS_CHARS)}]"

#: Site prompts removed by ``site_boilerplate`` (and that announce a ``site_category`` line).
SITE_PROMPTS: tuple[str, ...] = (
    "Lost your password?",
    "Don't have an account? Sign Up",
    "Already have an account? Sign In",
    "Welcome! Log into your account",
    "your username",
    "your password",
    "Forgot your password? Get help",
    "Password recovery",
    "Recover your password",
    "your email",
    "A password will be e-mailed to you.",
    "Sign in",
    "Sign up",
    "Log in",
    "Remember me",
)


def _prompt_pattern(prompts: Sequence[str]) -> str:
    """A case-insensitive pattern for a line holding one of the prompts, up to its line break;
    straight or curly apostrophes and any run of spaces match, and so do spaces before a
    punctuation mark ("Lost your password ?"): ``space_before_punct`` runs later and would
    otherwise turn such a line into a prompt that a second run removes."""
    alternatives = []
    for prompt in prompts:
        words = ["".join(_prompt_char(char) for char in word) for word in prompt.split()]
        alternatives.append(f"{_HS}+".join(words))
    return rf"(?i:{_HS}*(?:{'|'.join(alternatives)}){_HS}*)(?=\n|\Z)"


def _prompt_char(char: str) -> str:
    if char == "'":
        return "['\u2019]"
    if char in ",.;:?!":
        return f"{_HS}*{re.escape(char)}"
    return re.escape(char)


_PROMPT = _prompt_pattern(SITE_PROMPTS)
_PROMPT_LINE = re.compile(_PROMPT)
# Led by the line break so the engine skips from line to line; the first line is matched apart.
_PROMPT_AFTER_NEWLINE = re.compile(rf"\n({_PROMPT})")


def _prompt_lines(text: str) -> list[tuple[int, int]]:
    """The spans of the lines that hold a site prompt (without their line breaks)."""
    first = _PROMPT_LINE.match(text)
    spans = [first.span()] if first else []
    spans.extend(m.span(1) for m in _PROMPT_AFTER_NEWLINE.finditer(text))
    return spans


def strip_bom_and_zero_width(text: str) -> list[Replacement]:
    """Delete byte order marks (U+FEFF anywhere), zero width spaces (U+200B) and word joiners
    (U+2060): invisible characters that split words for tokenizers.

    Never touches the zero width joiner and non-joiner (U+200D, U+200C): emoji sequences and
    Indic and Persian scripts need them.
    """
    if not any(char in text for char in "\ufeff\u200b\u2060"):
        return []
    return [(m.start(), m.end(), "") for m in _ZERO_WIDTH.finditer(text)]


_ZERO_WIDTH = re.compile("[\ufeff\u200b\u2060]+")


def line_endings(text: str) -> list[Replacement]:
    """Turn CRLF into LF (by deleting the CR), and a lone CR or a Unicode line or paragraph
    separator (U+2028, U+2029) into LF.

    Never touches LF, form feeds or vertical tabs (``unicode_spaces`` handles those).
    """
    if not any(char in text for char in "\r\u2028\u2029"):
        return []
    out: list[Replacement] = []
    for m in _LINE_BREAK.finditer(text):
        if m.group(1):
            out.append((m.start(), m.start() + 1, ""))
        else:
            out.append((m.start(), m.end(), "\n"))
    return out


_LINE_BREAK = re.compile("\r(\n)?|[\u2028\u2029]")


def unicode_nfc(text: str) -> list[Replacement]:
    """Compose characters to Unicode NFC (``e`` + combining acute -> ``é``), one replacement per
    combining cluster, so that the same word always has the same code points.

    Never touches text that is already NFC (the common case, checked first at C speed), and never
    applies compatibility folding (NFKC would turn ``²`` into ``2`` and ``ﬁ`` into ``fi``).
    """
    if unicodedata.is_normalized("NFC", text):
        return []
    out: list[Replacement] = []
    # NFC never composes or reorders across white space, so each word can be fixed on its own.
    for m in _NON_ASCII_WORD.finditer(text):
        word = m.group()
        if not unicodedata.is_normalized("NFC", word):
            out.extend((m.start() + s, m.start() + e, r) for s, e, r in _nfc_word(word))
    return out


# Anchored at a word start and lazy, so a long ASCII token is scanned once, not once per character.
_NON_ASCII_WORD = re.compile(r"(?<!\S)\S*?[^\s\x00-\x7f]\S*")


def _nfc_word(word: str) -> list[Replacement]:
    """NFC replacements for one word: per cluster (a starter and the marks after it) when that
    gives the same result as NFC of the whole word, else one replacement of the changed middle."""
    clusters: list[tuple[int, int]] = []
    for i, char in enumerate(word):
        if i and unicodedata.combining(char):
            clusters[-1] = (clusters[-1][0], i + 1)
        else:
            clusters.append((i, i + 1))
    fixed = [(s, e, unicodedata.normalize("NFC", word[s:e])) for s, e in clusters]
    target = unicodedata.normalize("NFC", word)
    if "".join(r for _, _, r in fixed) == target:
        return [(s, e, r) for s, e, r in fixed if r != word[s:e]]
    # Compositions across clusters (Hangul jamo, some Indic vowel signs): trim the common ends.
    head = 0
    while word[head] == target[head]:
        head += 1
    tail = 0
    while tail < min(len(word), len(target)) - head and word[-1 - tail] == target[-1 - tail]:
        tail += 1
    return [(head, len(word) - tail, target[head : len(target) - tail])]


def site_category(text: str) -> list[Replacement]:
    """Remove the site's category line (e.g. ``5G Technology``) where the scraper put it: directly
    after the site's login prompts at the top of the article, before a blank line and the headline.
    The removed text becomes ``Normalised.category``.

    Never touches a line that does not directly follow a prompt line at the very top, a line with
    sentence punctuation (``.?!``), or one longer than 50 characters or 6 words. After the removal
    the prompts are followed by a blank line, so the rule cannot fire twice.
    """
    pos = 0
    after_prompt = False
    while pos < len(text):
        eol = text.find("\n", pos)
        if eol < 0:
            return []
        line = text[pos:eol]
        if _PROMPT_LINE.fullmatch(line):
            after_prompt = True
        elif line.strip():
            if after_prompt and _is_category(line) and _BLANK_THEN_TEXT.match(text, eol):
                return [(pos, eol + 1, "")]
            return []
        else:
            after_prompt = False
        pos = eol + 1
    return []


_BLANK_THEN_TEXT = re.compile(rf"\n{_HS}*\n\s*\S")


def _is_category(line: str) -> bool:
    words = line.split()
    return len(line.strip()) <= 50 and len(words) <= 6 and not any(c in line for c in ".?!")


def site_boilerplate(text: str) -> list[Replacement]:
    """Remove whole lines, with their line break, that are known site prompts (:data:`SITE_PROMPTS`:
    "Lost your password?", "Sign in", ...), matched case-insensitively with straight or curly
    apostrophes and with or without spaces before their punctuation.

    Never touches a prompt inside a paragraph: a run of prompt lines goes only when it is in the
    page header (only blank or prompt lines above it), in the footer (only blank or prompt lines
    below it), or stands alone between blank lines. Never touches a line that merely contains a
    prompt ("Sign up today for our newsletter").
    """
    runs: list[tuple[int, int]] = []  # (start of first line, end of last line) of prompt runs
    for start, end in _prompt_lines(text):
        if runs and runs[-1][1] + 1 == start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    # A run standing alone between blank lines (or the text's ends) goes.
    remove = [
        (start == 0 or not _last_line(text, start - 1).strip())
        and (end == len(text) or not _first_line(text, end + 1).strip())
        for start, end in runs
    ]
    # So do the header and the footer: runs separated from the text's ends only by blank lines.
    gaps_blank = [not text[a:b].strip() for a, b in _gaps(runs, len(text))]
    for i in range(len(runs)):
        if not gaps_blank[i]:
            break
        remove[i] = True
    for i in reversed(range(len(runs))):
        if not gaps_blank[i + 1]:
            break
        remove[i] = True
    out: list[Replacement] = []
    for (start, end), removed in zip(runs, remove, strict=True):
        if not removed:
            continue
        line_start = start
        while line_start <= end:
            line_end = text.find("\n", line_start, end + 1)
            if line_end < 0:  # the last line of the text, with no line break after it
                out.append((line_start, end, ""))
                break
            out.append((line_start, line_end + 1, ""))
            line_start = line_end + 1
    return out


def _last_line(text: str, end: int) -> str:
    return text[text.rfind("\n", 0, end) + 1 : end]


def _first_line(text: str, start: int) -> str:
    eol = text.find("\n", start)
    return text[start : eol if eol >= 0 else len(text)]


def _gaps(runs: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The text between consecutive runs, before the first and after the last."""
    edges = [0, *(x for run in runs for x in run), length]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def generation_names(text: str) -> list[Replacement]:
    """Join a spaced mobile generation name: ``5 G`` -> ``5G``, ``4 G LTE`` -> ``4G LTE`` (2G-6G),
    by deleting the spaces.

    Never touches a digit after a letter, digit, ``.`` or ``,`` (``15 G``, ``3.5 GHz``), a ``G``
    followed by a letter or digit (``5 GHz``, ``5 GB``, ``10 Gbps``, ``Figure 5 Gallery``), a lower
    case ``g`` (``5 g of sugar``), or a digit and ``G`` on different lines.
    """
    return [(m.start(1), m.end(1), "") for m in _GENERATION.finditer(text)]


_GENERATION = re.compile(rf"[2-6](?<![\w.,][2-6])({_HS}+)G(?![A-Za-z0-9])")


def space_before_punct(text: str) -> list[Replacement]:
    """Delete spaces between a word and the punctuation after it: ``China ,`` -> ``China,``,
    ``IoT )`` -> ``IoT)``, for ``, . ; : ? ! ) ]`` followed by a space, the end of the text, a
    closing quote or bracket, or more punctuation (a ``.`` only by a space, the end or a closer).

    Never touches a spaced ellipsis (``. . .``, `` ...``), a decimal (``.5``), a ``.`` before a
    letter (``.NET``), emoticons (``:)``, ``;)``), empty brackets (``( )``, ``[ ]``), a colon
    spaced between digits (``10 : 30``, ``3 : 1``: deleting one space would leave ``10: 30``), or
    spaces at the start of a line.
    """
    out: list[Replacement] = []
    for m in _SPACED_PUNCT.finditer(text):
        end = m.start()
        start = _run_start(text, end)
        before = text[start - 1] if start else ""
        mark, after = m.group(), text[m.end() : m.end() + 1]
        if not before or before.isspace() or before in "([":
            continue  # the start of a line, or empty brackets
        if mark in ":;" and after in (")", "]"):
            continue  # an emoticon
        if mark == ":" and before.isdigit() and _DIGIT_AHEAD.match(text, m.end()):
            continue  # a spaced time or ratio
        if mark == "." and (before == "." or not _SENTENCE_END.match(text, m.end())):
            continue  # part of an ellipsis, or not the end of a sentence
        out.append((start, end, ""))
    return out


def _run_start(text: str, end: int) -> int:
    """Where the run of horizontal spaces that ends at ``end`` starts."""
    start = end
    while start and text[start - 1] in _HS_CHARS:
        start -= 1
    return start


_CLOSERS = "[)\\]\"'\u201d\u2019]"
# A punctuation mark after a space, followed by white space, the end, more punctuation or a closer.
_SPACED_PUNCT = re.compile(rf"[,.;:?!)\]](?<={_HS}.)(?=\s|\Z|[,.;:?!]|{_CLOSERS})")
_DIGIT_AHEAD = re.compile(f"{_HS}*[0-9]")
# After a full stop: the end of a sentence (white space, the end, a closer), but not an ellipsis.
_SENTENCE_END = re.compile(rf"(?!{_HS}*\.)(?:\s|\Z|{_CLOSERS})")


def comma_space_swap(text: str) -> list[Replacement]:
    """Move a space from before a comma or semicolon to after it when the scrape swapped them:
    ``Japan ,the US`` -> ``Japan, the US``, ``India ;and`` -> ``India; and``.

    Never touches a comma before a digit, a quote or a space (``1 ,000``, ``a ,5``, ``x ,"``,
    ``China , the``: ``space_before_punct`` handles that), or one at the start of a line. Two
    minimal edits (the space deleted, a space inserted), so every word keeps an exact offset map.
    """
    out: list[Replacement] = []
    for m in _SWAPPED_COMMA.finditer(text):
        start = _run_start(text, m.start())
        if start and not text[start - 1].isspace() and text[start - 1] not in "([":
            out += [(start, m.start(), ""), (m.end(), m.end(), " ")]
    return out


# A comma or semicolon after a space and directly before a letter. The mark comes first so
# that the engine skips ahead to the rare character instead of looking behind everywhere.
_SWAPPED_COMMA = re.compile(rf"[,;](?<={_HS}.)(?=[^\W\d_])")


def space_after_open_bracket(text: str) -> list[Replacement]:
    """Delete spaces after an opening bracket: ``( IoT)`` -> ``(IoT)``, ``[ 1]`` -> ``[1]``.

    Never touches empty brackets (``( )``, ``[ ]``), a bracket at the end of a line, or an
    emoticon (``:( ``, ``;( ``).
    """
    return [(m.start(1), m.end(1), "") for m in _SPACE_AFTER_OPEN.finditer(text)]


_SPACE_AFTER_OPEN = re.compile(rf"[(\[](?<![:;][(\[])({_HS}+)(?=[^\s)\]])")


def line_edge_spaces(text: str) -> list[Replacement]:
    """Delete spaces at the start and at the end of every line (including lines of only spaces).

    Never touches spaces inside a line or line breaks.
    """
    spans = {m.span(1) for m in _LINE_START_SPACES.finditer(text)}
    spans.update(
        (_run_start(text, m.start()), m.start()) for m in _NEWLINE_AFTER_SPACE.finditer(text)
    )
    if text[:1] in _HS_CHARS:  # also true for "": then the span is empty and dropped below
        spans.add((0, len(text) - len(text.lstrip(_HS_CHARS))))
    if text[-1:] in _HS_CHARS:
        spans.add((_run_start(text, len(text)), len(text)))
    return [(start, end, "") for start, end in sorted(spans) if start < end]


# Both led by a line break, the rare character, so the engine skips ahead between candidates.
_LINE_START_SPACES = re.compile(rf"\n({_HS}+)")
_NEWLINE_AFTER_SPACE = re.compile(rf"\n(?<={_HS}\n)")


def collapse_spaces(text: str) -> list[Replacement]:
    """Reduce a run of spaces inside a line to its first character (``unicode_spaces`` then makes
    that a plain space).

    Never touches single spaces or line breaks.
    """
    return [(m.start() + 1, m.end(), "") for m in _SPACE_RUN.finditer(text)]


_SPACE_RUN = re.compile(f"{_HS}{_HS}+")


def unicode_spaces(text: str) -> list[Replacement]:
    """Replace each other horizontal space (no-break space, U+2000-U+200A, narrow no-break space,
    U+205F, ideographic space, tab, vertical tab, form feed) by a plain space.

    Never touches plain spaces or line breaks.
    """
    return [(m.start(), m.end(), " ") for m in _UNICODE_SPACE.finditer(text)]


_UNICODE_SPACE = re.compile(f"[{re.escape(_OTHER_SPACES)}]")


def blank_lines(text: str) -> list[Replacement]:
    """Reduce runs of blank lines to one blank line (the paragraph break), and delete white space
    at the start and the end of the text, so the normalised text has no trailing newline.

    Never touches single line breaks (lines inside a paragraph) or single blank lines.
    """
    lead = len(text) - len(text.lstrip())
    if lead == len(text):
        return [(0, lead, "")] if lead else []
    trail = len(text.rstrip())
    out: list[Replacement] = [(0, lead, "")] if lead else []
    # Keep the first and the last line break of the run: one blank line remains.
    out.extend((m.start() + 1, m.end() - 1, "") for m in _BLANK_RUN.finditer(text, lead, trail))
    if trail < len(text):
        out.append((trail, len(text), ""))
    return out


_BLANK_RUN = re.compile(rf"\n(?:{_HS}*\n){{2,}}")

#: Every rule by name. The order here is the default order.
RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        strip_bom_and_zero_width,
        line_endings,
        unicode_nfc,
        site_category,
        site_boilerplate,
        generation_names,
        space_before_punct,
        comma_space_swap,
        space_after_open_bracket,
        line_edge_spaces,
        collapse_spaces,
        unicode_spaces,
        blank_lines,
    )
}

#: The rules applied when a project does not list its own, in order.
DEFAULT_RULES: tuple[str, ...] = tuple(RULES)


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement a rule made: ``before`` became ``after`` at ``[raw_start, raw_end)``.

    ``before`` is the text the rule saw. It equals ``raw[raw_start:raw_end]`` unless an earlier rule
    had already changed that text (a lone CR made LF, then removed as a blank line).
    """

    rule: str
    raw_start: int
    raw_end: int
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_row(self) -> list[Any]:
        """The edit as ``[rule, raw_start, raw_end, before, after]`` (how the cache keeps it)."""
        return [self.rule, self.raw_start, self.raw_end, self.before, self.after]

    @classmethod
    def from_rows(cls, rows: list[Any]) -> tuple[Edit, ...] | None:
        """The edits :meth:`to_row` gave these rows of, or None when one is anything else."""
        edits = []
        for row in rows:
            if not (
                type(row) is list
                and len(row) == 5
                and type(row[0]) is type(row[3]) is type(row[4]) is str
                and type(row[1]) is type(row[2]) is int
            ):
                return None
            edits.append(cls(*row))
        return tuple(edits)


@dataclass(frozen=True, slots=True)
class Normalised:
    """The result of :func:`normalise`: both texts, the edits and the map between them."""

    raw: str
    text: str
    edits: tuple[Edit, ...]
    alignment: Alignment
    #: The site category line that ``site_category`` removed (stripped), else None.
    category: str | None = None

    @property
    def title(self) -> str | None:
        """The headline (see :func:`title_of`)."""
        return title_of(self.text)

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """The raw span of the normalised span ``[start, end)`` (see :class:`Alignment`)."""
        return self.alignment.to_src(start, end)

    def to_normalised(self, start: int, end: int) -> tuple[int, int]:
        """The normalised span of the raw span ``[start, end)``.

        Raises:
            SpanRemovedError: E211 when the non-empty span lies entirely in removed text.
        """
        try:
            return self.alignment.to_dst(start, end)
        except SpanRemovedError:
            raise SpanRemovedError(start, end, "raw") from None

    def explain(self) -> str:
        """The edits, one per line: rule, raw span, ``before -> after`` (repr-escaped, combining
        marks too, so ``'e\\u0301' -> 'é'`` does not read as ``'é' -> 'é'``)."""
        width = max((len(e.rule) for e in self.edits), default=0)
        return "\n".join(
            f"{e.rule:<{width}}  [{e.raw_start}, {e.raw_end})  {_shown(e.before)} -> "
            f"{_shown(e.after)}"
            for e in self.edits
        )


def _shown(text: str) -> str:
    """``repr(text)`` with combining marks escaped: repr prints them as they render, joined to
    the character before them."""
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        if unicodedata.combining(c)
        else c
        for c in repr(text)
    )


def title_of(text: str) -> str | None:
    """The headline of a normalised text: its first line when that is a paragraph of its own, at
    most 300 characters long, followed by a blank line and more text; else None.

    >>> title_of("5G in Lagos\\n\\nMTN switched on 5G.")
    '5G in Lagos'
    """
    parts = text.split("\n", 2)
    if len(parts) < 3 or parts[1].strip() or not parts[2].strip():
        return None
    head = parts[0]
    return head if head.strip() and len(head) <= 300 else None


def normalise(raw: str, rules: Sequence[str] | None = None) -> Normalised:
    """Normalise ``raw`` with ``rules`` (names from :data:`RULES`, applied in the given order;
    None means :data:`DEFAULT_RULES`).

    >>> normalise("5 G networks ( IoT) .").text
    '5G networks (IoT).'

    Raises:
        NewscorpusError: E002 when a rule name is unknown.
    """
    names = DEFAULT_RULES if rules is None else tuple(rules)
    unknown = [name for name in names if name not in RULES]
    if unknown:
        raise NewscorpusError(
            "E002",
            f"unknown normalise rule {unknown[0]!r}; allowed rules: {', '.join(RULES)}.",
            fix="Fix `rules` in the [tool.newscorpus.normalise] table of pyproject.toml, "
            "or remove the key for the default rules.",
        )
    text = raw
    alignment = Alignment.identity(len(raw))
    edits: list[Edit] = []
    category: str | None = None
    for name in names:
        replacements = RULES[name](text)
        if not replacements:
            continue
        pieces: list[str] = []
        blocks: list[tuple[int, int, int, int]] = []
        pos = shift = 0
        for start, end, after in replacements:
            before = text[start:end]
            raw_start, raw_end = alignment.src_span(start, end)
            edits.append(Edit(name, raw_start, raw_end, before, after))
            if name == "site_category":
                category = before.strip()
            pieces += (text[pos:start], after)
            blocks.append((start, end, start + shift, start + shift + len(after)))
            shift += len(after) - (end - start)
            pos = end
        pieces.append(text[pos:])
        new_text = "".join(pieces)
        alignment = alignment.compose(Alignment(len(text), len(new_text), blocks))
        text = new_text
    return Normalised(raw, text, tuple(edits), alignment, category)
