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

The build does not run the pipeline on whole documents: :func:`segment_text` tokenises and
splits each line on its own, which gives the same sentences and token offsets (spaCy tokenises
the text between whitespace without looking further, and no sentence crosses a line break) and
runs many times faster: on a long paragraph after a line break spaCy's tokenizer slows down
twenty-fold, and the Python ``newscorpus_line_breaks`` component is not needed at all.

Importing this module imports spaCy: other modules import it inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

import spacy
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
    """The sentences of ``text`` as :func:`segment` gives them for ``nlp(text)``, made line by
    line with ``nlp``'s tokenizer and the rule of its ``sentencizer``.

    The same sentences and token offsets (spaCy tokenises the text between whitespace without
    looking further, and no sentence crosses a line break), many times faster: on a long
    paragraph after a line break spaCy's tokenizer slows down twenty-fold (SPACY-NOTES).

    The sentencizer's rule is applied in the same pass over the tokens that collects them,
    rather than by calling the component: it would walk every token once more, in Python,
    and that walk cost as much as the tokenizer. The rule, as spaCy's ``Sentencizer.predict``
    has it: a token that is neither one of the component's ``punct_chars`` nor punctuation
    starts a sentence when one of ``punct_chars`` came after the last such token.

    >>> [(s.start, s.end) for s in segment_text(make_nlp(), "Title\\n\\nOne. Two.")]
    [(0, 5), (7, 11), (12, 16)]
    """
    tokenizer, strings = nlp.tokenizer, nlp.vocab.strings
    # Token texts are compared by their hashes (``as_int`` adds nothing to the string store):
    # no string is made for a token.
    sentencizer = cast(Sentencizer, nlp.get_pipe("sentencizer"))
    ends = {strings.as_int(char) for char in sentencizer.punct_chars}
    sentences = []
    offset = 0
    for line in text.split("\n"):
        if line and not line.isspace():
            tokens: list[tuple[int, int]] = []
            ended = False
            for token in tokenizer(line):
                if token.orth in ends:
                    ended = True
                elif ended and not token.is_punct:
                    ended = False
                    if tokens:
                        sentences.append(Sentence(tokens[0][0], tokens[-1][1], tuple(tokens)))
                        tokens = []
                if not token.is_space:
                    start = offset + token.idx
                    tokens.append((start, start + len(token)))
            if tokens:
                sentences.append(Sentence(tokens[0][0], tokens[-1][1], tuple(tokens)))
        offset += len(line) + 1
    return sentences
