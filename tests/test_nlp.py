"""The project's spaCy pipeline: tokenizer fix, line-break sentences, the config callback."""

from __future__ import annotations

import pytest
import spacy
from spacy.util import load_model_from_config, registry

from newscorpus.nlp import LINE_BREAKS, TOKENIZER_FIX, fix_tokenizer, make_nlp


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return make_nlp()


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # the fix: generation names stay whole, a final full stop is split off
        ("on 5G.", ["on", "5G", "."]),
        ("the IoT.", ["the", "IoT", "."]),
        ("5G technologies", ["5G", "technologies"]),
        ("4G LTE networks.", ["4G", "LTE", "networks", "."]),
        ("15G", ["15G"]),
        ("B2B.", ["B2B", "."]),
        ("( IoT), AI.", ["(", "IoT", ")", ",", "AI", "."]),
        # usual behaviour kept
        ("in the U.S.", ["in", "the", "U.S."]),
        ("10GB", ["10", "GB"]),
        ("5 G", ["5", "G"]),
        ("in AI.", ["in", "AI", "."]),
        ("Dr. Who", ["Dr.", "Who"]),
        ("x.", ["x."]),
    ],
)
def test_tokens(nlp: spacy.language.Language, text: str, tokens: list[str]) -> None:
    assert [t.text for t in nlp(text)] == tokens


def test_default_english_splits_what_the_fix_keeps() -> None:
    # Guards the premise of the fix: if spaCy changes its rules, this test says so.
    blank = spacy.blank("en")
    assert [t.text for t in blank("on 5G.")] == ["on", "5G."]
    assert [t.text for t in blank("5G technologies")] == ["5", "G", "technologies"]


def test_entities_at_sentence_end_align(nlp: spacy.language.Language) -> None:
    text = "They agreed on 5G. Both back the IoT."
    doc = nlp(text)
    assert doc.char_span(15, 17) is not None  # 5G
    assert doc.char_span(33, 36) is not None  # IoT


def test_pipeline(nlp: spacy.language.Language) -> None:
    assert nlp.pipe_names == [LINE_BREAKS, "sentencizer"]


def test_line_breaks_end_sentences(nlp: spacy.language.Language) -> None:
    doc = nlp("5G Technology\n\nIndia and Japan sign a pact\nIt covers 5G. The U.S. agrees.")
    assert [s.text.strip() for s in doc.sents] == [
        "5G Technology",
        "India and Japan sign a pact",
        "It covers 5G.",
        "The U.S. agrees.",
    ]


def test_callback_applies_the_fix_from_a_training_config() -> None:
    config = spacy.util.load_config_from_str(
        f"""
[nlp]
lang = "en"
pipeline = []

[initialize]

[initialize.before_init]
@callbacks = "{TOKENIZER_FIX}"
"""
    )
    trained = load_model_from_config(config, auto_fill=True)
    assert [t.text for t in trained("on 5G.")] == ["on", "5G."]
    trained.initialize()
    assert [t.text for t in trained("on 5G.")] == ["on", "5G", "."]


def test_callback_is_registered() -> None:
    assert registry.callbacks.get(TOKENIZER_FIX)() is fix_tokenizer


def test_fix_refuses_a_custom_tokenizer() -> None:
    custom = spacy.blank("en")
    custom.tokenizer = lambda text: spacy.tokens.Doc(custom.vocab, words=text.split())
    with pytest.raises(ValueError) as err:
        fix_tokenizer(custom)
    assert str(err.value) == (
        "cannot apply the newscorpus tokenizer fix to this 'en' pipeline: it needs spaCy's "
        "rule-based tokenizer with the default English suffix rules."
    )


def test_spacy_finds_the_components_through_entry_points() -> None:
    """A training config needs no --code: spaCy finds both names in a fresh process."""
    import subprocess
    import sys

    script = (
        "import spacy\n"
        "from spacy.util import registry\n"
        "nlp = spacy.blank('en')\n"
        "registry.callbacks.get('newscorpus.tokenizer_fix.v1')()(nlp)\n"
        "nlp.add_pipe('newscorpus_line_breaks')\n"
        "nlp.add_pipe('sentencizer')\n"
        "doc = nlp('Title on 5G\\nBody on 5G.')\n"
        "print([t.text for t in doc], [s.text for s in doc.sents])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out == (
        "['Title', 'on', '5G', '\\n', 'Body', 'on', '5G', '.'] ['Title on 5G\\n', 'Body on 5G.']\n"
    )
