"""Training helpers that decide what the model optimises."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from boilerline import artifact, load_model
from boilerline.model import predict_lines
from boilerline.segment import segment_html, segment_text
from train import (
    CROP_LINES,
    CROP_SHARE,
    FOREIGN_SHARE,
    PageScorer,
    StackedModel,
    choose_rule,
    domain_folds,
    feature_union,
    fit_linear,
    is_users,
    mean_model,
    one_rendering_per_page,
    out_of_fold_candidates,
    with_crops,
    with_foreign_copies,
    word_weights,
)


def test_every_page_weighs_the_same_and_words_weigh_within_a_page():
    lines = pd.DataFrame(
        {
            "page": [0, 0, 0, 1],
            "text": ["a long paragraph of six words", "Home", "two words", "one very long page line " * 50],
        }
    )
    weights = word_weights(lines)
    page_totals = pd.Series(weights).groupby(lines["page"]).sum()
    assert page_totals[0] == pytest.approx(page_totals[1])
    assert weights[0] == pytest.approx(3 * weights[2]) and weights[2] == pytest.approx(2 * weights[1])


def test_the_users_pages_and_their_crops_are_told_from_the_benchmarks(monkeypatch):
    import train

    lines = pd.DataFrame({"page_id": ["0614", "labelled:my/pages/shop", "labelled:my/pages/shop#crop", "labelled:other/x", "wcxb:my/y/1"]})
    monkeypatch.setattr(train, "TRAIN_EXTRA", ["labelled:my/pages", "wcxb:my/y"])
    assert is_users(lines).tolist() == [False, True, True, False, True]
    monkeypatch.setattr(train, "TRAIN_EXTRA", [])
    assert not is_users(lines).any()


def test_one_rendering_per_page_keeps_every_page_once_in_one_rendering():
    lines = pd.DataFrame(
        {
            "page_id": np.repeat(["p1", "p2", "p3"], 6),
            "rendering": np.tile(np.repeat(["lines", "html_text", "inscriptis"], 2), 3),
            "text": [f"line {i}" for i in range(18)],
        }
    )
    chosen = one_rendering_per_page(lines)
    assert chosen.groupby("page_id")["rendering"].nunique().eq(1).all()
    assert sorted(chosen["page_id"].unique()) == ["p1", "p2", "p3"]
    assert len(chosen) == 6


def test_a_page_without_the_drawn_rendering_keeps_one_it_has():
    """A user's plain-text page comes in one rendering only; it must still train."""
    lines = pd.DataFrame(
        {
            "page_id": ["p1"] * 6 + ["mine"] * 2 + ["p2"] * 2,
            "rendering": ["lines", "lines", "html_text", "html_text", "inscriptis", "inscriptis", "text", "text", "lines", "html_text"],
            "text": [f"line {i}" for i in range(10)],
        }
    )
    chosen = one_rendering_per_page(lines)
    assert sorted(chosen["page_id"].unique()) == ["mine", "p1", "p2"]
    assert chosen.loc[chosen["page_id"] == "mine", "rendering"].tolist() == ["text", "text"]
    assert chosen.groupby("page_id")["rendering"].nunique().eq(1).all()


def pages_of_lines(pages: int, lines: int, **columns) -> pd.DataFrame:
    """`pages` WCXB-like pages of `lines` lines each, on 5 sites, with these columns besides."""
    return pd.DataFrame(
        {
            "page": np.repeat(np.arange(pages), lines),
            "page_id": np.repeat([f"p{i}" for i in range(pages)], lines),
            "domain": np.repeat([f"site{i % 5}.example" for i in range(pages)], lines),
            "source": "wcxb",
        }
        | columns
    )


def test_crops_are_runs_of_one_page_as_short_pages_of_their_own_in_its_fold():
    pages = 40
    lines = pages_of_lines(
        pages,
        30,
        text=[f"line {i % 30} of page {i // 30}" if i % 7 else "Home" for i in range(pages * 30)],
        position=np.tile(np.arange(30) / 29, pages),
        repeats=0,
    )
    cropped = with_crops(lines)
    assert cropped.iloc[: len(lines)].equals(lines)
    crops = cropped.iloc[len(lines) :]
    assert crops["page"].nunique() == int(CROP_SHARE * pages) and set(crops["source"]) == {"crop"}
    assert not set(crops["page"]) & set(lines["page"])
    for _, crop in crops.groupby("page"):
        source = lines[lines["page_id"] == crop["page_id"].iloc[0].removesuffix("#crop")]
        assert 1 <= len(crop) <= CROP_LINES and crop["domain"].nunique() == 1 and crop["domain"].iloc[0] == source["domain"].iloc[0]
        start = source["text"].tolist().index(crop["text"].iloc[0]) if crop["text"].iloc[0] != "Home" else None
        if start is not None:  # a run of the page's lines in order
            assert crop["text"].tolist() == source["text"].tolist()[start : start + len(crop)]
        assert crop["position"].tolist() == (np.arange(len(crop)) / max(len(crop) - 1, 1)).tolist()
        assert (crop["repeats"] == crop.groupby("text")["text"].transform("size") - 1).all()


