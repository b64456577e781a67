"""Load a saved model and score pages line by line: the only code a scraper needs.

A model file (`models/boilerplate.npz`) is plain data (`artifact`: numpy arrays and JSON,
read without pickle). Loading turns each kind of input's part ("html", "text") into:

    {"blocks": [(StatsBlock | TfidfBlock, its linear weights)], "intercept": a numpy scalar,
     "booster": lightgbm.Booster | None, "forest": its trees as arrays (`flat_forest`) | None,
     "n_stats": int, "threshold": float, "rule": "global" | "per_page"}

The blocks and weights give each line a linear score; the booster, when present, rescores
each line from its hand-crafted signals and the linear scores of its neighbours (its trees
walked by the compiled `_trees` where it is built, else by LightGBM: the same numbers). `rule` says
how a line is kept: above the one tuned `threshold`, or above its own page's expected-F1
threshold (`per_page_thresholds`); training chose it on out-of-fold scores of its pages.
The lines of a <pre> block are then kept or dropped as one (`whole_code_blocks`), and on a
page that declares itself an article, the lines after its story are dropped
(`segment.past_article_end`).
"""

import functools
import importlib.resources
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from . import artifact
from .artifact import KINDS
from .decode import PageError
from .lines import (
    BOXES,
    LineSignals,
    count_entries,
    factorize,
    group_index,
    group_maxima,
    group_means,
    hashed_vocabulary,
    moved_lines,
    pair_keys,
    shift_within_pages,
    structure_columns,
    structure_keys,
    token_columns,
    word_count_entries,
    word_counts,
)
from .segment import (
    AS_WRITTEN,
    NO_DEADLINE,
    Deadline,
    Lines,
    compiled_in_use,
    compiled_module,
    cut_for_scoring,
    html_or_text_columns,
    join_lines,
    text_columns,
)
from .title import html_title

if TYPE_CHECKING:
    import lightgbm

MODEL_FILE = "boilerplate.npz"
NEIGHBOUR_OFFSETS = (-3, -2, -1, 1, 2, 3)
# The thresholds tried: once for all pages in training, and for each page by the per-page rule.
THRESHOLDS = np.round(np.arange(0.02, 0.99, 0.02), 3)


@dataclass(frozen=True, slots=True)  # slots: 56 bytes a line instead of about 200, on pages of a million lines
class ScoredLine:
    text: str
    p_content: float
    is_content: bool


@dataclass(frozen=True)
class StatsBlock:
    """The hand-crafted features (LineSignals), scaled as the training's StandardScaler scaled them."""

    columns: list[str]
    stats: LineSignals
    mean: np.ndarray | None
    scale: np.ndarray | None


@dataclass(frozen=True)
class TfidfBlock:
    """Sublinear TF-IDF of a line's words, or of its structure tokens (`structure_tokens`,
    counted once per distinct row), over a fixed vocabulary."""

    columns: str | list[str]
    structure_ancestors: int | None  # the structure tokens' ancestors; None: the block reads words
    unique_rows: bool
    tokens: str  # "words": lowercased runs of word characters; "split": space-separated tokens
    vocabulary: dict[str, int]
    hashed: tuple[np.ndarray, np.ndarray]  # the words' hashes, sorted, and their columns (`counts_of_words`)
    idf: np.ndarray
    sublinear_tf: bool
    norm: str | None
    # The structure block's class/id tokens' columns, kept from page to page (`structure_columns`).
    kept_tokens: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def content_text(lines: list[ScoredLine]) -> str:
    """The content lines of a scored page, joined with newlines: what `clean_*` return."""
    return "\n".join(line.text for line in lines if line.is_content)


def default_model_path() -> Path:
    """The default model shipped inside the package (models/ of a source checkout, which an
    editable install maps there)."""
    return Path(str(importlib.resources.files("boilerline.default_model") / MODEL_FILE))


@functools.cache
def shared_model() -> "BoilerplateModel":
    """The default model, loaded once per process and shared (it is read-only: thread-safe)."""
    return load_model()


def load_model(path: str | Path | None = None) -> "BoilerplateModel":
    """The model file at `path`, or in the folder `path` (the MODEL_DIR `make train` wrote it
    to); default: the project's default model. Checked before use: loading reads plain data
    and runs no code from the file (`artifact`)."""
    path = Path(path) if path is not None else default_model_path()
    if path.is_dir():
        path = path / MODEL_FILE
    meta, arrays = artifact.read(path)
    parts = {kind: runtime_part(kind, meta[kind], arrays) for kind in KINDS}
    return BoilerplateModel(parts | {"card": meta.get("card", {}), "digest": meta["digest"]}, path)


