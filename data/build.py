"""Build the labelled-line tables: every page segmented, aligned with its gold text, and saved.

One Hugging Face `Dataset` per source under DATA_DIR/lines/<source>, one row per line of
each rendering of each page ("html" for the page's own HTML lines, then each plain-text
rendering of data.render). Training and evaluation read these in seconds instead of
re-parsing pages. WCXB's composite pages (data.composite) get a table of their own,
DATA_DIR/lines/composite, that training adds to WCXB's. The build also measures two ceilings
per page type: joining the lines labelled content (what a perfect line classifier could
reach) and joining all lines (what segmentation alone keeps of the gold text).
"""

import json
import multiprocessing
import shutil
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
from tqdm import tqdm

from boilerline.decode import PageError
from boilerline.segment import cut_for_scoring, segment_html, segment_text

from . import settings
from .align import label_lines
from .composite import composite_pages
from .fetch import raw_dir
from .metrics import word_prf
from .render import RENDERINGS
from .sources import DatasetMissing, Page, read_scrapinghub, read_spec, read_wcxb
from .split import is_held_out

LINES_DIR = settings.DATA_DIR / "lines"
READERS = {"wcxb": (read_wcxb, "wcxb-dev"), "scrapinghub": (read_scrapinghub, "scrapinghub")}
COMPOSITE = "composite"  # the table of WCXB's composite pages


def renderings_of(page: Page) -> dict[str, pd.DataFrame]:
    """Each rendering of a page as segmented lines: its HTML lines, then each text rendering."""
    if page.html is None:
        return {"text": segment_text(page.text or "")}
    frames = {"html": segment_html(page.html)}
    # A composite (data.composite) is HTML only: in plain text nothing but its place tells the
    # inserted block from the article, and the text model learned to drop a story's last
    # paragraphs from it (the seed page's, P 0.85 to 0.41; docs/experiments.md).
    if page.source == "composite":
        return frames
    for name, render in RENDERINGS.items():
        frames[name] = segment_text(render(page.html))
    return frames


def label_page(page: Page) -> tuple[pd.DataFrame | None, list[dict], str | None]:
    """(labelled lines of every rendering, ceiling records, reason the page was skipped)."""
    if page.gold is None and page.labels is None:
        return None, [], "no gold main text"
    try:
        frames = renderings_of(page)
    except (PageError, ValueError) as error:
        return None, [], f"unreadable: {error}"
    labelled, ceilings = [], []
    for rendering, frame in frames.items():
        texts = frame["text"].tolist()
        # Hand labels are those of the lines they were written for (a plain-text page's, an
        # HTML page's own lines: data.sources checks them); the text renderings of an HTML page
        # are aligned with its gold.
        by_hand = page.labels is not None and rendering in ("text", "html")
        labels = page.labels if by_hand else label_lines(texts, page.gold)
        if len(labels) != len(texts):
            return None, [], f"{len(labels)} labels for {len(texts)} lines"
        # Labelled whole, kept as the model reads them.
        labelled.append(cut_for_scoring(frame, texts).assign(rendering=rendering, label=np.asarray(labels, dtype=np.int8)))
        if page.gold is not None:
            kept = "\n".join(t for t, y in zip(texts, labels) if y)
            ceilings.append(
                {
                    "page_type": page.page_type,
                    "rendering": rendering,
                    "label_f1": word_prf(kept, page.gold)[2],
                    "segment_recall": word_prf("\n".join(texts), page.gold)[1],
                }
            )
    lines = pd.concat(labelled, ignore_index=True).assign(
        source=page.source,
        page_id=page.page_id,
        page_type=page.page_type,
        domain=page.domain,
        held_out=page.source == "wcxb" and is_held_out(page.domain),
    )
    return lines, ceilings, None


def build_source(pages: list[Page], jobs: int = settings.JOBS) -> tuple[pd.DataFrame, list[dict], Counter]:
    """Label every page (in `jobs` processes) and return lines, ceiling records, skip reasons."""
    results, ceilings, skipped = [], [], Counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        outcomes = pool.imap(label_page, pages, chunksize=4)
        for lines, page_ceilings, reason in tqdm(outcomes, total=len(pages), desc=pages[0].source, unit="page"):
            if reason:
                skipped[reason] += 1
                continue
            results.append(lines)
            ceilings.extend(page_ceilings)
    if not results:
        raise DatasetMissing(f"none of the {len(pages)} pages of {pages[0].source} could be labelled: {dict(skipped)}")
    lines = pd.concat(results, ignore_index=True)
    lines["page"] = page_groups(lines)
    return lines, ceilings, skipped