def test_foreign_copies_are_whole_pages_enciphered_as_pages_of_their_own_in_their_fold():
    pages = 40
    lines = pages_of_lines(
        pages,
        5,
        source=["crop" if i >= 35 else "wcxb" for i in range(pages) for _ in range(5)],
        text=[f"Line {j} of page {i}" for i in range(pages) for j in range(5)],
        label=np.tile([1, 0, 1, 0, 0], pages),
    )
    copied = with_foreign_copies(lines)
    assert copied.iloc[: len(lines)].equals(lines)
    copies = copied.iloc[len(lines) :]
    assert copies["page"].nunique() == int(FOREIGN_SHARE * 35) and set(copies["source"]) == {"foreign"}
    assert not set(copies["page"]) & set(lines["page"])
    for _, copy in copies.groupby("page", sort=False):
        source = lines[lines["page_id"] == copy["page_id"].iloc[0].removesuffix("#foreign")]
        assert source["source"].iloc[0] == "wcxb"  # whole pages, not crops
        assert copy["domain"].tolist() == source["domain"].tolist() and copy["label"].tolist() == source["label"].tolist()
        assert [len(t) for t in copy["text"]] == [len(t) for t in source["text"]]
        assert not copy["text"].str.contains("[a-z]", regex=True).any()
    assert (np.diff(copied["page"].to_numpy()) != 0).sum() == copied["page"].nunique() - 1  # each page's rows together


def two_line_pages(p_content: list[float], p_boilerplate: list[float]):
    """Pages of one gold line and one boilerplate line of four words each, with their P(content)."""
    n = len(p_content)
    lines = pd.DataFrame(
        {
            "page": np.repeat(np.arange(n), 2),
            "page_id": np.repeat([f"p{i}" for i in range(n)], 2),
            "page_type": "article",
            "text": ["river flooded the town", "share on social media"] * n,
        }
    )
    gold = {f"p{i}": "river flooded the town" for i in range(n)}
    p = np.column_stack([p_content, p_boilerplate]).ravel()
    return p, lines, PageScorer(lines, gold)


def test_one_threshold_is_chosen_only_when_clearly_better():
    # Boilerplate at 0.6 beside content at 0.9: each page's own expected-F1 threshold keeps
    # both lines (page F1 0.67), the one threshold of 0.62 keeps the content alone (1.0).
    p, lines, scorer = two_line_pages([0.9] * 6, [0.6] * 6)
    rule, scores = choose_rule(p, lines, scorer, threshold=0.62)
    assert rule == "global" and scores["global"] == 1.0 and scores["per_page"] == pytest.approx(0.6667, abs=1e-4)

    # One page more, whose content (0.5) the one threshold drops: the one threshold is still
    # better on average, by less than two standard errors.
    p, lines, scorer = two_line_pages([0.9] * 5 + [0.5], [0.6] * 5 + [0.05])
    rule, scores = choose_rule(p, lines, scorer, threshold=0.62)
    assert scores["global"] > scores["per_page"] and rule == "per_page"


def test_the_mean_model_scores_the_mean_of_its_models():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 5)), rng.integers(0, 2, 300)
    models = [fit_linear(X[rows], y[rows]) for rows in np.array_split(np.arange(300), 3)]
    expected = np.mean([model.decision_function(X) for model in models], axis=0)
    np.testing.assert_allclose(mean_model(models).decision_function(X), expected)


def site_memorising_task(sites: int = 24, lines_per_page: int = 20):
    """Lines whose only signal is a word private to their site: the content lines of a site
    carry it, the others carry nothing. A model that saw the site separates them; a model
    that never did cannot."""
    rows = sites * 2 * lines_per_page
    lines = pd.DataFrame(
        {
            "domain": np.repeat([f"site{n}.example" for n in range(sites)], 2 * lines_per_page),
            "page": np.repeat(np.arange(sites * 2), lines_per_page),
            "text": ["some words"] * rows,
        }
    )
    lines["box1"] = lines["box2"] = lines["box3"] = 0
    y = np.random.default_rng(2).integers(0, 2, rows)  # no pattern of positions to learn
    site = np.repeat(np.arange(sites), 2 * lines_per_page)
    site_word = sp.csr_matrix((y.astype(float), (np.arange(rows), 1 + site)), shape=(rows, 1 + sites))
    noise = sp.csr_matrix(np.random.default_rng(3).normal(size=(rows, 1)))  # the one "hand-crafted" column
    return sp.hstack([noise, site_word]).tocsr(), y, np.ones(rows), lines


def test_out_of_fold_scores_never_come_from_a_model_that_saw_the_site():
    X, y, weights, lines = site_memorising_task()
    # two of the three linear models inside the final model saw each site
    assert roc_auc_score(y, StackedModel.fit(True, X, y, weights, lines, n_stats=1).linear.decision_function(X)) > 0.99
    for name, p in out_of_fold_candidates(X, y, weights, lines, n_stats=1, kind="test").items():
        assert roc_auc_score(y, p) < 0.65, name


