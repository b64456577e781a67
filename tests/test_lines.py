"""WordCharNgrams, the text model's fast char n-gram counter, gives exactly what scikit-learn's vectorizers give."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import Pipeline

from features.lines import WordCharNgrams

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
    return (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("ngram_range", [(3, 4), (1, 3), (2, 5), (3, 3)])
@pytest.mark.parametrize("min_df", [1, 2])
def test_char_ngrams_cut_per_word_equal_countvectorizer_char_wb(ngram_range, min_df):
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=min_df, dtype=np.float32)
    fast = WordCharNgrams(vectorizer).fit(pd.Series(LINES))
    reference = vectorizer.fit(LINES)
    assert list(fast.get_feature_names_out()) == list(reference.get_feature_names_out())
    for lines in (LINES, UNSEEN, [], [""]):
        assert same_matrix(fast.transform(pd.Series(lines, dtype=object)), reference.transform(lines))


def test_char_ngrams_keep_the_vocabulary_limits():
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(3, 4), max_features=25, dtype=np.float32)
    fast = WordCharNgrams(vectorizer).fit(LINES)
    reference = vectorizer.fit(LINES)
    assert len(fast.get_feature_names_out()) == 25
    assert same_matrix(fast.transform(LINES + UNSEEN), reference.transform(LINES + UNSEEN))


def test_char_ngrams_then_tfidf_equal_tfidfvectorizer():
    parameters = dict(analyzer="char_wb", ngram_range=(3, 4), dtype=np.float32)
    fast = Pipeline([("counts", WordCharNgrams(CountVectorizer(**parameters))), ("tfidf", TfidfTransformer(sublinear_tf=True))])
    reference = TfidfVectorizer(sublinear_tf=True, **parameters)
    # Compared after fit, as training uses them: CountVectorizer.fit_transform leaves each
    # row's terms in first-seen order, so its TF-IDF norms may differ in the last bit.
    fast.fit(LINES)
    reference.fit(LINES)
    assert np.array_equal(fast.named_steps["tfidf"].idf_, reference.idf_)
    for lines in (LINES, UNSEEN):
        assert same_matrix(fast.transform(lines), reference.transform(lines))


def test_char_ngrams_refuse_other_analyzers():
    with pytest.raises(ValueError, match="char_wb"):
        WordCharNgrams(CountVectorizer(analyzer="char", ngram_range=(3, 4))).fit(LINES)


def test_only_later_copies_of_a_line_on_the_same_page_are_marked():
    from features.lines import LineStats
    from features.segment import segment_text

    caption = "A man walks past a house damaged during clashes, September 29, 2020. /Xinhua"
    first = segment_text(f"Headline of the story\n{caption}\nThe first paragraph.\n{caption}\n{caption}").assign(page=0)
    second = segment_text(f"{caption}\nAnother page's own paragraph.").assign(page=1)
    lines = pd.concat([first, second], ignore_index=True)
    stats = LineStats(html=False).fit(lines)
    later = stats.transform(lines)[:, list(stats.get_feature_names_out()).index("later_copy")]
    assert later.tolist() == [0, 0, 0, 1, 1, 0, 0]
