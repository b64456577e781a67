"""`make train` end to end on a small hand-made benchmark, with a user's own pages added.

The benchmark is generated here: WCXB-format pages of many sites (a menu, a title, prose,
related links, a footer), and a ScrapingHub-format folder, so that `python -m data build`
and `train.py` run exactly as `make train` runs them, in a minute instead of six.
"""

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boilerline import artifact, load_model
from boilerline.segment import segment_html

pytestmark = pytest.mark.slow  # trains models end to end

REPO = Path(__file__).resolve().parent.parent
SUBJECTS = [
    "The river council",
    "A local baker",
    "Our field team",
    "The new library",
    "Several farmers",
    "The museum staff",
    "A young engineer",
    "The city orchestra",
    "Two researchers",
    "The harbour office",
    "A retired teacher",
    "The school board",
]
VERBS = ["announced", "explained", "described", "reported", "celebrated", "questioned", "planned", "reviewed", "measured", "defended"]
OBJECTS = [
    "a longer season for the market",
    "the cost of repairing the old bridge",
    "how the spring floods changed the valley",
    "a plan to plant trees along the canal",
    "the results of a survey of cyclists",
    "why the tram line was delayed",
    "a small exhibition of paintings",
    "the rising price of bread",
    "new rules for parking near the station",
    "a festival that will return in autumn",
    "the history of the lighthouse",
    "how volunteers cleaned the beach",
]
TAILS = ["on Monday", "after a long meeting", "in a statement", "to a packed hall", "with some caution", "for the first time"]
MENU = ["Home", "News", "Sport", "Culture", "Contact", "About us"]
FOOTER = ["© 2024 All rights reserved", "Privacy policy", "Terms of use", "Follow us on social media"]
# A line only the user's own pages call boilerplate: no benchmark page has it.
ZORBLAX = "Zorblax members read every story first and can share their thoughts with friends."


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))


def benchmark_page(rng: random.Random) -> tuple[str, list[str]]:
    """(HTML, its content blocks): the title and the paragraphs are content, the rest is not."""
    title = sentence(rng).rstrip(".")
    paragraphs = [paragraph(rng) for _ in range(rng.randint(3, 6))]
    related = [sentence(rng).rstrip(".") for _ in range(4)]
    html = "".join(
        [
            "<html><body><nav><ul>",
            *(f'<li><a href="/{item}">{item}</a></li>' for item in MENU),
            "</ul></nav>",
            f'<div class="story"><h1>{title}</h1>',
            *(f"<p>{text}</p>" for text in paragraphs),
            "</div>",
            '<aside class="related"><h3>Read next</h3><ul>',
            *(f'<li><a href="/r{i}">{text}</a></li>' for i, text in enumerate(related)),
            "</ul></aside>",
            "<footer>",
            *(f"<p>{text}</p>" for text in FOOTER),
            "</footer></body></html>",
        ]
    )
    return html, [title, *paragraphs]


def write_benchmarks(raw: Path, pages: int = 40) -> None:
    rng = random.Random(7)
    wcxb = raw / "wcxb-dev"
    (wcxb / "html").mkdir(parents=True)
    (wcxb / "ground-truth").mkdir()
    for number in range(1, pages + 1):
        page_id = f"{number:04d}"
        html, content = benchmark_page(rng)
        (wcxb / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode(), mtime=0))
        truth = {
            "url": f"https://site{number}.example/story",
            "_internal": {"page_type": {"primary": ["article", "forum"][number % 2]}},
            "ground_truth": {"main_content": "\n\n".join(content), "with": [], "without": []},
        }
        (wcxb / "ground-truth" / f"{page_id}.json").write_text(json.dumps(truth))
    hub = raw / "scrapinghub"
    (hub / "html").mkdir(parents=True)
    html, content = benchmark_page(rng)
    (hub / "html" / "aa11.html.gz").write_bytes(gzip.compress(html.encode(), mtime=0))
    (hub / "ground-truth.json").write_text(json.dumps({"aa11": {"articleBody": "\n".join(content), "url": "https://hub.example/a"}}))


def write_own_pages(folder: Path, pages: int = 30) -> None:
    """Hand-labelled pages (`label<TAB>line`) in which the Zorblax line is boilerplate: plain
    text, and HTML pages (a `.html` beside each `.tsv`) that hold it as a story's paragraph."""
    rng = random.Random(11)
    folder.mkdir(parents=True)
    for number in range(pages):
        rows = [f"1\t{paragraph(rng)}" for _ in range(5)]
        rows.insert(rng.randint(0, 5), f"0\t{ZORBLAX}")
        (folder / f"mine-{number}.tsv").write_text("\n\n".join(rows) + "\n")  # blank lines: paragraph breaks
    for number in range(pages):
        html, content = zorblax_page(rng)
        (folder / f"mine-html-{number}.html").write_text(html)
        lines = segment_html(html)["text"].tolist()
        (folder / f"mine-html-{number}.tsv").write_text("".join(f"{int(line in content)}\t{line}\n" for line in lines))


