"""The fast counter (TokenCounts) gives exactly what scikit-learn's vectorizer gives, TF-IDF
blocks scored from their counts give what their matrices give, and the character counts give
what the regular expressions they stand for find."""

import pickle
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline

import boilerline.model
from boilerline import artifact
from boilerline.estimators import StructureTokens, TokenCounts, UniqueRows
from boilerline.lines import (
    COUNTED_WORD,
    NOTICE_PHRASES,
    character_counts,
    notice_counts,
    word_counts,
)
from boilerline.model import block_scores, hand_crafted_rows, term_counts, tfidf_scores

COUNTS_COMPILED = boilerline.segment.compiled_module("_counts") is not None


@pytest.fixture(params=["compiled", "numpy"])
def counts_code(request, monkeypatch):
    """Runs a test with the compiled character and word counts, then with numpy's."""
    if request.param == "numpy":
        monkeypatch.setattr(boilerline.lines, "_compiled_counts", lambda: None)
    elif not COUNTS_COMPILED:
        pytest.skip("the compiled counts are not built")
    assert boilerline.lines.counts_in_use() == request.param
    return request.param


LINES = [
    "The river was covered in 1962 and opened again in 2021.",
    "the RIVER, the river; the river!",
    "",
    "   ",
    "  leading and trailing spaces  ",
    "tabs\tand\t\tnew\nlines\r\nand\x0bvertical\x0cfeeds",
    "no-break\xa0space and em\u2003space and ideographic\u3000space",
    "a b c I à",
    "Ünïcödé naïve café Straße ΣΊΣΥΦΟΣ İstanbul",
    "日本語のテキスト 中文 한국어",
    "emoji 🎉🎉 party 🦀 crab",
    "nul\x00inside a word",
    "supercalifragilisticexpialidocious " * 3,
    "Home | About | Contact | Home",
]
UNSEEN = ["A river unseen before", "ΣΊΣΥΦΟΣ café 🎉", "", "zzzz qqqq", "\t\t"]


def same_matrix(a, b) -> bool:
    """Equal in shape, dtype, stored order and values: what makes later float sums equal too."""
    a, b = a.tocsr(), b.tocsr()
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


@pytest.mark.parametrize(
    "parameters",
    [
        dict(token_pattern=r"(?u)\b\w+\b"),
        dict(token_pattern=r"\S+", lowercase=False),
        dict(min_df=2),
        dict(max_features=12, strip_accents="unicode"),
        dict(analyzer=str.split, token_pattern=None, lowercase=False),
    ],
)
def test_token_counts_equal_countvectorizer(parameters):
    vectorizer = CountVectorizer(dtype=np.float32, **parameters)
    fast = TokenCounts(vectorizer).fit(pd.Series(LINES))
    reference = vectorizer.fit(LINES)
    if vectorizer.max_features is not None:  # the same terms but for ties, which go to the first in alphabetical order
        reference = CountVectorizer(dtype=np.float32, vocabulary=most_frequent_terms(vectorizer, LINES), **parameters).fit(LINES)
    assert list(fast.get_feature_names_out()) == list(reference.get_feature_names_out())
    for lines in (LINES, UNSEEN, LINES[::-1] + LINES, [], [""]):
        assert same_matrix(fast.transform(pd.Series(lines, dtype=object)), reference.transform(lines))


def most_frequent_terms(vectorizer, lines) -> list[str]:
    """The vectorizer's max_features most frequent terms, ties to the first in alphabetical order."""
    counts = CountVectorizer(**(vectorizer.get_params() | {"max_features": None})).fit(lines)
    frequency = dict(zip(counts.get_feature_names_out(), np.asarray(counts.transform(lines).sum(axis=0)).ravel()))
    return sorted(sorted(frequency, key=lambda term: (-frequency[term], term))[: vectorizer.max_features])


