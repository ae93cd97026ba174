"""The project's spaCy pipeline: the only place a tokenizer or sentence splitter is made.

Every view and export that needs tokens (the ``sentences`` config, the ``spacy`` and ``conll``
exports in :mod:`newscorpus.formats`, pre-annotation) calls :func:`make_nlp`, so token boundaries
are the same everywhere. Two things
differ from ``spacy.blank("en")``:

* **Tokenizer fix.** English tokenization treats ``G`` after a digit as a unit (``5G`` becomes
  ``5`` ``G``) and keeps a final full stop on ``5G.`` and ``IoT.``, so those entities do not
  align to tokens and BIO views silently lose them. :func:`fix_tokenizer` drops ``G`` from the
  digit-unit suffixes and splits a final ``.`` after an upper-case letter that follows a letter
  or digit. ``U.S.`` (a tokenizer exception), ``10GB`` and lower-case abbreviations keep their
  usual behaviour. The schema's ``abbreviations`` (``Pvt.``, ``Plc.``: the annotation checks
  let a span end with them) are kept whole as special cases, so such a span aligns. The fix
  (with the default abbreviations) is registered as the spaCy callback
  ``newscorpus.tokenizer_fix.v1`` so a training config applies the same tokenizer::

      [initialize.before_init]
      @callbacks = "newscorpus.tokenizer_fix.v1"

* **Line breaks end sentences.** Headlines and list items carry no final punctuation, so the
  ``newscorpus_line_breaks`` component starts a sentence after every whitespace token that holds
  a newline, before the ``sentencizer`` (which keeps boundaries already set) does the rest.

The build does not run the pipeline's components: :func:`segment_text` runs its tokenizer,
then applies both sentence rules to the tokens' attributes as arrays. It gives the sentences
and token offsets of the whole pipeline (a test holds them equal) in a fraction of the time,
since the components walk the tokens in Python.

Importing this module imports spaCy: other modules import it inside the functions that need it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, cast

import spacy
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH
from spacy.lang.char_classes import UNITS
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_suffix_regex, registry

from newscorpus.schema import DEFAULT_ABBREVIATIONS
from newscorpus.views import Sentence

#: Name of the registered tokenizer callback, for ``[initialize.before_init]``.
TOKENIZER_FIX = "newscorpus.tokenizer_fix.v1"
#: Name of the component that starts a sentence after a line break.
LINE_BREAKS = "newscorpus_line_breaks"

_DIGIT_UNITS = f"(?<=[0-9])(?:{UNITS})"
_UNITS_WITHOUT_G = "|".join(unit for unit in UNITS.split("|") if unit != "G")
# A final full stop after an upper-case letter preceded by a letter or digit: 5G. IoT. B2B.
_FINAL_STOP_AFTER_CAPITAL = r"(?<=[A-Za-z0-9][A-Z])\."


def fix_tokenizer(nlp: Language, abbreviations: Iterable[str] = DEFAULT_ABBREVIATIONS) -> Language:
    """Apply the project's tokenizer fix to ``nlp`` in place and return it; each of
    ``abbreviations`` becomes one token.

    >>> [t.text for t in fix_tokenizer(spacy.blank("en"))("on 5G.")]
    ['on', '5G', '.']

    Raises:
        ValueError: when ``nlp`` is not an English pipeline with spaCy's rule-based tokenizer
            (the fix would silently do nothing).
    """
    suffixes = list(nlp.Defaults.suffixes or ())
    if _DIGIT_UNITS not in suffixes or not isinstance(nlp.tokenizer, Tokenizer):
        raise ValueError(
            f"cannot apply the newscorpus tokenizer fix to this {nlp.lang!r} pipeline: it needs "
            "spaCy's rule-based tokenizer with the default English suffix rules."
        )
    suffixes[suffixes.index(_DIGIT_UNITS)] = f"(?<=[0-9])(?:{_UNITS_WITHOUT_G})"
    suffixes.append(_FINAL_STOP_AFTER_CAPITAL)
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    for word in abbreviations:
        nlp.tokenizer.add_special_case(word, [{ORTH: word}])
    return nlp


def tokenizer_fix_callback(
    abbreviations: list[str] | None = None,
) -> Callable[[Language], Language]:
    """The tokenizer fix as a config callback (``[initialize.before_init]``), keeping
    ``abbreviations`` whole (default: the default abbreviations), so a training config can
    name a schema's own list and tokenise exactly as the project's views do."""
    if abbreviations is None:
        return fix_tokenizer
    words = tuple(abbreviations)
    return lambda nlp: fix_tokenizer(nlp, words)


# Registered by a call, not a decorator: spaCy's registry decorators are untyped.
registry.callbacks.register(TOKENIZER_FIX, func=tokenizer_fix_callback)


@Language.component(LINE_BREAKS)
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence at the token after each whitespace token holding a newline."""
    after_break = False
    for token in doc:
        if after_break:
            token.is_sent_start = True
        after_break = token.is_space and "\n" in token.text
    return doc


