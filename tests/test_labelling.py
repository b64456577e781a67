"""`boilerline label`: the labelling page's server, without a browser (tests/test_labelling_browser.py
clicks through it in one)."""

import http.client
import json
import shutil
import threading
from pathlib import Path

import pytest

from boilerline import shared_model
from boilerline.cli import main
from boilerline.labelling import LabellingServer, page_to_label, refusal, save_labels
from data.sources import read_labelled_text

PAGES = Path(__file__).parent / "fixtures" / "pages"


def labelling(folder: Path, *names: str) -> list:
    """The fixture pages `names`, copied into `folder`, as the server shows them."""
    pages = []
    for name in names:
        path = Path(shutil.copy(PAGES / name, folder / name))
        kind = "text" if name.endswith(".txt") else "html"
        pages.append(page_to_label(shared_model(), str(path), path, kind, path.read_bytes()))
    return pages


@pytest.fixture
def server(tmp_path):
    served = LabellingServer(labelling(tmp_path, "article.html", "article_ru.txt"), port=0, model_name="default")
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def request(server, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict | str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{server.port}"} | ({"Content-Type": "application/json"} if body is not None else {}) | (headers or {})
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    connection.request(method, path, body=payload, headers=sent)
    response = connection.getresponse()
    data = response.read().decode("utf-8")
    connection.close()
    return response.status, json.loads(data) if response.getheader("Content-Type") == "application/json" else data


def test_the_page_and_the_lines_are_served(server):
    status, app = request(server, "GET", "/")
    assert status == 200 and "boilerline label" in app and "<script>" in app
    status, answer = request(server, "GET", "/pages")
    assert status == 200 and answer["model"] == "default"
    html, text = answer["pages"]
    assert (html["kind"], html["labels_file"], text["kind"], text["labels_file"]) == ("html", "article.tsv", "text", "article_ru.tsv")
    assert len(html["texts"]) == len(html["tags"]) == len(html["p"]) == len(html["labels"]) > 10
    assert "h1" in html["tags"] and set(text["tags"]) == {"text"} and any(text["breaks"])
    model = shared_model().score_html((PAGES / "article.html").read_bytes())
    assert html["labels"] == html["model"] == [int(line.is_content) for line in model]
    assert 0 < html["threshold"] < 1


def test_saved_labels_are_written_beside_the_page_and_train_as_given(server, tmp_path):
    for index, page in enumerate(server.pages):
        labels = [1 - label if at in (0, 3) else label for at, label in enumerate(page.labels)]
        status, answer = request(server, "POST", f"/pages/{index}/labels", {"labels": labels})
        assert (status, answer) == (200, {"saved": page.labels_file.name})
        read = read_labelled_text(page.labels_file)  # as training reads it: refused were its lines not the page's
        assert read.labels == labels
    html_page, text_page = (read_labelled_text(page.labels_file) for page in server.pages)
    assert html_page.html is not None and text_page.html is None
    assert "\n\n" in text_page.text  # the paragraph breaks kept
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "path, body, headers, status",
    [
        ("/pages/2/labels", {"labels": []}, {}, 404),
        ("/pages/0/../../etc/labels", {"labels": []}, {}, 404),
        ("/pages/0/labels", {"labels": [1, 0]}, {}, 400),
        ("/pages/0/labels", {"labels": "all"}, {}, 400),
        ("/pages/0/labels", b"labels=1", {}, 400),
        ("/pages/0/labels", b"[1, 0]", {}, 400),
        ("/pages/0/labels", {"labels": [1]}, {"Content-Type": "text/plain"}, 415),
        ("/pages/0/labels", {"labels": [1]}, {"Origin": "http://evil.example"}, 403),
        ("/pages/0/labels", {"labels": [1]}, {"Host": "evil.example"}, 403),
        ("/pages/0/labels", b"[" + b"1, " * 5_000 + b"1]", {}, 413),
        ("/pages/0/labels", b'{"labels": []}', {"Content-Length": "-1"}, 411),
    ],
    ids=[
        "no such page",
        "a path",
        "too few",
        "not a list",
        "not JSON",
        "no object",
        "a form",
        "another site",
        "a rebound name",
        "too large",
        "a negative length",
    ],
)
def test_a_save_that_is_not_a_pages_labels_writes_nothing(server, tmp_path, path, body, headers, status):
    answer_status, answer = request(server, "POST", path, body, headers)
    assert answer_status == status and answer["error"]
    assert not list(tmp_path.glob("*.tsv"))


def test_labels_other_than_one_per_line_of_zero_or_one_are_refused(tmp_path):
    (page,) = labelling(tmp_path, "article.html")
    for labels in ([2] * len(page.texts), [True] * len(page.texts), [1] * (len(page.texts) + 1), None):
        with pytest.raises(Exception, match="label"):
            save_labels(page, labels)
    assert not page.labels_file.exists()