def page_groups(lines: pd.DataFrame) -> np.ndarray:
    """One group id per (page, rendering), in order: neighbours are looked up within it."""
    return (lines["page_id"] + "/" + lines["rendering"]).factorize()[0].astype(np.int32)


def user_lines(specs: list[str]) -> pd.DataFrame | None:
    """The labelled lines of the user's own datasets (FORMAT:PATH specs), or None without any.

    Built afresh on every call: such datasets are small, and a table on disk would go stale
    whenever the specs change. Page ids become `spec/page_id`, unique beside the benchmarks'.
    """
    tables = []
    for spec in specs:
        pages = read_spec(spec)
        lines, _, skipped = build_source(pages)
        if skipped:
            print(f"{spec}: skipped {sum(skipped.values())} of {len(pages)} pages: {dict(skipped)}")
        tables.append(lines.assign(page_id=spec + "/" + lines["page_id"]))
    if not tables:
        return None
    lines = pd.concat(tables, ignore_index=True)
    lines["page"] = page_groups(lines)
    return lines


def save_lines(lines: pd.DataFrame, name: str) -> Path:
    path = LINES_DIR / name
    datasets.Dataset.from_pandas(lines, preserve_index=False).save_to_disk(str(path))
    return path


def load_lines(name: str) -> pd.DataFrame:
    """The labelled lines of a source, as built by `make lines`."""
    path = LINES_DIR / name
    if not (path / "dataset_info.json").exists():
        raise DatasetMissing(f"no labelled lines at {path}: run `make lines` (DATA_MIRROR=DIR, a local copy of the datasets, when offline)")
    return datasets.load_from_disk(str(path)).to_pandas()


def build_composites(pages: list[Page]) -> dict:
    """The table of composites of COMPOSITE_SHARE of the WCXB pages, and its summary; with
    none (a share of 0), no table, so that training reads no stale one."""
    shutil.rmtree(LINES_DIR / COMPOSITE, ignore_errors=True)
    made = composite_pages(pages, settings.COMPOSITE_SHARE, settings.SEED)
    if not made:
        return {}
    lines, ceilings, skipped = build_source(made)
    # The site of each composite's inserted block (training's folds keep it from that site's scorer).
    domains = {page.page_id: page.domain for page in pages}
    lines["inserted_domain"] = lines["page_id"].str.partition("+")[2].map(domains)
    save_lines(lines, COMPOSITE)
    return {COMPOSITE: summarize(COMPOSITE, lines, skipped, ceilings) | {"share": settings.COMPOSITE_SHARE}}


def load_composite_lines() -> pd.DataFrame | None:
    """The composite pages' labelled lines, or None where the build made none."""
    return load_lines(COMPOSITE) if (LINES_DIR / COMPOSITE / "dataset_info.json").exists() else None


def ceiling_table(ceilings: list[dict]) -> pd.DataFrame:
    """Mean labelling ceiling (F1) and segmentation recall per rendering and page type."""
    frame = pd.DataFrame(ceilings)
    overall = frame.assign(page_type="ALL")
    table = (
        pd.concat([frame, overall])
        .groupby(["rendering", "page_type"])
        .agg(pages=("label_f1", "size"), label_f1=("label_f1", "mean"), segment_recall=("segment_recall", "mean"))
    )
    return table.round(4)


def summarize(name: str, lines: pd.DataFrame, skipped: Counter, ceilings: list[dict]) -> dict:
    html = lines[lines["rendering"] == "html"]
    summary = {
        "source": name,
        "pages": int(html["page_id"].nunique()),
        "lines_by_rendering": lines["rendering"].value_counts().to_dict(),
        "html_content_share": round(float(html["label"].mean()), 4),
        "skipped": dict(skipped),
        "ceilings": ceiling_table(ceilings).reset_index().to_dict(orient="records"),
    }
    print(
        f"\n{name}: {summary['pages']} pages, {len(html):,} HTML lines "
        f"({summary['html_content_share']:.1%} content), lines per rendering {summary['lines_by_rendering']}"
    )
    print(f"skipped: {dict(skipped) or 'none'}")
    print(ceiling_table(ceilings).to_string())
    return summary


def main(args=None) -> None:
    LINES_DIR.mkdir(parents=True, exist_ok=True)
    summaries = {}
    for name, (read, folder) in READERS.items():
        pages = read(raw_dir() / folder)
        lines, ceilings, skipped = build_source(pages)
        save_lines(lines, name)
        summaries[name] = summarize(name, lines, skipped, ceilings)
        if name == "wcxb":
            summaries |= build_composites(pages)
    (LINES_DIR / "summary.json").write_text(json.dumps(summaries, indent=2, default=str))
    print(f"\nwrote {LINES_DIR}")
