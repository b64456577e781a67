"""Fit the line classifiers and write models/boilerplate.npz and its card.

Steps, for the HTML model and for the text-only model (side by side, a process each, when
JOBS is 2 or more; each is the same model as when trained alone):
1. Read the labelled lines (`make lines`), and the user's own pages named in TRAIN_EXTRA;
   WCXB dev pages of held-out domains are never touched here (data/split.py); WCXB's
   composite pages (data/composite.py) train beside the pages they copy. A crop of a
   quarter of the training pages joins them as short pages (`with_crops`); for the text
   model, an enciphered copy of another quarter, as pages in a language it never read
   (`with_foreign_copies`).
2. Fit the features on the training pages; score every training line out of fold (3 folds
   by site domain) with each candidate:
   - linear: SGD logistic regression over hand-crafted + TF-IDF (+ structure) features;
   - boosted: gradient boosting over the hand-crafted features plus the out-of-fold linear
     scores of each line and its neighbours.
3. On those scores, by the benchmark's page-averaged word-F1 over the WCXB training pages,
   pick the candidate, its threshold, and the decision rule (one threshold for all pages,
   or each page's own expected-F1 threshold).
4. Refit the winner on all training pages, write the model; score the held-out pages once,
   for the model card.
5. With TRAIN_EXTRA, the user's pages before (the shipped model) and after (the new model, out
   of fold), and the lines the user corrected that it still gets wrong: printed, and written to
   feedback.md beside the model (data/feedback.py).
"""

import argparse
import copy
import hashlib
import json
import multiprocessing
import os
import platform
import resource
import time
import warnings
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from boilerline.artifact import plain_model, write
from boilerline.estimators import LineStats, StructureTokens, TokenCounts, UniqueRows
from boilerline.labelfile import LabelFileError
from boilerline.lines import word_counts
from boilerline.model import (
    THRESHOLDS,
    booster_input,
    decisions,
    hand_crafted,
    neighbour_scores,
    per_page_thresholds,
    probabilities,
)
from boilerline.segment import page_order_columns
from data import settings
from data.build import LINES_DIR, load_composite_lines, load_lines, page_groups, user_lines
from data.cipher import encipher
from data.feedback import feedback_markdown, page_feedback, shipped_decisions
from data.feedback import summary as feedback_summary
from data.fetch import raw_dir
from data.metrics import words
from data.render import RENDERINGS
from data.sources import BadSpec, DatasetMissing, read_wcxb

# The text model trains and is judged on every rendering, and trains on the user's
# plain-text pages as they were given (rendering "text").
#: Where the model and its card are written [MODEL_DIR]; with TRAIN_EXTRA, a folder of your own.
MODEL_DIR = Path(os.environ.get("MODEL_DIR", settings.REPO / "models"))
FEEDBACK_FILE = "feedback.md"  # beside the model: how it does on the user's pages (data/feedback.py)
# The model the package ships: trained on the benchmarks alone, never on a user's pages.
SHIPPED_MODEL = settings.REPO / "models" / "boilerplate.npz"
#: Your own labelled pages, added to the training pages of both models [TRAIN_EXTRA]: FORMAT:PATH
#: specs separated by spaces (FORMAT: wcxb, scrapinghub, newspaper, labelled, hf; data/sources.py).
TRAIN_EXTRA = os.environ.get("TRAIN_EXTRA", "").split()
#: How many WCXB pages each of those pages weighs in training [TRAIN_EXTRA_WEIGHT]: above 1, a
#: few pages of one site teach it more surely.
TRAIN_EXTRA_WEIGHT = settings.number("TRAIN_EXTRA_WEIGHT", 1.0)