def runtime_part(kind: str, part: dict, arrays: dict[str, np.ndarray]) -> dict:
    """One kind's part of a model file, as the scorer uses it."""
    coef, blocks, start = arrays[f"{kind}.coef"], [], 0
    for block in part["blocks"]:
        width = len(block["stats"]["feature_names"]) if block["kind"] == "stats" else len(block["terms"])
        blocks.append((runtime_block(kind, block, arrays), coef[start : start + width]))
        start += width
    booster = None
    if part["booster"]:
        import lightgbm  # here, not at import: it takes most of a second, and `import boilerline` need not

        booster = lightgbm.Booster(model_str=artifact.as_text(arrays[f"{kind}.booster"]))
    forest = flat_forest(booster) if booster is not None and compiled_module("_trees") is not None else None
    parameters = {key: part[key] for key in ("n_stats", "threshold", "rule")}
    return parameters | {"intercept": arrays[f"{kind}.intercept"][0], "blocks": blocks, "booster": booster, "forest": forest}


def runtime_block(kind: str, block: dict, arrays: dict[str, np.ndarray]) -> "StatsBlock | TfidfBlock":
    """One feature block of a model file (`artifact.plain_block`), as the scorer uses it."""
    return _stats_block(kind, block, arrays) if block["kind"] == "stats" else _tfidf_block(kind, block, arrays)


def _stats_block(kind: str, block: dict, arrays: dict[str, np.ndarray]) -> StatsBlock:
    parameters = block["stats"]
    stats = LineSignals(parameters["stopwords"], parameters["context"], parameters["html"], parameters["feature_names"])
    name = f"{kind}.{block['name']}"
    return StatsBlock(block["columns"], stats, arrays.get(f"{name}.mean"), arrays.get(f"{name}.scale"))


def _tfidf_block(kind: str, block: dict, arrays: dict[str, np.ndarray]) -> TfidfBlock:
    vocabulary = {term: column for column, term in enumerate(block["terms"])}
    return TfidfBlock(
        columns=block["columns"],
        structure_ancestors=block["structure_ancestors"],
        unique_rows=block["unique_rows"],
        tokens=block["tokens"],
        vocabulary=vocabulary,
        hashed=hashed_vocabulary(vocabulary),
        idf=arrays[f"{kind}.{block['name']}.idf"],
        sublinear_tf=block["sublinear_tf"],
        norm=block["norm"],
    )


def neighbour_scores(linear: np.ndarray, lines: Lines) -> np.ndarray:
    """The neighbour scores (`neighbour_score_chunks`) of all lines at once."""
    return next(neighbour_score_chunks(linear, lines, [slice(0, len(linear))]))


def neighbour_score_chunks(linear: np.ndarray, lines: Lines, chunks: list[slice]) -> Iterator[np.ndarray]:
    """Each line's linear score beside those of its neighbours, of its page (mean, max) and of
    the elements around it (mean): a menu item inside a content-rich element reads differently.

    One matrix per chunk of rows, made when the booster needs it: all at once, a page of many
    lines would hold them beside everything else the page holds. The groups' scores
    are kept per group, beside each line's group (half the bytes of a score a line)."""
    pages = np.asarray(lines["page"]).astype(np.int64, copy=False)
    groups = [group_means(pages, linear), group_maxima(pages, linear)]
    groups += [group_means(pair_keys(pages, np.asarray(lines[box])), linear) for box in BOXES]
    for rows in chunks:
        scores = np.empty((len(linear[rows]), 1 + len(NEIGHBOUR_OFFSETS) + len(groups)))
        scores[:, 0] = linear[rows]
        for j, offset in enumerate(NEIGHBOUR_OFFSETS, 1):
            scores[:, j] = shift_within_pages(linear, moved_lines(pages, offset, rows), fill=-10.0)
        for j, (per_group, group_of_line) in enumerate(groups, 1 + len(NEIGHBOUR_OFFSETS)):
            scores[:, j] = per_group[group_of_line[rows]]
        yield scores