def test_the_most_frequent_terms_kept_do_not_depend_on_how_ties_are_sorted():
    # 30 terms seen once each: which 10 are kept is decided by their order alone.
    lines = [f"term{k:02d}" for k in range(30)][::-1] + ["common common", "common"]
    fast = TokenCounts(CountVectorizer(token_pattern=r"(?u)\b\w+\b", max_features=11)).fit(pd.Series(lines))
    assert list(fast.get_feature_names_out()) == ["common"] + [f"term{k:02d}" for k in range(10)]
    assert fast.transform(pd.Series(["term03 common term29"])).toarray().tolist() == [[1, 0, 0, 0, 1] + [0] * 6]


def test_word_counts_by_hash_equal_countvectorizer_on_random_unicode(counts_code):
    # The default token pattern is counted from hashes of the words' characters (counts_of_words):
    # lines whose lowercase is longer (İ), with line breaks inside, in scripts without spaces.
    rng = random.Random(5)
    alphabet = list("aAbB zZ9_ .,'\n\tİΣσς中文のテー🎉𝔘\u0301\u00a0") + [chr(rng.randrange(0x20, 0x3000)) for _ in range(200)]
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3_000)]
    vectorizer = CountVectorizer(token_pattern=r"(?u)\b\w+\b", dtype=np.float32, min_df=2)
    fast = TokenCounts(vectorizer).fit(pd.Series(lines[:2_000]))
    reference = vectorizer.fit(lines[:2_000])
    assert fast._counts_words()
    assert same_matrix(fast.transform(pd.Series(lines, dtype=object)), reference.transform(lines))


def test_the_words_hashes_are_not_saved_with_the_model():
    fast = TokenCounts(CountVectorizer(token_pattern=r"(?u)\b\w+\b", dtype=np.float32)).fit(pd.Series(LINES))
    counts = fast.transform(pd.Series(UNSEEN))
    assert hasattr(fast, "_vocabulary_hashes")
    loaded = pickle.loads(pickle.dumps(fast))
    assert not hasattr(loaded, "_vocabulary_hashes")
    assert same_matrix(loaded.transform(pd.Series(UNSEEN)), counts)


def test_token_counts_refuse_what_the_tokenizer_alone_does_not_do():
    for parameters in (dict(ngram_range=(1, 2)), dict(stop_words=["the"]), dict(analyzer="char")):
        with pytest.raises(ValueError, match="TokenCounts needs a callable analyzer, or"):
            TokenCounts(CountVectorizer(**parameters)).fit(LINES)


def runtime_block(columns, fitted, name="block"):
    """A fitted feature block as a model file holds it, then as the scorer reads it."""
    meta, arrays = artifact.plain_block("k", name, columns, fitted)
    return boilerline.model.runtime_block("k", meta, arrays)


@pytest.mark.parametrize("parameters", [dict(sublinear_tf=True), dict(), dict(norm="l1", smooth_idf=False), dict(norm=None)])
def test_tfidf_scored_from_counts_equals_the_matrix_product(parameters):
    texts = pd.Series(LINES + UNSEEN)
    fitted = Pipeline(
        [
            ("counts", TokenCounts(CountVectorizer(token_pattern=r"(?u)\b\w+\b", dtype=np.float32))),
            ("tfidf", TfidfTransformer(**parameters)),
        ]
    )
    fitted.fit(texts)
    block = runtime_block("text", fitted)
    weights = np.random.default_rng(0).normal(size=len(block.vocabulary))
    expected = fitted.transform(texts) @ weights
    assert tfidf_scores(term_counts(block, texts), block, weights) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert expected[LINES.index("")] == 0 and block_scores(block, texts, weights)[LINES.index("")] == 0