def make_nlp(abbreviations: Iterable[str] = DEFAULT_ABBREVIATIONS) -> Language:
    """A blank English pipeline with the tokenizer fix (keeping ``abbreviations`` whole),
    line-break and sentence splitting.

    >>> make_nlp().pipe_names
    ['newscorpus_line_breaks', 'sentencizer']
    """
    nlp = fix_tokenizer(spacy.blank("en"), abbreviations)
    nlp.add_pipe(LINE_BREAKS)
    nlp.add_pipe("sentencizer")
    return nlp


def segment(doc: Doc) -> list[Sentence]:
    """The sentences of a processed ``doc`` as offsets, without whitespace tokens.

    Sentences holding only whitespace are left out, and each sentence's span runs from its first
    to its last non-space token, so views never carry line breaks at sentence edges.
    """
    sentences = []
    for sent in doc.sents:
        tokens = tuple((t.idx, t.idx + len(t)) for t in sent if not t.is_space)
        if tokens:
            sentences.append(Sentence(tokens[0][0], tokens[-1][1], tokens))
    return sentences


def segment_text(nlp: Language, text: str) -> list[Sentence]:
    """The sentences of ``text`` as :func:`segment` gives them for ``nlp(text)``: ``nlp``'s
    tokenizer and the rule of its ``sentencizer``, every line break ending a sentence, without
    running the pipeline's components.

    The components walk the tokens in Python (``newscorpus_line_breaks``, and the sentencizer's
    rule, which cost as much as the tokenizer), and so did an earlier version of this function;
    here the rule is computed over the token attributes as arrays (``Doc.to_array``). The rule,
    as spaCy's ``Sentencizer.predict`` has it: a token that is neither one of the component's
    ``punct_chars`` nor punctuation starts a sentence when one of ``punct_chars`` came after the
    last such token. A whitespace token holding a line break is such a token, and also starts
    a sentence whatever came before it (that is what ``newscorpus_line_breaks`` does).

    >>> [(s.start, s.end) for s in segment_text(make_nlp(), "Title\\n\\nOne. Two.")]
    [(0, 5), (7, 11), (12, 16)]
    """
    import numpy

    doc = nlp.tokenizer(text)
    if not len(doc):
        return []
    values = doc.to_array([IDX, LENGTH, IS_PUNCT, IS_SPACE])
    starts, lengths = values[:, 0].astype("int64"), values[:, 1].astype("int64")
    # The text's code points, indexed as spaCy's offsets are (characters, not bytes).
    codes = numpy.frombuffer(text.encode("utf-32-le"), dtype=numpy.uint32)
    punct_chars = frozenset(cast(Sentencizer, nlp.get_pipe("sentencizer")).punct_chars)
    singles, longest = _punct_codes(punct_chars)
    ending = numpy.zeros(len(doc), dtype=bool)
    one = numpy.flatnonzero(lengths == 1)
    found = codes[starts[one]]
    ending[one] = singles[numpy.searchsorted(singles, found).clip(max=len(singles) - 1)] == found
    if longest > 1:  # spaCy's default ``punct_chars`` are single characters
        longer = numpy.flatnonzero((lengths > 1) & (lengths <= longest))
        for i, start, length in zip(
            longer.tolist(), starts[longer].tolist(), lengths[longer].tolist(), strict=True
        ):
            ending[i] = text[start : start + length] in punct_chars
    space = values[:, 3].astype(bool)
    # Tokens that can start a sentence; each one does when an ending token came since the last.
    ordinary = numpy.flatnonzero(~ending & (values[:, 2] == 0))
    endings_before = numpy.cumsum(ending)[ordinary]
    ended = endings_before > numpy.concatenate(([0], endings_before[:-1]))
    # A whitespace token holds a line break when the count of line breaks grows across it.
    line_breaks = numpy.concatenate(([0], numpy.cumsum(codes == ord("\n"))))
    breaks = numpy.flatnonzero(space & (line_breaks[starts + lengths] > line_breaks[starts]))
    first = numpy.union1d(ordinary[ended], breaks)
    # Sentences hold the other tokens: cut their list where each sentence starts.
    kept = numpy.flatnonzero(~space)
    cuts = numpy.searchsorted(kept, first).tolist()
    token_starts = starts[kept]
    tokens = list(zip(token_starts.tolist(), (token_starts + lengths[kept]).tolist(), strict=True))
    sentences = []
    for begin, end in zip([0, *cuts], [*cuts, len(tokens)], strict=True):
        if end > begin:
            span = tuple(tokens[begin:end])
            sentences.append(Sentence(span[0][0], span[-1][1], span))
    return sentences


@functools.cache
def _punct_codes(punct_chars: frozenset[str]) -> tuple[Any, int]:
    """The code points of the single-character ``punct_chars``, sorted (a ``uint32`` array, never
    empty), and the length of the longest."""
    import numpy

    singles = sorted(ord(c) for c in punct_chars if len(c) == 1) or [0x110000]
    return numpy.asarray(singles, dtype=numpy.uint32), max(map(len, punct_chars), default=0)