def booster_input(stats: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """The booster's input: the hand-crafted features (dense), then the neighbour scores."""
    return np.hstack([stats, neighbours])


def hand_crafted(features, n_stats: int) -> np.ndarray:
    """The hand-crafted block (the first `n_stats` columns) of a stacked feature matrix, dense."""
    stats = features[:, :n_stats]
    return stats.toarray() if hasattr(stats, "toarray") else np.asarray(stats)


def probabilities(classifier, booster, features, lines: Lines, n_stats: int) -> np.ndarray:
    """P(content) per line from a stacked feature matrix (training): the linear score,
    rescored by the booster (LightGBM's scikit-learn classifier) if any."""
    linear = classifier.decision_function(features)
    if booster is None:
        return expit(linear)
    return booster_probabilities(booster.booster_, booster_input(hand_crafted(features, n_stats), neighbour_scores(linear, lines)))


def booster_probabilities(booster: "lightgbm.Booster", X: np.ndarray, forest: tuple | None = None) -> np.ndarray:
    """P(content) by the booster, what its classifier's predict_proba gives for the content
    class: by the compiled trees where `forest` (`flat_forest`) is given and they are in use
    (`trees_in_use`), the same numbers; else by LightGBM, on one thread (a page is a few hundred
    rows, and threads for them cost more than they save)."""
    if forest is not None and (trees := _compiled_trees()) is not None:
        return trees.probabilities(np.ascontiguousarray(X, dtype=np.float64), *forest)
    return booster.predict(X, num_threads=1)


def trees_in_use() -> str:
    """Which code walks the booster's trees: "compiled" (`_trees.pyx`, where it is built) or
    "lightgbm" (also where BOILERLINE_PURE_PYTHON=1). Both give the same probabilities."""
    return "lightgbm" if _compiled_trees() is None else "compiled"


def _compiled_trees():
    return compiled_in_use("_trees")


_MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}  # LightGBM's MissingType, as `_trees` reads it


def flat_forest(booster: "lightgbm.Booster") -> tuple | None:
    """The trees of a binary booster of numerical splits (LightGBM's `dump_model`), as the
    arrays `_trees.probabilities` reads: (sigmoid, each tree's root, then per split its feature,
    threshold, missing type, default side, left and right child (a child below 0 is the leaf
    ~child), then each leaf's value). None for any other booster, which LightGBM scores."""
    model = booster.dump_model()
    objective = model.get("objective", "").split()
    sigmoids = [float(word.split(":", 1)[1]) for word in objective[1:] if word.startswith("sigmoid:")]
    if objective[:1] != ["binary"] or len(sigmoids) != 1 or model.get("num_tree_per_iteration") != 1 or model.get("average_output"):
        return None
    splits = {name: [] for name in ("feature", "threshold", "missing", "default_left", "left", "right")}
    leaves, roots = [], []
    for tree in model["tree_info"]:
        root = _flatten_tree(tree["tree_structure"], splits, leaves)
        if root is None:
            return None
        roots.append(root)
    int32 = functools.partial(np.asarray, dtype=np.int32)
    int8 = functools.partial(np.asarray, dtype=np.int8)
    return (
        sigmoids[0],
        int32(roots),
        int32(splits["feature"]),
        np.asarray(splits["threshold"], dtype=np.float64),
        int8(splits["missing"]),
        int8(splits["default_left"]),
        int32(splits["left"]),
        int32(splits["right"]),
        np.asarray(leaves, dtype=np.float64),
    )


def _flatten_tree(root: dict, splits: dict[str, list], leaves: list[float]) -> int | None:
    """Appends a tree's splits and leaves to `splits` and `leaves`; its root's number (a leaf:
    below 0), or None for a split or leaf `_trees` does not read (categorical, linear). A stack,
    not recursion: a tree may be deeper than Python's recursion limit."""

    def number_of(node: dict) -> int | None:
        if "split_index" not in node:
            if "leaf_value" not in node or "leaf_coeff" in node:
                return None
            leaves.append(float(node["leaf_value"]))
            return ~(len(leaves) - 1)
        if node.get("decision_type") != "<=" or node.get("missing_type") not in _MISSING_TYPES:
            return None
        splits["feature"].append(int(node["split_feature"]))
        splits["threshold"].append(float(node["threshold"]))
        splits["missing"].append(_MISSING_TYPES[node["missing_type"]])
        splits["default_left"].append(bool(node["default_left"]))
        splits["left"].append(0)
        splits["right"].append(0)
        return len(splits["feature"]) - 1

    top = number_of(root)
    pending = [(root, top)] if top is not None and top >= 0 else []
    while pending:
        node, number = pending.pop()
        for side in ("left", "right"):
            child = node[f"{side}_child"]
            child_number = number_of(child)
            if child_number is None:
                return None
            splits[side][number] = child_number
            if child_number >= 0:
                pending.append((child, child_number))
    return top