def test_hand_crafted_rows_are_what_the_pipeline_gives_at_once_or_a_few_rows_at_a_time(monkeypatch):
    from sklearn.preprocessing import StandardScaler

    from boilerline.estimators import LineStats
    from boilerline.segment import segment_html, segment_text

    text = segment_text("Title\n\nA first paragraph, with words.\nMenu | Home\n\nLast line!")
    html = (
        pd.concat(
            [
                segment_html(page)
                for page in (
                    "<nav><a href=/>Home</a> <a href=/a>About</a></nav><main><h1>A title</h1><p>A paragraph of the article, with <a href=/x>a link</a>.</p><p>Another one.</p></main>",
                    "<div class=post><p>One paragraph on a second page.</p><ul><li>an item</li><li>another item</li></ul></div><footer>Footer text</footer>",
                )
            ],
            keys=[0, 1],
            names=["page", None],
        )
        .reset_index(level=0)
        .reset_index(drop=True)
    )
    blocks = [
        (text.assign(page=0), Pipeline([("lines", LineStats(html=False)), ("scale", scaler)]))
        for scaler in (StandardScaler(copy=False), StandardScaler(copy=False, with_mean=False))
    ]
    blocks += [(html, Pipeline([("lines", LineStats(html=True)), ("scale", StandardScaler(copy=False))]))]
    for lines, fitted in blocks:
        expected = fitted.fit(lines).transform(lines)
        block = runtime_block(list(lines.columns), fitted, "stats")
        assert np.array_equal(hand_crafted_rows(block, lines)(slice(0, len(lines))), expected)
        with monkeypatch.context() as patch:  # a frame over HAND_CRAFTED_ROWS: its rows made as they are asked for
            patch.setattr(boilerline.model, "HAND_CRAFTED_ROWS", 2)
            rows_of = hand_crafted_rows(block, lines)
            assert np.array_equal(np.vstack([rows_of(slice(start, start + 3)) for start in range(0, len(lines), 3)]), expected)