TEXT_INPUTS = (*RENDERINGS, "text")
# The models trained, each on the lines of these renderings.
KIND_INPUTS = {"html": ("html",), "text": TEXT_INPUTS}
# Each model's progress bar has a row of its own: the two train side by side.
BAR_ROW = {kind: row for row, kind in enumerate(KIND_INPUTS)}
STOPWORD_LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Polish", "Russian", "Swedish")
# Training pages are whole pages, so a line of a page of a few lines read as boilerplate
# whatever it said. Crops of pages, as short pages of their own, teach that a short page's
# prose is content and its menu is not (docs/experiments.md, "crops").
CROP_SHARE = 0.25  # of the training pages, one crop each
CROP_LINES = 12  # the longest crop
CROP_WEIGHT = 0.25  # a crop's weight, of a whole page's
# The benchmark's pages are mostly English, and a model learns their words. Copies of training
# pages in an unseen script (data.cipher) teach the text model to judge a line without its
# words; the HTML model reads the page's structure, and copies did not help it
# (docs/experiments.md, "Languages and scripts").
FOREIGN_KINDS = ("text",)
FOREIGN_SHARE = 0.25  # of the training pages, one enciphered copy each
FOREIGN_WEIGHT = 0.25  # a copy's weight, of its page's
# A composite page (data/composite.py, HTML lines only) weighs less than a page: out of fold
# 0.8826 at 0.3 against 0.8790 at 1 (docs/experiments.md, "composite pages").
COMPOSITE_WEIGHT = 0.3
STAT_COLUMNS = [
    "text",
    "page",
    "tag",
    "roles",
    "sections",
    "link_chars",
    "depth",
    "hidden",
    "pruned",
    "blank_before",
    "in_main",
    "in_article",
    "after_article",
    "path",
    "attrs",
    "position",
    "repeats",
    "box1",
    "box2",
    "box3",
]


def stopwords() -> frozenset:
    import justext

    return frozenset().union(*(justext.get_stoplist(language) for language in STOPWORD_LANGUAGES))


def feature_union(kind: str, stop: frozenset) -> ColumnTransformer:
    """The features of a model; the hand-crafted block comes first (the booster slices it)."""
    html = kind == "html"
    # The scaler may scale LineStats' fresh array in place: a copy doubled the memory of
    # the hand-crafted block on pages of many lines.
    transformers = [
        ("stats", Pipeline([("lines", LineStats(stopwords=stop, html=html)), ("scale", StandardScaler(copy=False))]), STAT_COLUMNS),
        (
            "words",
            tfidf(TokenCounts(CountVectorizer(token_pattern=r"(?u)\b\w+\b", min_df=3, max_features=40_000, dtype=np.float32))),
            "text",
        ),
    ]
    if html:
        # Structure tokens are space separated: str.split cuts them faster than a token pattern.
        structure_counts = CountVectorizer(
            analyzer=str.split, token_pattern=None, lowercase=False, min_df=5, max_features=40_000, dtype=np.float32
        )
        structure = tfidf(UniqueRows(TokenCounts(structure_counts)), ("tokens", StructureTokens()))
        transformers.append(("structure", structure, ["tag", "path", "attrs"]))
    # No character n-grams: the text model scored the same without them, in less time.
    return ColumnTransformer(transformers, sparse_threshold=1.0)


def tfidf(counts, *before: tuple) -> Pipeline:
    """A TF-IDF block: the (name, step) pairs `before`, then term counts, then sublinear
    TF-IDF. Scoring sums the linear weights straight from the counts (`boilerline.model.block_scores`)."""
    return Pipeline([*before, ("counts", counts), ("tfidf", TfidfTransformer(sublinear_tf=True))])


def word_weights(lines: pd.DataFrame) -> np.ndarray:
    """Each page weighs the same in total, as it does in the page-averaged word-F1; within a
    page, long paragraphs count for more than one-word links, as they do in that F1.

    Plain word-count weights let a few long pages outweigh hundreds of short listing and
    product pages.
    """
    words = np.maximum(word_counts(lines["text"].tolist()), 1.0)
    page_words = pd.Series(words).groupby(lines["page"].to_numpy()).transform("sum").to_numpy()
    return words / page_words * page_words.mean()


def new_linear() -> SGDClassifier:
    # Averaged SGD: plain SGD had not converged in 20 epochs and its results moved between seeds.
    return SGDClassifier(loss="log_loss", alpha=1e-5, penalty="l2", max_iter=20, tol=1e-4, average=True, random_state=settings.SEED)