# Rows per call of the row-wise steps (the TF-IDF blocks, the booster): scores of a row never
# depend on the other rows of its chunk, so chunks change no score, and a page of a million
# lines never holds all its TF-IDF terms or booster input at once.
# The booster runs each tree over all rows of a call: chunks of this size stay in the CPU's
# caches, and score large pages faster than much larger chunks do.
CHUNK_ROWS = 4_096


def row_chunks(n: int) -> list[slice]:
    return [slice(start, start + CHUNK_ROWS) for start in range(0, n, CHUNK_ROWS)]


# Up to this many lines, the hand-crafted block of the lines scored is made at once and kept
# for the booster; more lines have its rows made as they are asked for, CHUNK_ROWS at a time,
# twice (for the linear score, then for the booster), and never holds them all: on a large page
# the whole block is big beside the signals it is made from.
HAND_CRAFTED_ROWS = 65_536


def hand_crafted_and_linear(part: dict, lines: Lines, deadline: Deadline = NO_DEADLINE) -> tuple[Callable[[slice], np.ndarray], np.ndarray]:
    """(hand-crafted features of any rows, as a function of a slice; linear score of each
    line), the score summed block by block: a stacked matrix of the dense hand-crafted block
    and the sparse TF-IDF blocks would triple the peak memory of a page of many lines. Stops
    with a PageError past `deadline`, block by block and chunk by chunk of rows."""
    linear = np.full(len(lines), part["intercept"])  # of the weights' type, float32 as trained: the sums are made in it
    stats = None
    for block, weights in part["blocks"]:
        # A block given several columns reads them by name from the lines themselves.
        block_input = lines if isinstance(block.columns, list) else lines[block.columns]
        deadline.check("scoring")
        if isinstance(block, StatsBlock):  # the hand-crafted block comes first; it needs the whole page
            stats = hand_crafted_rows(block, block_input)
            for rows in row_chunks(len(lines)):
                linear[rows] += stats(rows) @ weights
                deadline.check("scoring")
        elif len(lines) <= CHUNK_ROWS:
            linear += block_scores(block, block_input, weights)
        else:
            for rows in row_chunks(len(lines)):
                linear[rows] += block_scores(block, block_input[rows], weights)
                deadline.check("scoring")
    return stats, linear


def hand_crafted_rows(block: StatsBlock, X) -> Callable[[slice], np.ndarray]:
    """A function giving any rows of the scaled hand-crafted block of X, dense, made from the
    page's signals (`page_signals`): all at once for up to HAND_CRAFTED_ROWS lines,
    else as they are asked for."""
    stats = block.stats
    signals = stats.page_signals(X)

    def scaled_rows(rows: slice) -> np.ndarray:
        values = stats.rows_of(signals, rows)
        if block.mean is not None:
            values -= block.mean.astype(values.dtype)
        if block.scale is not None:
            values /= block.scale.astype(values.dtype)
        return values

    if len(X) > HAND_CRAFTED_ROWS:
        return scaled_rows
    whole = scaled_rows(slice(0, len(X)))
    return lambda rows: whole[rows]


def block_scores(block: TfidfBlock, X, weights: np.ndarray) -> np.ndarray:
    """The TF-IDF block of X times `weights`, summed straight from the term counts, which
    saves building its matrix; counts made per distinct row are summed once per distinct row
    (a row's score never depends on the other rows)."""
    if block.structure_ancestors is not None:  # tokens made and scored once per distinct ancestry
        inverse, keys = structure_keys(X)
        rows, columns = structure_columns(keys, block.structure_ancestors, block.vocabulary, block.kept_tokens)
        return tfidf_scores(count_entries(rows, columns, len(keys), len(block.vocabulary)), block, weights)[inverse]
    if block.unique_rows:
        inverse, distinct = factorize(X)  # the lines of one menu or article share their tokens
        return tfidf_scores(term_counts(block, distinct), block, weights)[inverse]
    return tfidf_scores(term_counts(block, X), block, weights)