def zorblax_page(rng: random.Random) -> tuple[str, list[str]]:
    """A benchmark page with the Zorblax line among its story's paragraphs, and its content."""
    html, content = benchmark_page(rng)
    return html.replace("</p></div>", f"</p><p>{ZORBLAX}</p></div>", 1), content


def run(args: list[str], env: dict) -> None:
    done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train_run")
    write_benchmarks(root / "data" / "raw")
    write_own_pages(root / "mine")
    env = os.environ | {
        "DATA_DIR": str(root / "data"),
        "MODEL_DIR": str(root / "models"),
        "JOBS": "2",
        "DATA_MIRROR": "",
        "TRAIN_EXTRA": f"labelled:{root / 'mine'}",
    }
    run(["-m", "data", "build"], env)  # models/ is not made first: train.py makes it
    run(["train.py"], env)  # JOBS=2: the two models side by side, a process each
    run(["train.py", "--out", str(root / "one_at_a_time" / "boilerplate.npz")], env | {"JOBS": "1"})
    return root / "models"


def test_train_writes_a_model_and_a_card_that_count_the_users_pages(trained):
    card = json.loads((trained / "boilerplate.json").read_text())
    assert card["data"]["train_extra_pages"] == 60
    assert card["data"]["training_pages"] > card["data"]["held_out_pages"] > 0
    assert set(card["results"]) == {"html", "text"}


def test_models_trained_side_by_side_are_those_trained_one_at_a_time(trained):
    (side_by_side, arrays), (one_at_a_time, other_arrays) = (
        artifact.read(folder / "boilerplate.npz") for folder in (trained, trained.parent / "one_at_a_time")
    )
    assert arrays.keys() == other_arrays.keys() and all(np.array_equal(arrays[name], other_arrays[name]) for name in arrays)  # trees too
    for kind in ("html", "text"):
        assert side_by_side[kind] == one_at_a_time[kind]
    assert side_by_side["card"]["results"] == one_at_a_time["card"]["results"]
    assert side_by_side["card"]["peak_memory_mb"] > 0


def test_the_trained_model_separates_the_benchmark_pages_content(trained):
    model = load_model(trained / "boilerplate.npz")
    html, content = benchmark_page(random.Random(99))
    kept = model.clean_html(html)
    assert content[1] in kept
    assert "Privacy policy" not in kept and "About us" not in kept


def test_the_users_own_html_pages_teach_the_html_model_what_the_benchmark_cannot(trained):
    """Labelled line by line beside their HTML, the user's pages train the HTML model too."""
    model = load_model(trained / "boilerplate.npz")
    html, content = zorblax_page(random.Random(5))
    scored = {line.text: line.is_content for line in model.score_html(html)}
    assert scored[ZORBLAX] is False
    assert all(scored[text] for text in content[1:])


def test_the_users_own_pages_teach_what_the_benchmark_cannot(trained):
    """The Zorblax line reads like prose; only the user's labels say it is boilerplate."""
    model = load_model(trained / "boilerplate.npz")
    rng = random.Random(5)
    text = "\n\n".join([paragraph(rng), ZORBLAX, paragraph(rng), paragraph(rng)])
    scored = {line.text: line.is_content for line in model.score_text(text)}
    assert scored[ZORBLAX] is False
    assert sum(scored.values()) == 3


def test_training_on_the_users_pages_says_how_they_fare_before_and_after(trained):
    """feedback.md beside the model: the shipped model kept the Zorblax line the user labelled
    boilerplate; the new model, out of fold, drops it."""
    feedback = (trained / "feedback.md").read_text(encoding="utf-8")
    assert "## HTML model (your HTML pages): 30 pages" in feedback
    assert "## text model (your plain-text pages): 30 pages" in feedback
    card = json.loads((trained / "boilerplate.json").read_text())
    for kind in ("html", "text"):
        mine = card["results"][kind]["your_pages"]
        assert mine["pages"] == 30 and mine["corrected_lines"] >= 30, (kind, mine)
        assert mine["f1_after_out_of_fold"] > mine["f1_before"], (kind, mine)
        assert mine["corrected_still_wrong"] < mine["corrected_lines"] / 2, (kind, mine)