def test_a_structure_block_scores_each_line_as_its_matrix_does():
    lines = pd.DataFrame(
        {
            "tag": ["p", "li", "li", "p", "a"],
            "path": ["html body div", "html body ul", "html body ul", "html body div", "html body nav"],
            "attrs": ["post-content main", "menu-item menu", "menu-item menu", "post-content main", "nav unseen-token"],
        }
    )
    fitted = Pipeline(
        [
            ("tokens", StructureTokens()),
            ("counts", UniqueRows(TokenCounts(CountVectorizer(analyzer=str.split, token_pattern=None, lowercase=False, dtype=np.float32)))),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    ).fit(lines.iloc[:3])
    weights = np.random.default_rng(1).normal(size=len(fitted.get_feature_names_out()))
    scores = block_scores(runtime_block(["tag", "path", "attrs"], fitted), lines, weights)
    assert scores == pytest.approx(fitted.transform(lines) @ weights, rel=1e-5, abs=1e-6)
    assert scores[0] == scores[3] and scores[1] == scores[2] and scores[0] != scores[1]


def test_only_later_copies_of_a_line_on_the_same_page_are_marked():
    from boilerline.estimators import LineStats
    from boilerline.segment import segment_text

    caption = "A man walks past a house damaged during clashes, September 29, 2020. /Xinhua"
    first = segment_text(f"Headline of the story\n{caption}\nThe first paragraph.\n{caption}\n{caption}").assign(page=0)
    second = segment_text(f"{caption}\nAnother page's own paragraph.").assign(page=1)
    lines = pd.concat([first, second], ignore_index=True)
    stats = LineStats(html=False).fit(lines)
    later = stats.transform(lines)[:, list(stats.get_feature_names_out()).index("later_copy")]
    assert later.tolist() == [0, 0, 0, 1, 1, 0, 0]


def flags_by_line(lines: pd.DataFrame, prefix: str, names: tuple) -> dict[str, set]:
    """For each line's text, which of the hand-crafted signals `prefix + name` are set."""
    from boilerline.estimators import LineStats

    stats = LineStats().fit(lines)
    rows, columns = stats.transform(lines), list(stats.get_feature_names_out())
    return {text: {name for name in names if rows[i, columns.index(prefix + name)]} for i, text in enumerate(lines["text"])}


def test_lines_inside_html5_sections_are_marked_however_deep():
    from boilerline.estimators import LineStats
    from boilerline.lines import SECTION_TAGS
    from boilerline.segment import segment_html

    deep = "<div>" * 20 + "<p>A paragraph twenty elements further down.</p>" + "</div>" * 20
    html = (
        "<body><header><nav><div><div><div><ul><li><a href='/'>Home</a></li></ul></div></div></div></nav></header>"
        "<main><article><div><div><div><div><p>The story itself, six elements down.</p></div></div></div></div>"
        f"{deep}</article><aside><p>Related reading</p></aside></main><form><label>Email</label></form>"
        "<footer><p>© 2024 Example</p></footer><div><p>Outside every section</p></div></body>"
    )
    lines = segment_html(html).assign(page=0)
    assert lines["sections"].tolist() == ["header nav", "main article", "main article", "main aside", "form", "footer", ""]
    assert flags_by_line(lines, "inside_", SECTION_TAGS) == {
        "Home": {"header", "nav"},
        "The story itself, six elements down.": {"main", "article"},
        "A paragraph twenty elements further down.": {"main", "article"},
        "Related reading": {"main", "aside"},
        "Email": {"form"},
        "© 2024 Example": {"footer"},
        "Outside every section": set(),
    }
    assert not any(name.startswith("inside_") for name in LineStats(html=False).fit(lines).get_feature_names_out())


def test_lines_under_aria_roles_are_marked_however_deep():
    from boilerline.lines import ROLE_NAMES
    from boilerline.segment import segment_html

    html = (
        "<body><div role='banner'><div role='navigation'><div><div><div><ul><li><a href='/'>Home</a></li></ul></div></div></div></div></div>"
        "<div role='main'><div><div><div><div><p>The story itself, five elements down.</p></div></div></div></div>"
        "<div role='dialog' aria-modal='true'><p>We use cookies.</p><button>Accept</button></div></div>"
        "<div role='contentinfo'><div role='search'><input><button>Search</button></div></div><p>Outside every role</p></body>"
    )
    lines = segment_html(html).assign(page=0)
    assert lines["roles"].tolist() == ["banner navigation", "main", "main dialog", "main dialog", "contentinfo search", ""]
    assert flags_by_line(lines, "role_", ROLE_NAMES) == {
        "Home": {"banner", "navigation"},
        "The story itself, five elements down.": {"main"},
        "We use cookies.": {"main", "dialog"},
        "Accept": {"main", "dialog"},
        "Search": {"contentinfo", "search"},
        "Outside every role": set(),
    }


def counts_by_regular_expressions(text: str, stopwords: frozenset) -> tuple:
    words = COUNTED_WORD.findall(text.lower())
    return (
        len(words),
        sum(map(len, words)),
        sum(word in stopwords for word in words),
        len(re.findall(r"[^\w\s]", text)),
        len(re.findall(r"\d", text)),
        len(re.findall(r"[A-ZÀ-Ý]", text)),
        text.count("|"),
        bool(re.search(r"[.!?…:;\"'”’)。！？．｡」』）：；]$", text)),
        text[:1].isupper(),
        bool(re.match(r"^[•·\-*–—►▶✓✔]\s", text)),
    )


def test_character_counts_equal_the_regular_expressions_they_stand_for(counts_code):
    rng = random.Random(3)
    # Cases, digits and spaces beyond ASCII; combining marks; letters whose lowercase is longer (İ)
    # or depends on the next letter (Σ); characters outside the BMP; replacement characters.
    # Chinese and Japanese, whose every character is a word, beside the punctuation they end sentences with.
    alphabet = list("aZ9_ .,!?;:'\"|)•·-*–—►▶✓✔ÀÝ×ßİΣσςẞ\u00a0\u2003\u0660١²½ⅷ\u0301\ufffd🎉𝔘ı中文のテ々ー・ｶ。！」\U00020000") + [
        chr(rng.randrange(0x20, 0x3000)) for _ in range(300)
    ]
    lines = LINES + [" ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))).split()) for _ in range(5_000)]
    lines = [line for line in lines if "\n" not in line]  # a line never holds one: whitespace is collapsed
    stopwords = frozenset({"the", "and", "in", "σίσυφος", "i̇stanbul", "straße"})
    counts = character_counts(lines, stopwords)
    assert [tuple(row) for row in counts.tolist()] == [counts_by_regular_expressions(line, stopwords) for line in lines]
    assert character_counts([], stopwords).shape == (0,)
    assert word_counts(lines).tolist() == [len(COUNTED_WORD.findall(line)) for line in lines]


def test_each_chinese_or_japanese_character_is_a_word_and_their_full_stop_ends_a_sentence(counts_code):
    # Written without spaces, a sentence would otherwise be one word of 40 letters: a line
    # no prose in the training pages looks like.
    lines = ["科学家在南极冰层下发现了新的微生物。", "今日は高尾山へ行きました！", "2024年3月 Hello世界", "中文 English 한국어"]
    counts = character_counts(lines)
    assert counts["words"].tolist() == [17, 12, 7, 4]
    assert counts["ends_sentence"].tolist() == [True, True, False, False]
    assert word_counts(lines).tolist() == [17, 12, 7, 4]


NOTICES = [
    "By continuing to browse you AGREE to our use of Cookies and our Privacy Policy.",
    "Content is automatically generated. CGTN is not responsible for any of the translations.",
    "© 2024 Example. All rights reserved.",
    "The river rose by a foot overnight.",
    "Cookie",
    "s and cream",
    "",
]


def test_notice_phrases_are_counted_in_any_case_and_only_within_their_line():
    assert notice_counts(NOTICES).tolist() == [4, 1, 2, 0, 1, 0, 0]
    assert notice_counts([]).shape == (0,)


def test_notice_counts_in_chunks_equal_the_regular_expression_line_by_line(monkeypatch):
    phrases = re.compile("|".join(map(re.escape, NOTICE_PHRASES)))
    lines = NOTICES * 30 + [line.upper() for line in LINES if "\n" not in line]
    monkeypatch.setattr("boilerline.lines.CHARACTER_CHUNK", 50)
    assert notice_counts(lines).tolist() == [len(phrases.findall(line.lower())) for line in lines]


def test_only_the_text_model_reads_notice_phrases():
    from boilerline.estimators import LineStats
    from boilerline.segment import segment_text

    lines = segment_text("\n".join(NOTICES)).assign(page=0)
    text_stats, html_stats = LineStats(html=False).fit(lines), LineStats(html=True).fit(lines)
    notices = text_stats.transform(lines)[:, list(text_stats.get_feature_names_out()).index("notice_phrases")]
    assert notices.tolist() == [4, 1, 2, 0, 1, 0]
    assert "notice_phrases" not in html_stats.get_feature_names_out()


def test_character_counts_in_chunks_equal_those_of_the_whole_page(counts_code, monkeypatch):
    lines = [line for line in LINES if "\n" not in line] * 50
    whole = character_counts(lines, frozenset({"the", "river"}))
    monkeypatch.setattr("boilerline.lines.CHARACTER_CHUNK", 37)  # a few lines a chunk, one if it is longer
    assert np.array_equal(character_counts(lines, frozenset({"the", "river"})), whole)
    assert word_counts(lines).tolist() == [len(COUNTED_WORD.findall(line)) for line in lines]


def test_alike_boxes_counts_the_cards_of_a_teaser_grid_not_an_articles_paragraphs():
    from boilerline.lines import alike_boxes
    from boilerline.segment import segment_html

    html = "<div class='story'><p>One paragraph.</p><p>Two paragraph.</p><p>Three.</p></div>" + "".join(
        f"<div class='card'><h3>Headline {n}</h3><p>Snippet {n}</p></div>" for n in range(5)
    )
    lines = segment_html(html)
    lines["page"] = 0
    counts = dict(zip(lines["text"], alike_boxes(lines)))
    assert counts["One paragraph."] == counts["Three."] == 1
    assert counts["Headline 0"] == counts["Snippet 4"] == 5
    two_pages = pd.concat([lines, lines.assign(page=1)], ignore_index=True)  # counted within each page
    assert alike_boxes(two_pages).tolist() == alike_boxes(lines).tolist() * 2


def test_copied_share_is_the_share_of_a_lines_word_pairs_held_higher_on_its_page(counts_code):
    from boilerline.lines import copied_share

    texts = [
        "The quick brown fox jumps over the lazy dog.",
        "Something else entirely.",
        "The quick brown fox jumps over the lazy dog today.",
        "x",
    ]
    assert copied_share(np.array([0, 0, 0, 0]), texts).round(3).tolist() == [0.0, 0.0, round(8 / 9, 3), 0.0]
    assert copied_share(np.array([0, 0, 1, 1]), texts).tolist() == [0.0, 0.0, 0.0, 0.0]  # another page's lines are not copied


def structure_entries(keys, vocabulary, kept=None):
    rows, columns = boilerline.lines.structure_columns(keys, 4, vocabulary, kept)
    return [array.tolist() for array in boilerline.lines.count_entries(rows, columns, len(keys), len(vocabulary))]


def test_structure_columns_kept_from_call_to_call_are_those_made_anew(monkeypatch):
    long_token = "x" * (boilerline.lines.LONGEST_KEPT_TOKEN + 1)
    keys = [
        ("p", "html body div", f"entry-content post {long_token}"),
        ("li", "html body ul", "menu-item menu post"),
        ("a", "html body", ""),
    ]
    tokens = ["tag_p", "a1_div", "entry-content", "entry", "content", "post", "menu-item", "menu", "item", long_token, "tag_li"]
    vocabulary = {token: column for column, token in enumerate(tokens)}
    fresh = structure_entries(keys, vocabulary)
    assert sum(fresh[2]) == 13  # tag_p a1_div entry-content entry content post, long; tag_li menu-item menu item menu post
    kept = {}
    assert structure_entries(keys, vocabulary, kept) == fresh == structure_entries(keys, vocabulary, kept)  # filling it, then from it
    assert set(kept) == {"entry-content", "post", "menu-item", "menu"}  # not the long token
    monkeypatch.setattr(boilerline.lines, "STRUCTURE_TOKENS_KEPT", 3)
    assert structure_entries(keys, vocabulary, kept) == fresh and len(kept) <= 4  # cleared once over the limit, then filled again


@pytest.mark.parametrize("chunk", [500_000, 40])
def test_words_lowercased_once_for_counts_and_copies_give_what_each_makes_alone(chunk, counts_code, monkeypatch):
    monkeypatch.setattr(boilerline.lines, "CHARACTER_CHUNK", chunk)
    texts = ["The Big Story of the day", "ΟΔΟΣ and the big story", "Read more | Share", "the big story of the day", "İstanbul"]
    pages = np.array([0, 0, 0, 1, 1])
    kept = {}
    assert np.array_equal(character_counts(texts, frozenset({"the", "of"}), kept), character_counts(texts, frozenset({"the", "of"})))
    assert np.array_equal(boilerline.lines.copied_share(pages, texts, kept), boilerline.lines.copied_share(pages, texts))
    assert list(kept) == (["all"] if chunk > 100 else [])  # a run of all the lines only: a large page's runs are not held
    assert boilerline.lines.copied_share(pages, texts)[1] == pytest.approx(2 / 4)  # "the big", "big story" seen above, of 4 pairs


def counts_of_every_kind(texts: list[str], pages: np.ndarray, vocabulary: list[str]) -> list[np.ndarray]:
    """Every count the compiled module stands for, of `texts`, as arrays."""
    hashes = boilerline.lines._hashes_of_strings(vocabulary)
    order = np.argsort(hashes)
    return [
        character_counts(texts, frozenset(vocabulary[::3])),
        word_counts(texts),
        boilerline.lines.copied_share(pages, texts),
        *boilerline.lines.word_count_entries(texts, hashes[order], order.astype(np.int64), len(vocabulary)),
    ]


@pytest.mark.skipif(not COUNTS_COMPILED, reason="the compiled counts are not built")
def test_the_compiled_counts_equal_numpys_on_fixture_pages_and_random_unicode(monkeypatch):
    from boilerline.segment import segment_html

    pages = sorted(path for path in (Path(__file__).parent / "fixtures").rglob("*") if path.suffix in (".html", ".htm"))
    lines = pd.concat([segment_html(path.read_bytes()).assign(page=page) for page, path in enumerate(pages)], ignore_index=True)
    rng = random.Random(11)
    alphabet = list("aZ9_ .,|•- İΣσς中文のテ🎉𝔘\u0301\u00a0\ud800") + [chr(rng.randrange(0x20, 0x110000)) for _ in range(300)]
    odd = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3_000)]
    texts = lines["text"].tolist() + odd
    page_of = np.concatenate([lines["page"].to_numpy(), np.full(len(odd), len(pages))])
    vocabulary = sorted({word for text in texts for word in re.findall(r"\w+", text.lower())})[::2]
    # Code points never met before, which the compiled counts have `lines` fill in.
    boilerline.lines._CHARACTER_BITS[[ord(character) for character in "中Σ🎉"]] = boilerline.lines._NOT_SEEN
    compiled = counts_of_every_kind(texts, page_of, vocabulary)
    monkeypatch.setattr(boilerline.lines, "_compiled_counts", lambda: None)
    numpy = counts_of_every_kind(texts, page_of, vocabulary)
    for made, expected in zip(compiled, numpy):
        assert made.dtype == expected.dtype and np.array_equal(made, expected)
    assert len(compiled[4]) > 1_000  # words of the vocabulary found