def term_counts(block: TfidfBlock, texts) -> tuple[np.ndarray, ...]:
    """How often each term of the block's vocabulary occurs in each text (`count_entries`)."""
    texts = list(texts)
    if block.tokens == "words":
        return word_count_entries(texts, *block.hashed, len(block.vocabulary))
    rows, columns = token_columns([text.split() for text in texts], block.vocabulary)
    return count_entries(rows, columns, len(texts), len(block.vocabulary))


def tfidf_scores(counts: tuple[np.ndarray, ...], block: TfidfBlock, weights: np.ndarray) -> np.ndarray:
    """What scikit-learn's TfidfTransformer (with idf, the block's sublinear_tf and norm) makes
    of the term counts (`count_entries`), times `weights`, in float64."""
    indptr, indices, values = counts
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    values = values.astype(np.float64)
    if block.sublinear_tf:
        values = np.log(values) + 1
    values *= block.idf[indices]
    total = np.bincount(rows, values * weights[indices], minlength=n)
    if block.norm is None:
        return total
    squares_or_sizes = values * values if block.norm == "l2" else np.abs(values)
    norm = np.bincount(rows, squares_or_sizes, minlength=n)
    norm = np.sqrt(norm) if block.norm == "l2" else norm
    return np.divide(total, norm, out=np.zeros(n), where=norm > 0)


# Lines scored together by `score_pages`/`clean_pages`: past a few thousand the per-call
# costs are paid off, and both models score more lines a second than a page at a time.
BATCH_LINES = 4_096


def predict_lines(part: dict, lines: Lines, deadline: Deadline = NO_DEADLINE) -> np.ndarray:
    """P(content) of every line of `lines` (with a `page` column); the same numbers
    as `probabilities` on the stacked features, to float rounding. Stops with a PageError
    past `deadline`, between chunks of rows."""
    if not len(lines):
        return np.zeros(0)
    stats, linear = hand_crafted_and_linear(part, lines, deadline)
    booster = part.get("booster")
    if booster is None:
        return expit(linear)
    chunks = row_chunks(len(lines))
    # Into one array as they come: the chunks' own outputs, joined, would be held twice.
    p = np.empty(len(lines))
    for rows, neighbours in zip(chunks, neighbour_score_chunks(linear, lines, chunks)):
        p[rows] = booster_probabilities(booster, booster_input(stats(rows), neighbours), part["forest"])
        deadline.check("scoring")
    return p


def per_page_thresholds(p: np.ndarray, lines: Lines) -> np.ndarray:
    """For each line, the threshold that maximises its page's expected word F1, reading each
    line's P(content) as the chance that its words are content.

    The F1-optimal threshold of a page is about half the F1 reachable on it (Lipton et al.
    2014): pages the model finds hard, such as lists and collections, get a lower one than
    clean articles, which one threshold for all pages cannot do.
    """
    words = np.maximum(word_counts(lines["text"].tolist()), 1.0)
    page, n_pages = group_index(np.asarray(lines["page"]))
    n_thresholds = len(THRESHOLDS)
    # A line is kept at the first `passed` thresholds: sum each page's lines by how many they
    # pass, then add up from the top, so that column k holds the lines kept at THRESHOLDS[k].
    passed = np.searchsorted(THRESHOLDS, p, side="right")

    def kept_sum(weights: np.ndarray) -> np.ndarray:
        by_passed = np.bincount(page * (n_thresholds + 1) + passed, weights=weights, minlength=n_pages * (n_thresholds + 1))
        return np.cumsum(by_passed.reshape(n_pages, n_thresholds + 1)[:, ::-1], axis=1)[:, ::-1][:, 1:]

    expected_content = np.bincount(page, weights=words * p, minlength=n_pages)[:, None]
    f1 = 2 * kept_sum(words * p) / np.maximum(kept_sum(words) + expected_content, 1e-9)
    # Keeping nothing scores 1 on a page without content (as the benchmark scores it), and so
    # is worth the chance that every line is boilerplate: on a page of a few menu items, more
    # than keeping the likeliest one, which each threshold above would keep.
    nothing = np.exp(np.bincount(page, weights=np.log(np.maximum(1 - np.asarray(p, float), 1e-12)), minlength=n_pages))
    choice = np.argmax(np.column_stack([f1, nothing]), axis=1)
    return np.append(THRESHOLDS, np.inf)[choice][page]