@pytest.mark.parametrize("missing", ["lines", "train_extra", "mislabelled", "bad_spec"])
def test_a_missing_dataset_stops_training_with_one_line_saying_what_to_do(tmp_path, monkeypatch, capsys, missing):
    import data.build
    import train

    if missing == "lines":
        monkeypatch.setattr(data.build, "LINES_DIR", tmp_path / "no-lines")
    else:  # the benchmark's lines are there, the user's pages are not, or not as labelled
        monkeypatch.setattr(train, "load_lines", lambda name: pd.DataFrame())
        monkeypatch.setattr(train, "TRAIN_EXTRA", [f"labelled:{tmp_path / 'mine'}" if missing != "bad_spec" else "my/pages"])
    if missing == "mislabelled":
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "shop.html").write_text("<p>Buy now</p><p>A red kettle</p>", encoding="utf-8")
        (tmp_path / "mine" / "shop.tsv").write_text("boilerplate\tBuy now\ncontent\tA blue kettle\n", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["train.py", "--out", str(tmp_path / "model.npz")])
    with pytest.raises(SystemExit) as stopped:
        train.main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    said = {
        "lines": "run `make lines`",
        "train_extra": "no hand-labelled pages (*.tsv)",
        "mislabelled": "shop.tsv:2: the labelled line 'A blue kettle' is not the page's line 2, 'A red kettle'",
        "bad_spec": "expected FORMAT:PATH with FORMAT one of",
    }
    assert said[missing] in err
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.parametrize("kind", ["html", "text"])
def test_the_model_file_scores_every_line_as_the_fitted_objects_do(tmp_path, kind):
    """A model written as plain data (boilerline.artifact) and loaded again gives the
    probabilities that training's scikit-learn pipeline and LightGBM booster give."""
    pages = sorted((Path(__file__).parent / "fixtures" / "pages").glob("*.htm*")) * 3
    segment = segment_html if kind == "html" else lambda page: segment_text("\n".join(segment_html(page)["text"]))
    lines = pd.concat([segment(path.read_text()).assign(page=i, domain=f"site{i % 3}") for i, path in enumerate(pages)], ignore_index=True)
    y = np.array(["the" in text.lower() for text in lines["text"]])
    features = feature_union(kind, frozenset({"the", "and", "of"}))
    X = features.fit_transform(lines).tocsr()
    n_stats = len(features.named_transformers_["stats"][-1].scale_)
    fitted = StackedModel.fit(True, X, y, np.ones(len(y)), lines, n_stats)
    part = {
        "linear": Pipeline([("features", features), ("classifier", fitted.linear)]),
        "booster": fitted.booster,
        "n_stats": n_stats,
        "threshold": 0.5,
        "rule": "per_page",
    }
    artifact.write(tmp_path / "model.npz", *artifact.plain_model({"html": part, "text": part, "card": {}}))
    loaded = load_model(tmp_path / "model.npz")
    assert np.array_equal(predict_lines(loaded.artifact[kind], lines), fitted.predict(X, lines, n_stats))


@pytest.mark.parametrize("out", [None, "models/boilerplate.npz", "models/../models/boilerplate.npz"])
def test_a_model_trained_on_the_users_pages_never_replaces_the_shipped_one(monkeypatch, capsys, out):
    import train

    shipped = train.SHIPPED_MODEL.read_bytes()
    monkeypatch.setattr(train, "TRAIN_EXTRA", ["labelled:my/pages"])
    monkeypatch.setattr(train, "MODEL_DIR", train.SHIPPED_MODEL.parent)
    monkeypatch.chdir(train.SHIPPED_MODEL.parent.parent)
    monkeypatch.setattr("sys.argv", ["train.py", *(["--out", out] if out else [])])
    monkeypatch.setattr(train, "training_lines", lambda: pytest.fail("trained"))
    with pytest.raises(SystemExit) as stopped:
        train.main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "does not replace the shipped models/boilerplate.npz; pass MODEL_DIR=DIR" in err
    assert train.SHIPPED_MODEL.read_bytes() == shipped


def test_a_composite_never_trains_the_model_that_scores_its_inserted_sites_fold():
    sites = [f"site{n}.example" for n in range(6)]
    pages = pd.DataFrame({"domain": sites, "inserted_domain": None})
    composites = pd.DataFrame({"domain": sites, "inserted_domain": sites[1:] + sites[:1]})
    lines = pd.concat([pages, composites], ignore_index=True)
    for others, rows in domain_folds(lines):
        fold_sites = set(lines["domain"].iloc[rows])
        trained_on = lines.iloc[others]
        assert not set(trained_on["domain"]) & fold_sites
        assert not set(trained_on["inserted_domain"].dropna()) & fold_sites
        # every other composite still trains it
        apart = lines.index[
            lines["inserted_domain"].notna() & ~lines["domain"].isin(fold_sites) & ~lines["inserted_domain"].isin(fold_sites)
        ]
        assert len(apart) and set(apart) <= set(others)