def new_booster() -> LGBMClassifier:
    # LightGBM, not scikit-learn's HistGradientBoostingClassifier with the same settings: the
    # same kind of trees, equally good, but scored in one call for all trees where
    # scikit-learn calls each tree from Python. No early stopping: its random hold-out made
    # the model depend on a few lines. One thread and deterministic, so that the same lines
    # make the same model on any machine.
    return LGBMClassifier(
        n_estimators=200,
        learning_rate=0.1,
        num_leaves=48,
        reg_lambda=1.0,
        min_child_samples=20,
        min_child_weight=1e-3,
        max_bin=255,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        random_state=settings.SEED,
        verbose=-1,
    )


def fit_linear(X, y) -> SGDClassifier:
    # Unweighted: word-count weights (up to thousands) make SGD's steps diverge; the booster
    # carries the word weighting.
    # 20 averaged epochs are chosen, not a failure to converge: the warning would only repeat.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return new_linear().fit(X, y)


def domain_folds(lines: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(the other rows, the fold's rows) of each of 3 folds; a site's pages are all in one fold.

    A composite page (data/composite.py) is in its article's fold, and is left out of the other
    rows of the fold of the site its inserted block came from: it would teach that site's own
    content as boilerplate to the model that scores it."""
    folds = GroupKFold(n_splits=3).split(lines, groups=lines["domain"].to_numpy())
    if "inserted_domain" not in lines:
        return list(folds)
    inserted, domains = lines["inserted_domain"], lines["domain"].to_numpy()
    return [(others[~inserted.iloc[others].isin(set(domains[rows])).to_numpy()], rows) for others, rows in folds]


def mean_model(models: list[SGDClassifier]) -> SGDClassifier:
    """One linear model whose score is the mean of the models' scores."""
    mean = copy.deepcopy(models[0])
    mean.coef_ = np.mean([model.coef_ for model in models], axis=0)
    mean.intercept_ = np.mean([model.intercept_ for model in models], axis=0)
    return mean


@dataclass
class StackedModel:
    """A linear model over all features, and optionally a booster over the hand-crafted
    features plus the linear scores of each line and its neighbours.

    The linear model is the mean of three fit without one fold of sites each; the booster
    learns from each line's score by the one that never saw its site. New pages then reach
    the booster with scores like those it learned from. With one linear model fit on all
    pages instead, whose scores on new pages are surer than any out-of-fold score, held-out
    pages wanted a threshold of about 0.5 where out-of-fold scores pointed to 0.36.
    """

    linear: SGDClassifier
    booster: LGBMClassifier | None

    @classmethod
    def fit(cls, boosted: bool, X, y, weights, lines: pd.DataFrame, n_stats: int) -> "StackedModel":
        models, scores = [], np.zeros(X.shape[0])
        for others, rows in domain_folds(lines):
            models.append(fit_linear(X[others], y[others]))
            scores[rows] = models[-1].decision_function(X[rows])
        booster = None
        if boosted:
            booster = new_booster().fit(booster_input(hand_crafted(X, n_stats), neighbour_scores(scores, lines)), y, sample_weight=weights)
        return cls(mean_model(models), booster)

    def predict(self, X, lines: pd.DataFrame, n_stats: int) -> np.ndarray:
        return probabilities(self.linear, self.booster, X, lines, n_stats)


def fitted_on_written_pages(features: ColumnTransformer, lines: pd.DataFrame) -> sp.csr_matrix:
    """The features of all lines, fit on the pages as written: the enciphered copies' words
    are made up, and took half the word vocabulary's 40,000 places."""
    written = (lines["source"] != "foreign").to_numpy()
    if written.all():
        return features.fit_transform(lines).tocsr()
    return features.fit(lines[written]).transform(lines).tocsr()


def out_of_fold_candidates(X, y, weights, lines: pd.DataFrame, n_stats: int, kind: str) -> dict[str, np.ndarray]:
    """P(content) of every training line from each candidate, linear and boosted, fit as the
    final model is but without the line's fold of sites."""
    predicted = {"linear": np.zeros(X.shape[0]), "boosted": np.zeros(X.shape[0])}
    for others, rows in tqdm(domain_folds(lines), desc=f"[{kind}] candidates, out of fold", position=BAR_ROW.get(kind, 0)):
        model = StackedModel.fit(True, X[others], y[others], weights[others], lines.iloc[others], n_stats)
        predicted["linear"][rows] = probabilities(model.linear, None, X[rows], lines.iloc[rows], n_stats)
        predicted["boosted"][rows] = model.predict(X[rows], lines.iloc[rows], n_stats)
    return predicted


# --- The benchmark's page-averaged word-F1, for many thresholds at once ---------------------
class PageScorer:
    """Scores kept lines against gold with WCXB's bag-of-words F1, vectorised over pages."""

    def __init__(self, lines: pd.DataFrame, gold_by_page_id: dict[str, str]):
        counter = CountVectorizer(analyzer=words, dtype=np.float32)  # the benchmark's own tokens
        page_ids = lines["page"].to_numpy()
        self.pages, self.row_page = np.unique(page_ids, return_inverse=True)
        first_rows = lines.drop_duplicates("page")
        golds = [gold_by_page_id[pid] for pid in first_rows.sort_values("page")["page_id"]]
        counter.fit(list(lines["text"]) + golds)
        self.line_words = counter.transform(lines["text"])
        self.gold_words = counter.transform(golds)
        self.gold_totals = np.asarray(self.gold_words.sum(axis=1)).ravel()
        self.page_types = first_rows.sort_values("page")["page_type"].to_numpy()

    def page_f1(self, keep: np.ndarray) -> np.ndarray:
        rows = sp.csr_matrix((keep.astype(np.float32), (self.row_page, np.arange(len(keep)))), shape=(len(self.pages), len(keep)))
        kept = rows @ self.line_words
        overlap = np.asarray(kept.minimum(self.gold_words).sum(axis=1)).ravel()
        predicted = np.asarray(kept.sum(axis=1)).ravel()
        precision = np.divide(overlap, predicted, out=np.zeros_like(overlap), where=predicted > 0)
        recall = np.divide(overlap, self.gold_totals, out=np.zeros_like(overlap), where=self.gold_totals > 0)
        f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(overlap), where=precision + recall > 0)
        return np.where((predicted == 0) & (self.gold_totals == 0), 1.0, f1)

    def best_threshold(self, p: np.ndarray) -> tuple[float, float]:
        scores = [(self.page_f1(p >= t).mean(), t) for t in THRESHOLDS]
        f1, threshold = max(scores)
        return float(threshold), float(f1)

    def by_type(self, keep: np.ndarray) -> dict[str, float]:
        f1 = self.page_f1(keep)
        table = pd.Series(f1, dtype=float).groupby(self.page_types).mean().round(4).to_dict()  # float32 prints 0.9315999746
        table["ALL"] = round(float(f1.mean()), 4)
        return table


# --- Training one kind of model ----------------------------------------------------------------
def train_kind(kind: str, labelled: pd.DataFrame, held_lines: pd.DataFrame, gold: dict, stop: frozenset, report: dict) -> dict:
    """`labelled`: every rendering of the training pages; the models fit on one per page."""
    train_lines = with_crops(one_rendering_per_page(labelled))
    if kind in FOREIGN_KINDS:
        train_lines = with_foreign_copies(train_lines)
    print(
        f"\n[{kind}] {train_lines['page_id'].nunique()} training pages, {held_lines['page_id'].nunique()} held-out pages; "
        f"{len(train_lines):,} training lines"
    )
    # The features learn no labels (vocabularies, document frequencies, scales): they are fit
    # once on all training pages, not again inside each fold.
    features = feature_union(kind, stop)
    X = timed(f"[{kind}] features", lambda: fitted_on_written_pages(features, train_lines))
    n_stats = len(features.named_transformers_["stats"].get_feature_names_out())
    y, weights = train_lines["label"].to_numpy(), word_weights(train_lines)
    weights[(train_lines["source"] == "crop").to_numpy()] *= CROP_WEIGHT
    weights[(train_lines["source"] == "foreign").to_numpy()] *= FOREIGN_WEIGHT
    weights[is_users(train_lines)] *= TRAIN_EXTRA_WEIGHT
    weights[(train_lines["source"] == "composite").to_numpy()] *= COMPOSITE_WEIGHT

    out_of_fold = out_of_fold_candidates(X, y, weights, train_lines, n_stats, kind)
    # Judged on WCXB pages only: they have the benchmark's gold text, and the score stays
    # comparable from run to run whatever pages a user adds.
    judged = (train_lines["source"] == "wcxb").to_numpy()
    scorer = PageScorer(train_lines[judged], gold)
    results = {}
    for name, p in out_of_fold.items():
        threshold, f1 = scorer.best_threshold(p[judged])
        results[name] = {"threshold": threshold, "out_of_fold_f1": round(f1, 4)}
        print(f"[{kind}] {name}: out-of-fold page F1 {f1:.4f} at threshold {threshold}")
    best = max(results, key=lambda name: results[name]["out_of_fold_f1"])
    rule, rules = choose_rule(out_of_fold[best][judged], train_lines[judged], scorer, results[best]["threshold"])
    print(f"[{kind}] {best}: out-of-fold page F1 by decision rule {rules}: {rule}")
    own = users_own_lines(train_lines, kind)
    your_pages = None
    if own.any():
        lines = train_lines[own]
        after = decisions({"rule": rule, "threshold": results[best]["threshold"]}, out_of_fold[best][own], lines)
        your_pages = page_feedback(lines, shipped_decisions(kind, lines), after)

    final = timed(
        f"[{kind}] refit {best} on all training pages", lambda: StackedModel.fit(best == "boosted", X, y, weights, train_lines, n_stats)
    )
    part = {
        "linear": Pipeline([("features", features), ("classifier", final.linear)]),
        "booster": final.booster,
        "n_stats": n_stats,
        "threshold": results[best]["threshold"],
        "rule": rule,
    }
    report[kind] = {
        "candidates": results,
        "chosen": best,
        "threshold": part["threshold"],
        "rules": rules,
        "rule": rule,
        "held_out": held_out_scores(kind, part, features, final, held_lines, gold, n_stats),
        "held_out_unseen_script": held_out_scores(kind, part, features, final, held_lines, gold, n_stats, unseen_script=True),
    } | ({} if your_pages is None else {"your_pages": your_pages})
    return part


def choose_rule(p: np.ndarray, lines: pd.DataFrame, scorer: "PageScorer", threshold: float) -> tuple[str, dict[str, float]]:
    """The decision rule, and the out-of-fold page F1 of each: the one tuned threshold, or
    each page's own expected-F1 threshold (boilerline.model.per_page_thresholds).

    Each page's own threshold is kept unless the one threshold beats it by more than two
    standard errors of their page-by-page difference. It adapts to pages unlike the training
    pages, where one threshold tuned on them cannot. In one training run the one threshold
    won out of fold by 0.0018 (a standard error was 0.0024), and then scored ScrapingHub
    0.920 against 0.933 and held-out WCXB 0.838 against 0.844.
    """
    one_threshold = scorer.page_f1(p >= threshold)
    own_threshold = scorer.page_f1(p >= per_page_thresholds(p, lines))
    scores = {"global": round(float(one_threshold.mean()), 4), "per_page": round(float(own_threshold.mean()), 4)}
    gain = one_threshold - own_threshold
    if len(gain) < 2:  # no spread to judge the difference by
        return "per_page", scores
    standard_error = gain.std(ddof=1) / np.sqrt(len(gain))
    scores["standard_error"] = round(float(standard_error), 4)
    return ("global" if gain.mean() > 2 * standard_error else "per_page"), scores


def held_out_scores(kind, part, features, final, held_lines, gold, n_stats, unseen_script=False) -> dict:
    """Page-averaged word-F1 per page type on held-out pages (per rendering for the text
    model); with `unseen_script`, of the model reading them `enciphered`."""
    read = enciphered(held_lines) if unseen_script else held_lines
    scores = {}
    for rendering, lines in read.groupby("rendering"):
        p = final.predict(features.transform(lines).tocsr(), lines, n_stats)
        scores[rendering] = PageScorer(held_lines.loc[lines.index], gold).by_type(decisions(part, p, lines))
        print(f"[{kind}] held-out {rendering}{' (unseen script)' * unseen_script}: F1 {scores[rendering]['ALL']:.4f}  {scores[rendering]}")
    return scores


def enciphered(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines with their pages' letters enciphered (data.cipher): pages of a language the
    model never read. Kept lines score as their plain text does against the plain gold."""
    return lines.assign(text=encipher(lines["text"].tolist(), lines["page_id"].tolist()))


def one_rendering_per_page(lines: pd.DataFrame) -> pd.DataFrame:
    """A mix of renderings at the cost of one: each training page in one seeded-random
    rendering. A page that lacks the rendering drawn for it (one that gave no lines, or a
    user's plain-text page) keeps one it has, rather than dropping out of training."""
    offered = lines.groupby("page_id", sort=False)["rendering"].unique()
    several = offered[offered.map(len) > 1]
    if several.empty:
        return lines
    renderings = sorted(set(np.concatenate(several.to_list())))
    draws = np.random.default_rng(settings.SEED).choice(renderings, size=len(offered))
    chosen = {page_id: draw if draw in own else own[0] for page_id, own, draw in zip(offered.index, offered, draws)}
    return lines[lines["rendering"].to_numpy() == lines["page_id"].map(chosen).to_numpy()]


def is_users(lines: pd.DataFrame) -> np.ndarray:
    """Whether each line is of the user's own pages (TRAIN_EXTRA), or of a crop of one: their
    page ids start with the spec they were named by (`data.build.user_lines`)."""
    if not TRAIN_EXTRA:
        return np.zeros(len(lines), bool)
    return lines["page_id"].str.startswith(tuple(f"{spec}/" for spec in TRAIN_EXTRA)).to_numpy(bool)


def users_own_lines(lines: pd.DataFrame, kind: str) -> np.ndarray:
    """Whether each line is of one of the user's pages as the user labelled it: an HTML page's
    own lines for the HTML model, a plain-text page's for the text model (not a rendering
    labelled by alignment, nor a crop)."""
    labelled_as = "html" if kind == "html" else "text"
    return is_users(lines) & ~lines["source"].isin(["crop", "foreign"]).to_numpy() & (lines["rendering"] == labelled_as).to_numpy()


def with_crops(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines, then a crop of CROP_SHARE of their pages as pages of their own: up to
    CROP_LINES lines in a row from a seeded-random start, in their page's fold of sites."""
    rng = np.random.default_rng(settings.SEED)
    rows_of_page = lines.groupby("page", sort=False).indices
    chosen = rng.choice(np.fromiter(rows_of_page, np.int64), size=int(CROP_SHARE * len(rows_of_page)), replace=False)
    crops, next_page = [], int(lines["page"].max()) + 1
    for number, page in enumerate(chosen.tolist()):
        rows = rows_of_page[page]
        length = int(rng.integers(1, CROP_LINES + 1))
        start = int(rng.integers(0, max(len(rows) - length, 0) + 1))
        crop = lines.iloc[rows[start : start + length]].copy()
        crop["position"], crop["repeats"] = page_order_columns(crop["text"].tolist())
        crop["page"] = next_page + number
        crop["page_id"] = crop["page_id"] + "#crop"
        crop["source"] = "crop"
        crops.append(crop)
    return pd.concat([lines, *crops], ignore_index=True)


def with_foreign_copies(lines: pd.DataFrame) -> pd.DataFrame:
    """The lines, then FOREIGN_SHARE of their whole pages (not crops) again, `enciphered`, as
    pages of their own, in their page's fold of sites."""
    crop = (lines["source"] == "crop").to_numpy()
    rows_of_page = {page: rows for page, rows in lines.groupby("page", sort=False).indices.items() if not crop[rows[0]]}
    rng = np.random.default_rng(settings.SEED + 1)  # not the crops' draw
    chosen = np.sort(rng.choice(np.fromiter(rows_of_page, np.int64), size=int(FOREIGN_SHARE * len(rows_of_page)), replace=False))
    if not len(chosen):
        return lines
    copies = enciphered(lines.iloc[np.concatenate([rows_of_page[page] for page in chosen.tolist()])])
    first_page = int(lines["page"].max()) + 1
    copies = copies.assign(
        page=first_page + np.searchsorted(chosen, copies["page"].to_numpy()), page_id=copies["page_id"] + "#foreign", source="foreign"
    )
    return pd.concat([lines, copies], ignore_index=True)


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - start:.1f}s")
    return result


def peak_memory_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def memory_of_processes_mb(pids: list[int]) -> int:
    """The memory these processes take together, shared pages counted once (their proportional
    set sizes, Linux); 0 where the system does not say."""
    total_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # not Linux, or the process has just ended
            continue
        total_kb += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total_kb // 1024


# Each model's lines, the gold texts and the stopwords of a run, set before the training
# processes fork, so that they inherit them instead of each receiving a pickled copy.
_SHARED: dict = {}


def kind_splits(lines: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each model's (training lines, held-out lines): the lines of its renderings."""
    splits = {}
    for kind, renderings in KIND_INPUTS.items():
        subset = lines[lines["rendering"].isin(renderings)]
        splits[kind] = subset[~subset["held_out"]], subset[subset["held_out"]]
    return splits


def train_kinds(
    splits: dict[str, tuple[pd.DataFrame, pd.DataFrame]], gold: dict, stop: frozenset
) -> tuple[dict[str, tuple[dict, dict]], int]:
    """Each model's (part of the artifact, report), and the peak memory of training in MB.

    With JOBS of 2 or more, the two models train side by side, one process each: every fit is
    single-threaded and seeded, so each model is what it would be trained alone, and
    training takes the time of the longer one instead of both. Their memory together is
    sampled every second (the processes share the lines split before they forked)."""
    _SHARED.update(splits=splits, gold=gold, stop=stop)
    try:
        if settings.JOBS < 2:
            return {kind: train_kind_of_shared_lines(kind) for kind in KIND_INPUTS}, peak_memory_mb()
        return train_kinds_side_by_side()
    finally:
        _SHARED.clear()


def train_kinds_side_by_side() -> tuple[dict[str, tuple[dict, dict]], int]:
    peak = 0
    with ProcessPoolExecutor(len(KIND_INPUTS), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {kind: pool.submit(train_kind_of_shared_lines, kind) for kind in KIND_INPUTS}
        try:
            pending = set(futures.values())
            while pending:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                peak = max(peak, memory_of_processes_mb([os.getpid(), *(child.pid for child in multiprocessing.active_children())]))
                for future in done:
                    future.result()  # a failed model's error, at once
            return {kind: future.result() for kind, future in futures.items()}, max(peak, peak_memory_mb())
        except BaseException as error:
            # The other model's process would otherwise train on for minutes before the error shows.
            for child in multiprocessing.active_children():
                child.terminate()
            if isinstance(error, BrokenProcessPool):
                raise SystemExit("a training process died (out of memory?): JOBS=1 trains one model at a time, in less memory") from None
            raise


def train_kind_of_shared_lines(kind: str) -> tuple[dict, dict]:
    report = {}
    part = train_kind(kind, *_SHARED["splits"][kind], _SHARED["gold"], _SHARED["stop"], report)
    return part, report[kind]


def data_hash(extra: pd.DataFrame | None) -> str:
    digest = hashlib.sha256()
    for path in sorted(LINES_DIR.rglob("*.arrow")):
        digest.update(path.name.encode())
        digest.update(str(path.stat().st_size).encode())
    if extra is not None:
        digest.update(pd.util.hash_pandas_object(extra[["page_id", "rendering", "text", "label"]], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def same_file(path: Path, other: Path) -> bool:
    """Whether two paths name one file, links followed (neither need exist)."""
    return path.resolve() == other.resolve()


def training_lines() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(WCXB dev lines with its composite pages' and the user's lines after them, the user's
    lines alone or None)."""
    lines = timed("read labelled lines", lambda: load_lines("wcxb"))
    extra = user_lines(TRAIN_EXTRA)
    if extra is not None:
        print(f"TRAIN_EXTRA: {extra['page_id'].nunique()} pages of your own, {int((extra['label'] == 1).sum()):,} content lines")
    composites = load_composite_lines()
    if composites is None and extra is None:
        return lines, None
    lines = pd.concat([lines, composites, extra], ignore_index=True)
    lines["page"] = page_groups(lines)
    return lines, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(MODEL_DIR / "boilerplate.npz"))
    args = parser.parse_args()
    out = Path(args.out)
    if TRAIN_EXTRA and same_file(out, SHIPPED_MODEL):
        parser.error(
            f"TRAIN_EXTRA is set: a model trained on your own pages does not replace the shipped {SHIPPED_MODEL.relative_to(settings.REPO)}; "
            "pass MODEL_DIR=DIR (make train TRAIN_EXTRA=... MODEL_DIR=my-model) or --out DIR/boilerplate.npz, "
            "then load_model('my-model') or --model my-model"
        )
    try:  # before training, not after minutes of it
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"cannot write the model to {out}: {error}")
    started = time.perf_counter()

    try:
        lines, extra = training_lines()
        gold = {page.page_id: page.gold for page in read_wcxb(raw_dir() / "wcxb-dev") if page.gold is not None}
    except (DatasetMissing, LabelFileError, BadSpec) as missing:  # a user's next step, not a traceback
        parser.exit(1, f"error: {missing}\n")
    stop = stopwords()
    artifact = {}
    pages = {
        "training_pages": int(lines.loc[~lines["held_out"] & (lines["source"] != "composite"), "page_id"].nunique()),
        "composite_pages": int(lines.loc[lines["source"] == "composite", "page_id"].nunique()),
        "held_out_pages": int(lines.loc[lines["held_out"], "page_id"].nunique()),
    }
    splits = kind_splits(lines)
    del lines  # each model's lines are its own copies: the training processes need only those
    trained, peak_mb = train_kinds(splits, gold, stop)
    report = {kind: kind_report for kind, (_, kind_report) in trained.items()}
    artifact |= {kind: part for kind, (part, _) in trained.items()}
    your_pages = {kind: report[kind].pop("your_pages") for kind in report if "your_pages" in report[kind]}
    for kind, feedback in your_pages.items():
        report[kind]["your_pages"] = feedback_summary(feedback)

    card = {
        "data": {
            "source": "WCXB dev (CC-BY-4.0, Murrough Foley)",
            # Made from WCXB training pages alone: the same source and licence.
            "composites": "WCXB training articles with another WCXB training page's content inserted after the article (data/composite.py)",
            "lines_hash": data_hash(extra),
            **pages,
            "held_out_rule": f"domain hash, seed {settings.SEED}, share {settings.HELD_OUT_SHARE}",
        }
        | (
            {}
            if extra is None
            else {
                "train_extra": TRAIN_EXTRA,
                "train_extra_pages": int(extra["page_id"].nunique()),
                "train_extra_weight": TRAIN_EXTRA_WEIGHT,
            }
        ),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "lightgbm": lightgbm.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "features": {
            kind: list(map(str, artifact[kind]["linear"].named_steps["features"].get_feature_names_out()[: artifact[kind]["n_stats"]]))
            for kind in ("html", "text")
        },
        "parameters": {
            "linear": new_linear().get_params(),
            "booster": new_booster().get_params(),
            "stopword_languages": STOPWORD_LANGUAGES,
            "crops": {"share": CROP_SHARE, "longest": CROP_LINES, "weight": CROP_WEIGHT},
            "foreign_copies": {"models": FOREIGN_KINDS, "share": FOREIGN_SHARE, "weight": FOREIGN_WEIGHT},
        },
        "results": report,
        "training_seconds": round(time.perf_counter() - started, 1),
        "peak_memory_mb": peak_mb,
    }
    artifact["card"] = card
    write(out, *plain_model(artifact))
    with open(out.with_suffix(".json"), "w") as handle:
        json.dump(card, handle, indent=2, default=str)
    print(f"\nwrote {out} ({os.path.getsize(out) / 1e6:.1f} MB) in {card['training_seconds']}s, peak memory {card['peak_memory_mb']} MB")
    for kind in report:
        print(f"\nheld-out page F1, {kind} model:\n{pd.DataFrame(report[kind]['held_out']).to_string()}")
    if your_pages:
        feedback = feedback_markdown(your_pages)
        (out.parent / FEEDBACK_FILE).write_text(feedback, encoding="utf-8")
        print(f"\n{feedback}\nwrote {out.parent / FEEDBACK_FILE}")


if __name__ == "__main__":
    main()
