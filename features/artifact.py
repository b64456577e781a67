"""The model file: plain data, which loading cannot execute.

A model file is a `.npz` (numpy's zip of `.npy` arrays), read with `allow_pickle=False`: a file
from anyone can at worst be refused, never run code, and it holds no class of this project or
of scikit-learn, so neither renaming a module nor upgrading scikit-learn breaks it. It holds:

    meta.json        the metadata below, as UTF-8 bytes
    KIND.coef        the linear model's weights over the feature blocks, in order, and
    KIND.intercept   its intercept (float32 or float64, as trained: the scores are summed in it)
    KIND.BLOCK.mean, KIND.BLOCK.scale   the hand-crafted block's scaler
    KIND.BLOCK.idf   a TF-IDF block's inverse document frequencies
    KIND.booster     LightGBM's own model text (which loads across its versions), UTF-8 bytes

for KIND "html" and "text". meta.json: {"format", "format_version", "digest" (SHA-256 of every
other array, in name order), "card", and per kind: "n_stats",
"threshold", "rule", "booster" (true or false) and "blocks": one per feature block, in the
order of the weights: {"name", "columns", "kind": "stats", "n_features", "stats": LineStats'
parameters and feature names} or {"name", "columns", "kind": "tfidf", "tokens": "words" |
"split", "structure_ancestors" (null, or StructureTokens' parameter), "unique_rows", "terms"
(the vocabulary, in column order), "sublinear_tf", "norm"}}.

Why this and not joblib: a pickle runs whatever code its file names (a shared model is a
shared program), and loads only under the scikit-learn version that wrote it. skops' format
is safe too, but still rebuilds scikit-learn objects, which the scorer does not need.
"""

import hashlib
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

FORMAT = "boilerline"
FORMAT_VERSION = 14
KINDS = ("html", "text")
META = "meta.json"
WORD_TOKEN_PATTERN = r"(?u)\b\w+\b"  # the word block's tokens: `lines.counts_of_words` counts these


class ModelError(RuntimeError):
    """A model file that cannot be used; the message names the problem and what to do."""