@pytest.mark.skipif(not COUNTS_COMPILED, reason="the compiled counts are not built")
def test_the_compiled_term_counts_and_repeats_equal_numpys(monkeypatch):
    rng = np.random.default_rng(3)
    cases = []
    for trial in range(300):
        n_rows, n_columns = int(rng.integers(0, 50)), int(rng.integers(1, 40))
        rows = rng.integers(0, max(n_rows, 1), int(rng.integers(0, 400)) if n_rows else 0)
        values = rng.integers(-5, 5, int(rng.integers(0, 300))) * (2**40 if trial % 3 else 1)  # repeats, negatives, wide
        cases.append((np.sort(rows) if trial % 2 else rows, rng.integers(0, n_columns, len(rows)), n_rows, n_columns, values))
    high_bits = np.arange(3_000, dtype=np.uint64) << np.uint64(48)  # keys apart only in their high bits
    cases.append((np.zeros(0, np.int64), np.zeros(0, np.int64), 0, 1, np.concatenate([high_bits, high_bits[::7]])))

    def made(rows, columns, n_rows, n_columns, values):
        return [*boilerline.lines.count_entries(rows, columns, n_rows, n_columns), boilerline.lines.duplicated(values)]

    compiled = [made(*case) for case in cases]
    monkeypatch.setattr(boilerline.lines, "_compiled_counts", lambda: None)
    for case, by_compiled in zip(cases, compiled):
        for array, expected in zip(by_compiled, made(*case)):
            assert array.dtype == expected.dtype and np.array_equal(array, expected)
    assert sum(case[-1].any() for case in compiled) > 100  # repeats were found


@pytest.mark.parametrize("line", [None, b"bytes", 3.5])
def test_a_line_that_is_not_a_str_is_a_type_error_not_a_crash(line, counts_code):
    hashes = boilerline.lines._hashes_of_strings(["word"])
    counts = [
        lambda texts: character_counts(texts),
        word_counts,
        lambda texts: boilerline.lines.word_count_entries(texts, hashes, np.zeros(1, np.int64), 1),
    ]
    for count in counts:
        with pytest.raises(TypeError):
            count(["a word", line])


@pytest.mark.skipif(not COUNTS_COMPILED, reason="the compiled counts are not built")
def test_the_compiled_counts_refuse_arrays_of_different_lengths_rather_than_read_past_one():
    compiled = boilerline.segment.compiled_module("_counts")
    with pytest.raises(ValueError, match="4 rows but 1 columns"):
        compiled.entries(np.array([0, 1, 2, 2]), np.array([1]), 3, 4)
    hashes = np.sort(boilerline.lines._hashes_of_strings(["one", "two", "three"]))
    with pytest.raises(ValueError, match="3 words' hashes but 1 columns"):
        compiled.word_entries(["one two"], hashes, np.zeros(1, np.int64), 3)