def decisions(part: dict, p: np.ndarray, lines: Lines, threshold: float | None = None, article_end: bool = True) -> np.ndarray:
    """Whether each line of `lines` is kept: above the threshold of the model part's rule (or
    `threshold`), then each code block as one (`whole_code_blocks`), and, with `article_end`,
    none past the end of a declared article's story (`segment.past_article_end`), whatever its
    P(content)."""
    if threshold is None:
        threshold = per_page_thresholds(p, lines) if part["rule"] == "per_page" else part["threshold"]
    keep = whole_code_blocks(p >= threshold, lines)
    return keep & ~np.asarray(lines["past_article_end"], bool) if article_end else keep


# A <pre> (code, mostly) is one block that segmentation cuts at its line breaks, and the
# model judges line by line: it dropped the lone "}" and short "return x;" lines of code
# it kept, since lines repeated on a page are mostly boilerplate, and the benchmarks' labels
# never mark content a line without words. Kept whole when this share of its words is kept,
# which changed few pages out of fold and helped held-out documentation pages.
CODE_BLOCK_SHARE = 0.1


def whole_code_blocks(keep: np.ndarray, lines: Lines) -> np.ndarray:
    """`keep`, with the lines of each <pre> block all kept when at least CODE_BLOCK_SHARE of
    its words are kept (of its lines, in a block without words), else all dropped. A block
    is a run of <pre> lines of one page and one element around them."""
    pre = np.flatnonzero(np.asarray(lines["tag"]) == "pre")
    if not len(pre):
        return keep
    element = pair_keys(np.asarray(lines["page"])[pre], np.asarray(lines["box1"])[pre])
    starts = np.ones(len(pre), dtype=bool)
    starts[1:] = (np.diff(pre) != 1) | (element[1:] != element[:-1])
    block = np.cumsum(starts) - 1
    words = word_counts(np.asarray(lines["text"])[pre].tolist())
    weights = np.where(np.bincount(block, weights=words)[block] > 0, words, 1.0)
    kept_share = np.bincount(block, weights=weights * keep[pre]) / np.bincount(block, weights=weights)
    keep = keep.copy()
    keep[pre] = kept_share[block] >= CODE_BLOCK_SHARE
    return keep