def write(path: str | Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """The model file at `path`: `arrays` and `meta` (with its format and digest added)."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta, "digest": digest(arrays)}
    with open(path, "wb") as stream:
        np.savez_compressed(stream, **{META: as_bytes(json.dumps(meta))}, **arrays)


def read(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of the model file at `path`, checked: a ModelError says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no model file at {path}: run `make train`, or pass the path of a trained model")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:  # not a zip, truncated, or holding pickles
        raise ModelError(
            f"{path} is not a readable model ({type(error).__name__}: {error}); it may be truncated, corrupted or of an older "
            "format (models before format 14 were pickles): retrain with `make train` or copy it again"
        ) from None
    meta = _meta(arrays.pop(META, None), path)
    if digest(arrays) != meta.get("digest"):
        raise ModelError(f"{path} has parts that do not match its digest: it was altered or damaged; copy it again or retrain")
    _check_parts(meta, arrays, path)
    return meta, arrays


def _meta(stored, path: Path) -> dict:
    if stored is None or stored.dtype != np.uint8:
        raise ModelError(f"{path} is not a boilerline model (no {META}); pass a file written by train.py")
    try:
        meta = json.loads(stored.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path} has an unreadable {META} ({error}): copy it again or retrain") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path} is not a boilerline model (no '{FORMAT}' format tag); pass a file written by train.py")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path} has model format {meta.get('format_version')}, this code reads {FORMAT_VERSION}: "
            "retrain with `make train` or install the project version that wrote it"
        )
    return meta


def _check_parts(meta: dict, arrays: dict[str, np.ndarray], path: Path) -> None:
    """Every part the scorer reads is there, of the type and shape it reads."""
    for kind in KINDS:
        part = meta.get(kind)
        problem = _part_problem(kind, part, arrays) if isinstance(part, dict) else "is missing"
        if problem:
            raise ModelError(f"{path}: its {kind} model {problem}; retrain with `make train`")


def _part_problem(kind: str, part: dict, arrays: dict[str, np.ndarray]) -> str | None:
    if not isinstance(part.get("threshold"), (int, float)) or not 0 <= part["threshold"] <= 1:
        return "has no threshold between 0 and 1"
    if part.get("rule") not in ("global", "per_page"):
        return f"has an unknown decision rule {part.get('rule')!r}"
    intercept = arrays.get(f"{kind}.intercept")
    if intercept is None or intercept.shape != (1,) or intercept.dtype not in (np.float32, np.float64):
        return "lacks its intercept"
    if not isinstance(part.get("n_stats"), int):
        return "lacks its count of hand-crafted features"
    if part.get("booster") and arrays.get(f"{kind}.booster", np.zeros(0)).dtype != np.uint8:
        return "lacks its booster"
    blocks = part.get("blocks")
    if not isinstance(blocks, list) or not blocks or blocks[0].get("kind") != "stats":
        return "lacks its feature blocks (the hand-crafted one first)"
    width = sum(_block_width(kind, block, arrays) for block in blocks)
    coef = arrays.get(f"{kind}.coef")
    if coef is None or coef.dtype != intercept.dtype or coef.shape != (width,):
        return f"has {None if coef is None else coef.shape} weights for {width} features"
    return None


def _block_width(kind: str, block: dict, arrays: dict[str, np.ndarray]) -> int:
    """The number of features of a block, once its arrays are checked against it (a ModelError's
    message comes from the caller: -1 makes the widths disagree)."""
    name = f"{kind}.{block.get('name')}"
    if block.get("kind") == "stats":
        width = len(block.get("stats", {}).get("feature_names", []))
        parts = [arrays.get(f"{name}.mean"), arrays.get(f"{name}.scale")]
        return width if all(p is None or p.shape == (width,) for p in parts) else -1
    if block.get("kind") == "tfidf" and block.get("tokens") in ("words", "split"):
        width = len(block.get("terms", []))
        idf = arrays.get(f"{name}.idf")
        return width if idf is not None and idf.shape == (width,) else -1
    return -1


def digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the arrays' names, types, shapes and bytes, in name order."""
    hashed = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        hashed.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        hashed.update(array.tobytes())
    return hashed.hexdigest()


def as_bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def as_text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")


# --- From the fitted objects of train.py ---------------------------------------------------------


def plain_model(artifact: dict) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a trained model: per kind, its scikit-learn pipeline (a ColumnTransformer
    of feature blocks, then a linear classifier) and LightGBM booster as plain numbers."""
    meta = {key: value for key, value in artifact.items() if key not in KINDS}
    arrays = {}
    for kind in KINDS:
        meta[kind], kind_arrays = _plain_part(kind, artifact[kind])
        arrays |= kind_arrays
    return meta, arrays


def _plain_part(kind: str, part: dict) -> tuple[dict, dict[str, np.ndarray]]:
    union, classifier = part["linear"][0], part["linear"][-1]
    arrays = {f"{kind}.coef": np.asarray(classifier.coef_).ravel(), f"{kind}.intercept": np.asarray(classifier.intercept_).ravel()}
    blocks = []
    for name, transformer, columns in union.transformers_:
        if isinstance(transformer, str):  # "drop": the columns no block reads
            continue
        block, block_arrays = plain_block(kind, name, columns, transformer)
        blocks.append(block)
        arrays |= block_arrays
    booster = part.get("booster")
    if booster is not None:
        arrays[f"{kind}.booster"] = as_bytes(booster.booster_.model_to_string())
    meta = {
        "n_stats": int(part["n_stats"]),
        "threshold": float(part["threshold"]),
        "rule": part["rule"],
        "booster": booster is not None,
        "blocks": blocks,
    }
    return meta, arrays


def plain_block(kind: str, name: str, columns, block) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of one fitted feature block: the hand-crafted one (named "stats") or a TF-IDF one."""
    meta, arrays = (_plain_stats if name == "stats" else _plain_tfidf)(block)
    return {"name": name, "columns": columns} | meta, {f"{kind}.{name}.{key}": value for key, value in arrays.items()}


def _plain_stats(block) -> tuple[dict, dict[str, np.ndarray]]:
    """LineStats, then a StandardScaler."""
    stats, scaler = block[0], block[-1]
    arrays = {}
    if scaler.with_mean:
        arrays["mean"] = np.asarray(scaler.mean_, dtype=np.float64)
    if scaler.with_std:
        arrays["scale"] = np.asarray(scaler.scale_, dtype=np.float64)
    parameters = {
        "stopwords": sorted(stats.stopwords),
        "context": stats.context,
        "html": stats.html,
        "feature_names": [str(name) for name in stats.feature_names_out_],
    }
    return {"kind": "stats", "stats": parameters}, arrays


def _plain_tfidf(block) -> tuple[dict, dict[str, np.ndarray]]:
    """[StructureTokens,] counts (TokenCounts, maybe inside UniqueRows), then a TfidfTransformer."""
    *steps, counter, tfidf = (step for _, step in block.steps)
    structure_ancestors = steps[0].ancestors if steps else None
    unique_rows = hasattr(counter, "transformer_")  # UniqueRows, around its counts
    vectorizer = (counter.transformer_ if unique_rows else counter).vectorizer_
    if callable(vectorizer.analyzer) and vectorizer.analyzer is str.split and not vectorizer.lowercase:
        tokens = "split"
    elif vectorizer.analyzer == "word" and vectorizer.token_pattern == WORD_TOKEN_PATTERN and vectorizer.lowercase:
        tokens = "words"
    else:
        raise ValueError(f"a TF-IDF block's tokens must be words ({WORD_TOKEN_PATTERN}, lowercased) or str.split, not {vectorizer!r}")
    if not tfidf.use_idf or tfidf.norm not in ("l1", "l2", None):
        raise ValueError(f"a TF-IDF block needs idf and an l1, l2 or no norm, not {tfidf!r}")
    terms = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    meta = {
        "kind": "tfidf",
        "tokens": tokens,
        "structure_ancestors": structure_ancestors,
        "unique_rows": unique_rows,
        "terms": terms,
        "sublinear_tf": bool(tfidf.sublinear_tf),
        "norm": tfidf.norm,
    }
    return meta, {"idf": np.asarray(tfidf.idf_, dtype=np.float64)}
