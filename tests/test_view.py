"""`newscorpus view`: the static corpus browser, checked on its HTML (tests/test_view_browser.py
opens the same pages in a real browser)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import pytest

from build_helpers import small_project, tree_digest
from conftest import git, run
from newscorpus.check_gold import Mention
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.model import Entity
from newscorpus.project import Project, load_project
from newscorpus.schema import Schema
from newscorpus.view.arcs import Arc, arc_diagrams
from newscorpus.view.charts import Series, bar_chart
from newscorpus.view.layout import label_colours
from newscorpus.view.marks import Mark, render_marks
from newscorpus.view.serve import make_server
from newscorpus.view.site import build_site
from view_helpers import (
    HOSTILE,
    HOSTILE_LABEL,
    HOSTILE_NOTE,
    HOSTILE_URL,
    add_hostile,
    site_files,
)

DOC = "india-japan-5g-agreement"


def _page(site: Path, name: str) -> str:
    return (site / name).read_text("utf-8")


def _main(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


# --- spans over text ---------------------------------------------------------------------------


def test_nested_spans_are_drawn_inside_their_parent() -> None:
    marks = [
        Mark(0, 11, ' class="o"', "<i>EVENT</i>", "e-T1"),
        Mark(0, 5, ' class="i"', "<i>GPE</i>"),
    ]
    assert render_marks("India-Japan talks", marks) == (
        '<span id="e-T1" class="o"><span class="i">India<i>GPE</i></span>-Japan<i>EVENT</i>'
        "</span> talks"
    )


def test_crossing_spans_are_cut_into_fragments_with_one_anchor_and_one_label() -> None:
    marks = [Mark(0, 4, ' class="a"', "A", "x"), Mark(2, 6, ' class="b"', "B", "y")]
    assert render_marks("abcdefg", marks) == (
        '<span id="x" class="a">ab<span id="y" class="b">cd</span>A</span>'
        '<span class="b">ef' + "B</span>g"
    )


def test_empty_spans_are_drawn_at_their_place_and_text_is_escaped() -> None:
    marks = [Mark(1, 1, ' class="ins"', "+"), Mark(-3, 99, ' class="all"')]
    assert render_marks('<&">', marks) == (
        '<span class="all">&lt;<span class="ins">+</span>&amp;"&gt;</span>'
    )


# --- charts and arcs ---------------------------------------------------------------------------


def test_bar_chart_draws_stacked_bars_scaled_to_the_largest_total() -> None:
    svg = bar_chart(
        "Per <split>",
        ["GPE", "ORG"],
        [Series("train", "#111"), Series("test", "#222")],
        [[3, 1], [2, 0]],
        chart_id="c",
    )
    assert svg == (
        '<figure class="chart" id="c"><figcaption>Per &lt;split&gt;</figcaption>'
        '<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="514" height="52" '
        'viewBox="0 0 514 52" role="img" aria-label="Per &lt;split&gt;">'
        '<text x="28" y="19" text-anchor="end">GPE</text>'
        '<rect x="34.0" y="7" width="315.0" height="16" fill="#111"><title>GPE, train: 3'
        "</title></rect>"
        '<rect x="349.0" y="7" width="105.0" height="16" fill="#222"><title>GPE, test: 1'
        "</title></rect>"
        '<text x="458.0" y="19">4</text>'
        '<text x="28" y="41" text-anchor="end">ORG</text>'
        '<rect x="34.0" y="29" width="210.0" height="16" fill="#111"><title>ORG, train: 2'
        "</title></rect>"
        '<text x="248.0" y="41">2</text></svg>'
        '<ul class="legend"><li><span class="chip" style="background:#111"></span>train</li>'
        '<li><span class="chip" style="background:#222"></span>test</li></ul></figure>'
    )
    assert bar_chart("Empty", [], [], [], chart_id="e") == (
        '<figure class="chart" id="e"><figcaption>Empty</figcaption><p>No data.</p></figure>'
    )


def test_arcs_escape_tags_and_labels_and_group_relations_by_paragraph() -> None:
    text = "Title\n\nTom met <Ann> in Rome.\n\nRome is big."
    tom = Entity("T<1>", 7, 10, "PERSON", "Tom")
    ann = Entity("T2", 15, 20, "PERSON", "<Ann>")
    rome = Entity("T3", 24, 28, "GPE", "Rome")
    arcs = [Arc(tom, rome, "role_in"), Arc(rome, ann, "<b>x</b>"), Arc(tom, tom, "self")]
    ((paragraph, svg),) = arc_diagrams(text, arcs, "arcs")
    assert paragraph == 2
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ' id="arcs-2" ' in svg
    assert re.findall(r'class="displacy-word"[^>]*>([^<]*)<', svg) == ["Tom", "&lt;Ann&gt;", "Rome"]
    assert re.findall(r'class="displacy-tag"[^>]*>([^<]*)<', svg) == [
        "PERSON T&lt;1&gt;",
        "PERSON T2",
        "GPE T3",
    ]
    assert re.findall(r'class="displacy-label"[^>]*>([^<]*)<', svg) == [
        "role_in",
        "&lt;b&gt;x&lt;/b&gt;",
    ]
    # displaCy leaves room for round arcs; the compact ones need less, so the top is cut off.
    assert ' width="380" height="192.0" viewBox="0 55 380 192.0" ' in svg
    assert "<b>" not in svg and "self" not in svg


#: Two crossing arcs of one length: which is drawn above the other is the renderer's choice.
CROSSING_ARCS = """
from newscorpus.model import Entity
from newscorpus.view.arcs import Arc, arc_diagrams
text = "Ann met Bob and Cid and Dan."
a, b, c, d = (Entity(f"T{s}", s, s + 3, "PERSON", text[s : s + 3]) for s in (0, 8, 16, 24))
print(arc_diagrams(text, [Arc(a, c, "knows"), Arc(b, d, "met")], "x")[0][1])
"""


def test_crossing_arcs_are_drawn_the_same_whatever_the_hash_seed() -> None:
    # displaCy orders arcs of one length by set order, which follows the string hash seed.
    drawn = {
        subprocess.run(
            [sys.executable, "-c", CROSSING_ARCS],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in range(6)
    }
    assert len(drawn) == 1
    (svg,) = drawn
    # The arc that starts first is placed first, at the lower level.
    knows, met = (svg.index(f">{label}<") for label in ("knows", "met"))
    assert knows < met


# --- colours -----------------------------------------------------------------------------------


def test_label_colours_come_from_the_schema_then_displacy_then_a_palette() -> None:
    schema = Schema.from_dict(
        {
            "entities": [
                {"label": "GPE"},
                {"label": "TECHNOLOGY"},
                {"label": "PERSON", "colour": "#123abc"},
            ]
        }
    )
    assert label_colours(schema) == {"GPE": "#feca74", "TECHNOLOGY": "#f7b2d9", "PERSON": "#123abc"}


def test_a_colour_that_is_not_css_hex_is_refused() -> None:
    with pytest.raises(NewscorpusError) as err:
        Schema.from_dict(
            {"entities": [{"label": "GPE", "colour": "red;background:url(x)"}]}, where="s.yaml"
        )
    assert str(err.value) == (
        "s.yaml: E003 entity GPE: colour is 'red;background:url(x)'; a colour is a CSS hex "
        'value such as "#7aecec" or "#fc0". Quote it in the YAML (colour: "#7aecec"), or '
        "remove the key for the default."
    )


# --- the site ----------------------------------------------------------------------------------


@pytest.fixture
def seed_site(seed_project: Path, tmp_path: Path) -> Path:
    site = tmp_path / "site"
    code, out, err = run(seed_project, "view", "--out", str(site))
    assert (code, err) == (0, "")
    assert out == f"wrote {site}/index.html: 1 document, 0 errors, 0 warnings\n"
    return site


def test_the_site_has_an_index_a_page_per_document_statistics_and_its_own_assets(
    seed_site: Path,
) -> None:
    assert site_files(seed_site) == [
        ".newscorpus-view",
        "assets/view.css",
        "assets/view.js",
        f"docs/{DOC}.html",
        "index.html",
        "stats.html",
    ]
    for name in ("index.html", "stats.html", f"docs/{DOC}.html"):
        html = _page(seed_site, name)
        # Nothing from the network, no inline script: only the site's own two files.
        assert re.findall(r'(?:src|href)="([^"#]*\.(?:js|css))"', html) in (
            ["assets/view.css", "assets/view.js"],
            ["../assets/view.css", "../assets/view.js"],
        )
        assert "://" not in re.sub(r'xmlns(:xlink)?="http://www.w3.org/[^"]*"', "", html)
        assert "<script>" not in html


def test_index_lists_each_document_with_split_counts_and_status(seed_site: Path) -> None:
    index = _page(seed_site, "index.html")
    (row,) = re.findall(r"<tr data-split=.*?</tr>", index)
    assert row == (
        f'<tr data-split="train"><td><a href="docs/{DOC}.html">{DOC}</a></td><td>India and Japan '
        "finalize a historic agreement to strengthen collaboration on 5G tech</td>"
        "<td>5G Technology</td><td>train</td>"
        '<td><span class="total">89</span> <span class="by-label">EVENT 4, GPE 27, INITIATIVE 7, '
        "LOC 8, NORP 7, ORG 13, PERSON 9, TECHNOLOGY 14</span></td>"
        '<td><span class="total">35</span> <span class="by-label">agreement_with 2, alias_of 5, '
        "based_in 3, cooperates_on 14, located_in 1, participates_in 4, proposed 3, "
        'restricts 1, role_in 2</span></td><td><span class="ok">ok</span></td>'
        '<td><span class="ok">ok</span></td></tr>'
    )


def test_document_page_highlights_entities_nested_ones_inside(seed_site: Path) -> None:
    page = _page(seed_site, f"docs/{DOC}.html")
    assert page.count('class="ent"') == 89
    assert (
        '<span id="e-T1" class="ent" data-id="T1" tabindex="0" title="T1 GPE [0, 5) gold" '
        'style="--c:#feca74">India<span class="lab" aria-hidden="true">GPE</span></span>'
    ) in page
    # "Indo-Pacific Oceans Initiative" holds "Indo-Pacific Oceans", which holds "Indo-Pacific".
    nested = re.search(r'<span id="e-T26".*?pillar<span class="lab"', page)
    assert nested is not None
    assert re.findall(r'id="e-(T\d+)"', nested.group()) == ["T26", "T27", "T28", "T29"]


def test_document_page_shows_relations_as_arcs_and_a_linked_table(seed_site: Path) -> None:
    page = _page(seed_site, f"docs/{DOC}.html")
    assert page.count('class="displacy-arc"') == 35
    assert '<tr id="r-R1"><td>R1</td><td>agreement_with</td>' in page
    row = re.search(r'<tr id="r-R1">.*?</tr>', page)
    assert row is not None and row.group() == (
        '<tr id="r-R1"><td>R1</td><td>agreement_with</td><td><a href="#e-T1">T1</a> GPE '
        '&ldquo;India&rdquo;</td><td><a href="#e-T2">T2</a> GPE &ldquo;Japan&rdquo;</td>'
        "<td>gold</td><td></td></tr>"
    )


def test_raw_text_marks_every_normalisation_edit(seed_site: Path, seed_project: Path) -> None:
    from newscorpus.corpus import load_article
    from newscorpus.normalise import normalise

    raw = load_article(load_project(seed_project), DOC).raw
    edits = normalise(raw).edits
    page = _page(seed_site, f"docs/{DOC}.html")
    rules = re.findall(r'class="edit" data-rule="([a-z_]+)"', page)
    assert sorted(rules) == sorted(e.rule for e in edits)
    assert (
        '<span class="edit" data-rule="site_boilerplate" title="site_boilerplate [0, 20) '
        '&#x27;Lost your password?\\n&#x27; -&gt; &#x27;&#x27;">Lost·your·password?↵\n</span>'
    ) in page


def test_stats_page_has_its_plots(seed_site: Path) -> None:
    stats = _page(seed_site, "stats.html")
    assert re.findall(r'<figure class="chart" id="([a-z-]+)">', stats) == [
        "entities-per-label",
        "relations-per-label",
        "argument-pairs",
        "entity-lengths",
        "edits-per-rule",
    ]
    assert "<title>GPE, train: 27</title>" in stats
    assert "<title>agreement_with: GPE \u2192 GPE, relations: 2</title>" in stats
    assert stats.count("<svg") == 5


def test_the_same_corpus_gives_the_same_bytes(seed_project: Path, tmp_path: Path) -> None:
    run(seed_project, "view", "--out", str(tmp_path / "a"))
    run(seed_project, "view", "--out", str(tmp_path / "b"))
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_the_edits_remembered_by_validate_give_the_same_site_without_normalising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscorpus.normalise
    from newscorpus.cache import CACHE_DIR

    project = small_project(tmp_path / "proj")
    shutil.rmtree(project.root / CACHE_DIR)  # what `add` remembered
    cold = tmp_path / "cold"
    assert run(project.root, "view", "--no-cache", "--out", str(cold))[0] == 0
    assert not (project.root / CACHE_DIR).exists()
    assert run(project.root, "validate")[0] == 0  # remembers each raw text's normalisation
    normalised: list[str] = []
    real = newscorpus.normalise.normalise

    def counted(raw: str, rules: Sequence[str] | None = None) -> newscorpus.normalise.Normalised:
        normalised.append(raw)
        return real(raw, rules)

    monkeypatch.setattr(newscorpus.normalise, "normalise", counted)
    warm = tmp_path / "warm"
    assert run(project.root, "view", "--out", str(warm))[0] == 0
    assert normalised == []
    assert tree_digest(warm) == tree_digest(cold)
    # A text.txt that is no longer the normaliser's output is still found stale (E214).
    text = project.root / "corpus" / "huawei-ban" / "text.txt"
    text.write_text(text.read_text("utf-8").replace("blocked", "banned"), "utf-8")
    stale = tmp_path / "stale"
    assert run(project.root, "view", "--out", str(stale)) == (
        0,
        f"wrote {stale}/index.html: 3 documents, 2 errors, 1 warnings\n",
        "",
    )
    assert len(normalised) == 1
    assert "E214" in (stale / "docs" / "huawei-ban.html").read_text("utf-8")


def test_everything_from_articles_and_annotations_is_escaped(
    seed_project: Path, tmp_path: Path
) -> None:
    add_hostile(load_project(seed_project))
    site = tmp_path / "site"
    code, out, _ = run(seed_project, "view", "--out", str(site))
    assert (code, out) == (0, f"wrote {site}/index.html: 2 documents, 1 errors, 0 warnings\n")
    for name in ("index.html", "stats.html", f"docs/{HOSTILE}.html"):
        html = _page(site, name)
        for raw in ("<script>alert", "<img", "<b>", "<b onmouseover", 'href="javascript'):
            assert raw not in html, (name, raw)
    page = _page(site, f"docs/{HOSTILE}.html")
    assert "<title>Breaking &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page.replace('"&gt;', "&quot;&gt;")
    assert "<td>&lt;img src=x onerror=alert(3)&gt; &amp; &quot;note&quot;</td>" in page
    assert f"<dt>url</dt><dd>{HOSTILE_URL}</dd>" in page
    # The issue about the bad label points at its span.
    assert '<li class="error"><code>E109</code> <a href="#e-T2">T2</a>' in page
    assert HOSTILE_NOTE not in page and HOSTILE_LABEL not in page
    index = _page(site, "index.html")
    assert '<span class="error">1 error: E109</span>' in index


def test_annotations_with_errors_are_shown_as_far_as_they_can_be_read(
    seed_project: Path, tmp_path: Path
) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][0]["start"] = "0"  # T1: E106
    data["entities"][1]["end"] = 10_000  # T2: E112, outside the text
    path.write_text(json.dumps(data), "utf-8")
    site = tmp_path / "site"
    assert run(seed_project, "view", "--out", str(site))[0] == 0
    page = _page(site, f"docs/{DOC}.html")
    assert 'id="e-T1"' not in page and 'id="e-T2"' not in page and 'id="e-T3"' in page
    assert '<tr id="row-T2" class="issue">' in page
    assert re.findall(r"<code>(E\d+)</code>", page) == ["E106", "E112"]


def test_a_list_label_is_an_issue_on_the_page_not_a_traceback(
    seed_project: Path, tmp_path: Path
) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][0]["label"] = ["GPE"]
    path.write_text(json.dumps(data), "utf-8")
    site = tmp_path / "site"
    code, out, _ = run(seed_project, "view", "--out", str(site))
    assert (code, out) == (0, f"wrote {site / 'index.html'}: 1 document, 1 errors, 0 warnings\n")
    assert re.findall(r"<code>(E\d+)</code>", _page(site, f"docs/{DOC}.html")) == ["E106"]


@pytest.mark.parametrize("kind", ["folder", "dangling link"])
def test_an_annotation_path_that_is_no_file_is_an_error_as_validate_says(
    seed_project: Path, tmp_path: Path, kind: str
) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    path.unlink()
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "gone.json")
    site = tmp_path / "site"
    code, out, _ = run(seed_project, "view", "--out", str(site))
    assert (code, out) == (0, f"wrote {site / 'index.html'}: 1 document, 1 errors, 0 warnings\n")
    assert run(seed_project, "validate")[0] == 1


def test_view_of_some_documents_and_refusals(seed_project: Path, tmp_path: Path) -> None:
    small = small_project(tmp_path / "small")
    site = tmp_path / "site"
    code, out, _ = run(small.root, "view", "--out", str(site), "huawei-ban", "agreement")
    assert (code, out) == (0, f"wrote {site}/index.html: 2 documents, 0 errors, 0 warnings\n")
    assert site_files(site)[3:5] == ["docs/agreement.html", "docs/huawei-ban.html"]
    code, _, err = run(small.root, "view", "--out", str(site), "nope")
    assert (code, err) == (
        1,
        "error: E213 no article with document id 'nope' in corpus/. Pass ids of stored articles "
        "(folders of the corpus), or no id to view every document.\n",
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine", "utf-8")
    code, _, err = run(small.root, "view", "--out", str(other))
    assert (code, err) == (
        1,
        f"error: {other}: E051 {other} exists and is not a site written by `newscorpus view`, "
        "so it is not replaced. Pass another folder with --out, or remove this one first.\n",
    )
    assert site_files(other) == ["keep.txt"]


def test_a_consistency_check_shows_in_the_index_and_on_the_page(
    seed_project: Path, tmp_path: Path
) -> None:
    class Check:
        def __init__(self, project: Project) -> None:
            self.name = project.name

        def for_document(
            self, doc_id: str, text: str | None, mentions: Sequence[Mention]
        ) -> list[Issue]:
            assert text is not None and text.startswith("India and Japan")
            assert [m.id for m in mentions][:2] == ["T1", "T2"]
            message = f"<T1> in {self.name} is labelled two ways."
            return [Issue("W170", "warning", "annotations/x.json", message, "", "T1")]

    def check(project: Project) -> Check:
        return Check(project)

    result = build_site(load_project(seed_project), tmp_path / "site", consistency=check)
    assert result.documents == 1
    index = _page(tmp_path / "site", "index.html")
    assert '<td><span class="warning">1 warning: W170</span></td></tr>' in index
    page = _page(tmp_path / "site", f"docs/{DOC}.html")
    assert (
        '<section id="consistency"><h2>Consistency</h2>\n<ul class="issues">\n'
        '<li class="warning"><code>W170</code> <a href="#e-T1">T1</a> <span class="where">'
        "annotations/x.json</span> &lt;T1&gt; in test-corpus is labelled two ways."
    ) in page


# --- changes -----------------------------------------------------------------------------------


def _relabel_5g(project: Path) -> None:
    path = project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][2]["label"] = "ORG"  # T3 "5G"
    data["relations"] = [r for r in data["relations"] if r["id"] not in ("R2", "R3")]
    path.write_text(json.dumps(data), "utf-8")


def test_diff_against_a_build_shows_what_newscorpus_diff_reports(
    seed_project: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    assert run(seed_project, "build", "--out", str(old))[0] == 0
    _relabel_5g(seed_project)
    site = tmp_path / "site"
    code, out, _ = run(seed_project, "view", "--out", str(site), "--diff", str(old))
    assert code == 0
    assert out.splitlines()[1] == f"changes since {old}: {site}/diff.html (documents +0 -0 ~1)"
    summary = _main(_page(site, "diff.html"))
    assert (
        "0.1.0 \u2192 0.1.0 (on disk): documents +0 \u22120 ~1; entities +0 \u22120 relabelled "
        "1; relations +0 \u22122 relabelled 0"
    ) in summary
    page = _page(site, f"diff/{DOC}.html")
    assert (
        '<span class="ent relabel" title="relabelled T3 TECHNOLOGY -&gt; ORG [77, 79)" '
        'style="--c:#7aecec">5G<span class="lab" aria-hidden="true">TECHNOLOGY \u2192 ORG'
        "</span></span>"
    ) in page
    assert re.findall(r'<li class="del">(.*?)</li>', page) == [
        "\u2212 cooperates_on: &quot;India&quot;@0 \u2192 &quot;5G&quot;@77",
        "\u2212 cooperates_on: &quot;Japan&quot;@10 \u2192 &quot;5G&quot;@77",
    ]
    assert page.count('class="displacy-arc"') == 2


def test_diff_against_a_git_revision_reads_the_old_annotations_from_git(
    seed_project: Path, tmp_path: Path
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Huawei tests 6G\n\nHuawei tests 6 G in Shenzhen.", encoding="utf-8")
    assert run(seed_project, "add", str(story), "--id", "old-story")[0] == 0
    git(seed_project, "init", "-q")
    git(seed_project, "add", "-A")
    git(seed_project, "commit", "-q", "-m", "seed")
    _relabel_5g(seed_project)
    shutil.rmtree(seed_project / "corpus" / "old-story")
    assert run(seed_project, "add", str(story), "--id", "new-story")[0] == 0
    site = tmp_path / "site"
    code, out, _ = run(seed_project, "view", "--out", str(site), "--diff", "HEAD")
    assert code == 0
    assert out.splitlines()[1] == f"changes since HEAD: {site}/diff.html (documents +1 -1 ~1)"
    summary = _main(_page(site, "diff.html"))
    assert "entities +0 \u22120 relabelled 1; relations +0 \u22122 relabelled 0" in summary
    assert re.findall(r"<li class=.*?</li>", summary) == [
        '<li class="add">+ <a href="docs/new-story.html">new-story</a> (train)</li>',
        '<li class="del">\u2212 old-story (train)</li>',
        f'<li class="relabel">~ <a href="diff/{DOC}.html">{DOC}</a> entities +0 \u22120 ~1, '
        "relations +0 \u22122 ~0</li>",
    ]
    code, _, err = run(seed_project, "view", "--out", str(site), "--diff", "no-such-rev")
    assert (code, err) == (
        2,
        "error: E050 --diff 'no-such-rev' is neither a build folder (with manifest.json) nor a "
        "git revision of the project's repository. Pass a folder written by `newscorpus build`, "
        "or a commit, branch or tag (e.g. HEAD~1, main).\n",
    )


# --- serving -----------------------------------------------------------------------------------


def test_serve_binds_loopback_only_and_serves_the_site(seed_site: Path) -> None:
    server = make_server(seed_site, 0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as reply:
            assert reply.read() == (seed_site / "index.html").read_bytes()
        with pytest.raises(NewscorpusError) as err:
            make_server(seed_site, port)
        assert str(err.value) == (
            f"E052 cannot serve on 127.0.0.1:{port}: Address already in use. Choose another port "
            "with --port N (or --port 0 for any free one)."
        )
    finally:
        server.shutdown()
        server.server_close()


def test_view_is_documented_in_the_help(empty_project: Path) -> None:
    project = empty_project
    code, out, _ = run(project, "view", "--help")
    assert code == 0
    assert "--diff OLD_BUILD_OR_GIT_REV" in out and "--serve" in out and "--port" in out


def test_view_serve_prints_its_loopback_address_and_serves_until_stopped(
    seed_project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    command = [str(Path(sys.executable).parent / "newscorpus"), "--root", str(seed_project), "view"]
    server = subprocess.Popen(
        [*command, "--out", str(site), "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == (
            f"wrote {site}/index.html: 1 document, 0 errors, 0 warnings\n"
        )
        line = server.stdout.readline()
        found = re.fullmatch(r"serving on http://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops\)\n", line)
        assert found is not None, line
        url = f"http://127.0.0.1:{found[1]}/docs/{DOC}.html"
        with urllib.request.urlopen(url, timeout=10) as reply:
            assert reply.read() == (site / "docs" / f"{DOC}.html").read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)