@pytest.mark.parametrize(
    "client, host, origin, allowed",
    [
        ("127.0.0.1", "127.0.0.1:8737", None, True),
        ("127.0.0.1", "localhost:8737", "http://localhost:8737", True),
        ("::1", "127.0.0.1:8737", "http://127.0.0.1:8737", True),
        ("::ffff:127.0.0.1", "127.0.0.1:8737", None, True),
        ("192.168.1.20", "127.0.0.1:8737", None, False),
        ("10.0.0.1", "localhost:8737", "http://localhost:8737", False),
        ("127.0.0.1", "attacker.example:8737", None, False),
        ("127.0.0.1", None, None, False),
        ("127.0.0.1", "127.0.0.1:8737", "null", False),
        ("127.0.0.1", "127.0.0.1:8737", "http://127.0.0.1:9999", False),
    ],
)
def test_only_this_machine_addressing_the_server_by_its_own_name_is_answered(client, host, origin, allowed):
    assert (refusal(client, host, origin, 8737) is None) is allowed


@pytest.mark.parametrize("name", sorted(path.name for path in PAGES.iterdir()))
def test_the_models_labels_of_every_fixture_page_read_back_as_that_pages_labels(tmp_path, name):
    (page,) = labelling(tmp_path, name)
    save_labels(page, page.model_labels)
    read = read_labelled_text(page.labels_file)
    assert read.labels == page.model_labels
    assert (read.html is None) is (page.kind == "text")


def test_an_existing_labels_file_gives_the_labels_and_a_stale_one_its_shared_lines(tmp_path):
    (page,) = labelling(tmp_path, "article.html")
    flipped = [1 - label for label in page.model_labels]
    save_labels(page, flipped)
    (again,) = labelling(tmp_path, "article.html")
    assert again.labels == flipped and again.note == ""
    rows = page.labels_file.read_text(encoding="utf-8").splitlines()
    page.labels_file.write_text("\n".join(rows[:2] + ["content\tA line the page lost"] + rows[3:]) + "\n", encoding="utf-8")
    (stale,) = labelling(tmp_path, "article.html")
    assert stale.note.startswith("article.tsv:3: the labelled line 'A line the page lost' is not the page's line 3")
    assert stale.labels[:2] == flipped[:2] and stale.labels[3:] == flipped[3:] and stale.labels[2] == page.model_labels[2]
    page.labels_file.write_text("maybe\tHome\n", encoding="utf-8")
    (unreadable,) = labelling(tmp_path, "article.html")
    assert unreadable.labels == page.model_labels and "saving replaces the file" in unreadable.note


def run_label(capsys, *args) -> tuple[int, str]:
    code = main(["label", *map(str, args)])
    return code, capsys.readouterr().err


def test_label_serves_until_interrupted(tmp_path, capsys, monkeypatch):
    def interrupted(server, *_):
        assert server.url.startswith("http://127.0.0.1:")
        raise KeyboardInterrupt

    monkeypatch.setattr(LabellingServer, "serve_forever", interrupted)
    shutil.copy(PAGES / "article.html", tmp_path)
    code, err = run_label(capsys, tmp_path / "article.html", "--port", "0")
    assert code == 0 and "1 page at http://127.0.0.1:" in err and "stopped" in err


@pytest.mark.parametrize(
    "names, args, said",
    [
        (["article.html"], ["-"], "label does not read stdin"),
        (["article.html>saved.page"], ["saved.page"], "saved.page is HTML: training reads labels beside a page named .html"),
        (["article.txt>plain.html"], ["plain.html"], "plain.html holds no markup: rename it to .txt"),
        (
            ["article.html", "article.txt>article.txt"],
            ["article.txt"],
            "its labels file article.tsv would be read as the labels of article.html",
        ),
        (["article.html", "recipe.htm>article.htm"], ["article.html", "article.htm"], "would both be labelled in"),
        (["article.txt>notes.tsv"], ["notes.tsv"], "notes.tsv is a labels file: pass the page it labels"),
    ],
    ids=[
        "stdin",
        "an HTML page of another name",
        "an HTML name without markup",
        "a labels file of another page",
        "one labels file",
        "a labels file",
    ],
)
def test_pages_whose_labels_training_would_not_read_are_refused(tmp_path, capsys, monkeypatch, names, args, said):
    for name in names:
        source, _, target = name.partition(">")
        shutil.copy(PAGES / source, tmp_path / (target or source))
    monkeypatch.chdir(tmp_path)
    code, err = run_label(capsys, *args, "--port", "0")
    assert code == 1 and said in err, err
    assert not list(tmp_path.glob("*.tsv")) or args == ["notes.tsv"]


def test_a_port_out_of_range_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["label", "page.html", "--port", "70000"])
    assert stopped.value.code == 2 and "is not a port" in capsys.readouterr().err
