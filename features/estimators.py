"""The scikit-learn transformers that training fits around `boilerline.lines` (only training
needs scikit-learn: a model file keeps their numbers, and scoring uses `lines` alone).

Nothing is learned in their `fit` beyond the names and shapes scikit-learn expects, except in
TokenCounts: a faster stand-in for a CountVectorizer, which it fits and whose vocabulary it
keeps, in front of a TF-IDF step.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from .lines import LineSignals, counts_matrix, counts_of_words, factorize, hashed_vocabulary, structure_tokens, token_columns


class LineStats(TransformerMixin, BaseEstimator):
    """The hand-crafted signals of each line and of its neighbours (`LineSignals`, whose
    parameters these are: stopwords, context, html)."""

    def __init__(self, stopwords=frozenset(), context=2, html=True):
        self.stopwords = stopwords
        self.context = context
        self.html = html

    def fit(self, X, y=None):
        self.signals_ = LineSignals(self.stopwords, self.context, self.html)
        self.feature_names_out_ = np.array(self.signals_.feature_names, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def get_feature_names_out(self, input_features=None):
        return self.feature_names_out_

    def transform(self, X):
        return self.signals_.transform(X)


class StructureTokens(TransformerMixin, BaseEstimator):
    """A line's HTML origin as a string of tokens for a TF-IDF step (`structure_tokens`)."""

    def __init__(self, ancestors=4):
        self.ancestors = ancestors

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def get_feature_names_out(self, input_features=None):
        return np.array(["structure"], dtype=object)

    def transform(self, X):
        return structure_tokens(X, self.ancestors)


class UniqueRows(TransformerMixin, BaseEstimator):
    """Runs `transformer` once per distinct input row and repeats the result for duplicates.

    The lines of one menu or one article share their structure tokens: on a typical page a
    few dozen distinct rows stand for hundreds of lines. Fitting sees every row, so what is
    learned (document frequencies) is exactly what `transformer` alone would learn.
    """

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(X, y)
        return self

    def transform(self, X):
        inverse, distinct = factorize(X)
        return self.transformer_.transform(distinct)[inverse]

    def get_feature_names_out(self, input_features=None):
        return self.transformer_.get_feature_names_out(input_features)


class TokenCounts(TransformerMixin, BaseEstimator):
    """The counts of `vectorizer`, a CountVectorizer of single words, made faster.

    Fitting is the vectorizer's own, so the vocabulary (min_df, max_features) is exactly
    the one it learns alone; fitting returns its counts (each row's terms in first-seen
    order), which is what a TfidfVectorizer trains on. CountVectorizer runs five Python calls
    per line and a dictionary look-up per token. With the token
    pattern `(?u)\\b\\w+\\b` (lowercased, nothing else changed), the tokens are found and looked up
    by their hashes for all rows at once (`counts_of_words`): the same counts, faster than finding
    each row's tokens by a regular expression and looking them up once per distinct token, as other
    tokenizers' tokens are.
    """

    def __init__(self, vectorizer):
        self.vectorizer = vectorizer

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        self._check(self.vectorizer)
        # The max_features most frequent terms are kept here, not by the vectorizer: it ranks
        # terms of equal frequency by an unstable sort, whose order differs between CPUs
        # (numpy sorts with the vector instructions a CPU has), and so did the vocabulary and
        # the model trained on two machines from the same lines. Ties go to the first term in
        # alphabetical order.
        self.vectorizer_ = clone(self.vectorizer).set_params(max_features=None)
        counts = self.vectorizer_.fit_transform(X)
        limit = self.vectorizer.max_features
        if limit is not None and counts.shape[1] > limit:
            frequencies = np.asarray(counts.sum(axis=0)).ravel()
            kept = np.sort(np.lexsort((np.arange(len(frequencies)), -frequencies))[:limit])  # columns are in alphabetical order
            terms = self.vectorizer_.get_feature_names_out()[kept]
            self.vectorizer_.vocabulary_ = {term: column for column, term in enumerate(terms.tolist())}
            counts = counts[:, kept]
            counts.sort_indices()
        self.vectorizer_.set_params(max_features=limit)
        return counts

    def get_feature_names_out(self, input_features=None):
        return self.vectorizer_.get_feature_names_out()

    @staticmethod
    def _check(vectorizer):
        # Its tokens are the analyzer's, or the tokenizer's alone when it cuts no n-grams and drops no words.
        if not callable(vectorizer.analyzer) and (
            vectorizer.analyzer != "word" or vectorizer.ngram_range != (1, 1) or vectorizer.stop_words is not None
        ):
            raise ValueError(
                f"TokenCounts needs a callable analyzer, or analyzer='word', ngram_range=(1, 1) and no stop_words, not {vectorizer!r}"
            )

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_vocabulary_hashes", None)  # made again from the vocabulary when needed
        return state

    def transform(self, X):
        vectorizer = self.vectorizer_
        if self._counts_words():
            return counts_of_words(list(X), *self._hashed_vocabulary(), len(vectorizer.vocabulary_), vectorizer.dtype)
        rows, columns = token_columns(list(map(self._tokenizer(), X)), vectorizer.vocabulary_)
        return counts_matrix(rows, columns, len(X), len(vectorizer.vocabulary_), vectorizer.dtype)

    def _counts_words(self) -> bool:
        """Whether the tokens are the lowercased runs of word characters, which are counted by
        their hashes (`counts_of_words`) without making a string of each."""
        vectorizer = self.vectorizer_
        return (
            vectorizer.analyzer == "word"
            and vectorizer.token_pattern == r"(?u)\b\w+\b"
            and vectorizer.lowercase
            and vectorizer.preprocessor is None
            and vectorizer.tokenizer is None
            and vectorizer.strip_accents is None
        )

    def _hashed_vocabulary(self) -> tuple[np.ndarray, np.ndarray]:
        """`hashed_vocabulary` of the vectorizer's vocabulary, made once, on first use.
        Threads may make it at once: the same arrays, and whichever is kept is right."""
        hashed = getattr(self, "_vocabulary_hashes", None)
        if hashed is None:
            hashed = self._vocabulary_hashes = hashed_vocabulary(self.vectorizer_.vocabulary_)
        return hashed

    def _tokenizer(self):
        """The function that cuts a row into the vectorizer's tokens."""
        vectorizer = self.vectorizer_
        if callable(vectorizer.analyzer):
            return vectorizer.analyzer
        preprocess, tokenize = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
        return lambda row: tokenize(preprocess(row))