class BoilerplateModel:
    """A loaded model: scores the lines of HTML pages and of plain-text pages."""

    def __init__(self, artifact: dict, path: Path | None = None):
        self.artifact = artifact
        self.path = path

    @property
    def threshold(self) -> float:
        """The tuned P(content) above which an HTML line is kept (under the "global" rule)."""
        return self.artifact["html"]["threshold"]

    @property
    def text_threshold(self) -> float:
        """The tuned P(content) above which a plain-text line is kept (under the "global" rule)."""
        return self.artifact["text"]["threshold"]

    @property
    def rules(self) -> dict[str, str]:
        """How each kind of page keeps its lines by default: "global" (above the tuned
        threshold) or "per_page" (above the page's own expected-F1 threshold)."""
        return {kind: self.artifact[kind]["rule"] for kind in KINDS}

    @property
    def card(self) -> dict:
        return self.artifact.get("card", {})

    @property
    def digest(self) -> str | None:
        """The SHA-256 digest of the model file's parts (`artifact.digest`): which model made a text."""
        return self.artifact.get("digest")

    def score_html(
        self,
        html: str | bytes,
        threshold: float | None = None,
        *,
        encoding: str | None = None,
        time_budget: float | None = None,
        article_end: bool = True,
    ) -> list[ScoredLine]:
        """Every line of an HTML page with P(content). A `threshold` replaces the model's
        tuned decision (see `rules`): lower keeps more (recall), higher keeps less. The lines
        of a <pre> block are kept or dropped together (`whole_code_blocks`), whatever their
        own P(content). A page without any markup (no tag, comment or doctype) is plain text,
        scored as `score_text` scores it. Bytes are read in the charset the page was served
        with, `encoding` (HTTP's Content-Type), if it names one, else as the page declares
        (`decode.decode_page`). A page that takes longer than `time_budget` seconds raises
        PageError; time is looked at between the stages of its work (after decoding, after
        parsing, every 65,536 elements or lines while it is cut into lines, between chunks of
        lines while they are scored), so a page stops within one stage of its budget.

        On a page that declares itself an article (og:type, schema.org), the lines after the end
        of its story (teasers, more stories, comments) are dropped whatever their P(content);
        `article_end=False` leaves them to it (`segment.past_article_end`)."""
        return scored_lines(*self._decide_html(html, threshold, encoding, Deadline(time_budget), article_end))

    def score_text(
        self, text: str | bytes, threshold: float | None = None, *, encoding: str | None = None, time_budget: float | None = None
    ) -> list[ScoredLine]:
        """Every non-blank line of a plain-text page with P(content); a line's text is as the
        page wrote it, less the whitespace it ends with (the model reads it collapsed).
        `encoding` and `time_budget` as for `score_html`."""
        deadline = Deadline(time_budget)
        return scored_lines(*self._decide("text", text_columns(text, encoding, deadline), threshold, deadline, article_end=False))

    def clean_html(
        self,
        html: str | bytes,
        threshold: float | None = None,
        *,
        encoding: str | None = None,
        title: bool = False,
        time_budget: float | None = None,
        article_end: bool = True,
    ) -> str:
        """The content lines of an HTML page, joined with newlines (see `score_html`); with
        `title`, the page's title (`html_title`) first, where the kept lines do not start with it."""
        text = kept_text(*self._decide_html(html, threshold, encoding, Deadline(time_budget), article_end))
        return with_title(html_title(html, encoding), text) if title else text

    def clean_text(
        self, text: str | bytes, threshold: float | None = None, *, encoding: str | None = None, time_budget: float | None = None
    ) -> str:
        """The content lines of a plain-text page, joined with newlines (see `score_text`)."""
        deadline = Deadline(time_budget)
        return kept_text(*self._decide("text", text_columns(text, encoding, deadline), threshold, deadline, article_end=False))

    def score_pages(
        self,
        pages: Iterable[str | bytes],
        kind: str = "html",
        threshold: float | None = None,
        *,
        time_budget: float | None = None,
        article_end: bool = True,
    ) -> Iterator[list[ScoredLine]]:
        """`score_html` (kind "html") or `score_text` (kind "text") of each page, in order, the
        same numbers; faster on many pages, whose lines are scored BATCH_LINES at a time.
        A page that cannot be scored raises its error, naming its place, once every page
        before it has been given. `time_budget` is each page's: for its decoding and cutting
        into lines alone, and, for the pages scored together, as many budgets as pages."""
        return (scored_lines(*decided) for decided in self._decide_pages(kind, pages, threshold, time_budget, article_end))

    def clean_pages(
        self,
        pages: Iterable[str | bytes],
        kind: str = "html",
        threshold: float | None = None,
        *,
        time_budget: float | None = None,
        article_end: bool = True,
    ) -> Iterator[str]:
        """`clean_html` or `clean_text` of each page, in order (see `score_pages`)."""
        return (kept_text(*decided) for decided in self._decide_pages(kind, pages, threshold, time_budget, article_end))

    def _decide(
        self, kind: str, columns: dict, threshold: float | None, deadline: Deadline, article_end: bool
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Each line's text, P(content) and whether it is kept, of one page's line columns."""
        return next(self._decide_batch(kind, [columns], threshold, deadline, article_end))

    def _decide_html(
        self, html: str | bytes, threshold: float | None, encoding: str | None, deadline: Deadline, article_end: bool
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        return self._decide(*html_or_text_columns(html, encoding, deadline), threshold, deadline, article_end)

    def _decide_lines(
        self, kind: str, lines: Lines, threshold: float | None, deadline: Deadline, article_end: bool
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """`_decide` of the lines of one or more pages (their `page` column)."""
        if threshold is not None and not 0 <= threshold <= 1:  # nan too: every comparison with it is false
            raise ValueError(f"threshold must be a probability from 0 (keeps every line) to 1, or None, not {threshold!r}")
        part = self.artifact[kind]
        texts = lines["text"].tolist()
        lines = cut_for_scoring(lines, texts)
        probabilities = predict_lines(part, lines, deadline)
        return texts, probabilities, decisions(part, probabilities, lines, None if threshold is None else float(threshold), article_end)

    def _decide_pages(
        self, kind: str, pages: Iterable[str | bytes], threshold: float | None, time_budget: float | None, article_end: bool
    ) -> Iterator[tuple]:
        """`_decide` of each page, lazily; a wrong kind or time budget, or one page given where
        an iterable of pages is asked for, is said at the call, not at the first page."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if isinstance(pages, (str, bytes, bytearray, memoryview)):  # iterating it would score each character
            raise TypeError(f"pages must be an iterable of pages, not one page ({type(pages).__name__}): pass [page]")
        Deadline(time_budget)  # a bad budget is refused here
        return self._decide_batches(kind, pages, threshold, time_budget, article_end)

    def _decide_batches(
        self, kind: str, pages: Iterable[str | bytes], threshold: float | None, time_budget: float | None, article_end: bool
    ) -> Iterator[tuple]:
        """The pages' lines scored several pages a call: a feature block costs about as much
        a call for ten lines as for a few hundred. Every signal of a line is made within its
        own page (its `page`), so the scores are those of the page alone."""

        def kind_and_columns(page, deadline: Deadline) -> tuple[str, dict]:
            return html_or_text_columns(page, None, deadline) if kind == "html" else ("text", text_columns(page, None, deadline))

        def scored(batch_kind: str, batch: list[dict], first: int) -> Iterator[tuple]:
            return self._decide_batch(batch_kind, batch, threshold, batch_deadline(time_budget, first, len(batch)), article_end)

        batch, batch_lines, first = [], 0, 0
        for number, page in enumerate(pages):
            try:
                page_kind, columns = kind_and_columns(page, Deadline(time_budget))
            except (PageError, TypeError) as error:
                yield from scored(kind, batch, first)
                raise type(error)(f"page {number}: {error}") from error
            except Exception as error:  # a fault of this library's on one page: the pages before it still count
                yield from scored(kind, batch, first)
                raise PageError(f"page {number} could not be scored ({type(error).__name__}: {error})") from error
            if page_kind != kind:  # an "HTML" page without markup (rare), scored alone and in its place
                yield from scored(kind, batch, first)
                yield from scored(page_kind, [columns], number)
                batch, batch_lines, first = [], 0, number + 1
                continue
            batch.append(columns)
            batch_lines += len(columns["text"])
            if batch_lines >= BATCH_LINES:
                yield from scored(kind, batch, first)
                batch, batch_lines, first = [], 0, number + 1
        yield from scored(kind, batch, first)

    def _decide_batch(
        self, kind: str, pages: list[dict], threshold: float | None, deadline: Deadline, article_end: bool
    ) -> Iterator[tuple]:
        """`_decide` of each of the pages' line columns, scored together: the fixed cost of a
        call is paid once for all of them."""
        if not pages:
            return
        sizes = [len(columns["text"]) for columns in pages]
        lines = join_lines(pages)
        lines["page"] = np.repeat(np.arange(len(sizes)), sizes)
        texts, probabilities, keep = self._decide_lines(kind, lines, threshold, deadline, article_end)
        start = 0
        for size, columns in zip(sizes, pages):
            stop = start + size
            yield as_written(texts[start:stop], columns[AS_WRITTEN]), probabilities[start:stop], keep[start:stop]
            start = stop


def batch_deadline(time_budget: float | None, first: int, count: int) -> Deadline:
    """The deadline of scoring pages `first` to `first + count - 1` together: a budget for each."""
    if time_budget is None or not count:
        return NO_DEADLINE
    if count == 1:
        return Deadline(time_budget, f"page {first}")
    return Deadline(time_budget * count, f"pages {first} to {first + count - 1}, scored together,")


def as_written(texts: list[str], written: list[str]) -> list[str]:
    """Each line as the page wrote it where it was not its collapsed text (code's indentation
    and aligned columns), else the collapsed text."""
    return [line or text for line, text in zip(written, texts)] if any(written) else texts


def scored_lines(texts: list[str], probabilities: np.ndarray, keep: np.ndarray) -> list[ScoredLine]:
    return [ScoredLine(text, p, k) for text, p, k in zip(texts, probabilities.tolist(), keep.tolist())]


def with_title(title: str, text: str) -> str:
    """`text` with `title` as its first line, unless it is empty or already that line."""
    if not title or text.split("\n", 1)[0] == title:
        return text
    return f"{title}\n{text}" if text else title


def kept_text(texts: list[str], probabilities: np.ndarray, keep: np.ndarray) -> str:
    """What `content_text` gives for these lines, without the cost of making a ScoredLine of each."""
    return "\n".join(compress(texts, keep.tolist()))
