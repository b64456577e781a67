"""Hostile pages for boilerline: the generators that tests/test_fuzz.py draws from, and a
standalone run of many of them that writes a summary to reports/fuzz.md.

    make fuzz                        # FUZZ_CASES=1000000 by default
    make fuzz FUZZ_CASES=20000 FUZZ_JOBS=2   # two worker processes, each a shard of the cases
    python tests/fuzz.py --cases 20000 --seed 0 --report reports/fuzz.md
    python tests/fuzz.py --replay 0:1234 --out case.bin   # one case's page, to minimise by hand

Each generator aims at a limit or a fault found before (issue 38) and makes its page from a
few random draws and repetition, so that Hypothesis can shrink what it finds. A case passes
when the model scores its page or refuses it with PageError; anything else is a crash. The
run scores each case in a worker process, which is replaced when a case takes longer than
--timeout seconds (a hang) or kills it.
"""

import argparse
import gzip
import multiprocessing
import os
import random
import re
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
FIXTURES = sorted(PAGES.glob("*.htm*")) + sorted(PAGES.glob("*.txt"))
FORMATTING = ["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"]
BLOCKS = ["p", "div", "li", "td", "tr", "table", "ul", "pre", "section", "h2", "blockquote", "br"]
ATTRIBUTES = ["", " class=x", ' class="a b"', " id=main", ' style="display:none"', " hidden", ' role="navigation"', " href=#"]
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
CHARSETS = [
    "utf-8",
    "utf-16",
    "utf-16le",
    "shift_jis",
    "gbk",
    "windows-1251",
    "iso-8859-1",
    "x-user-defined",
    "replacement",
    "utf-7",
    "nonsense",
]
WORDS = "the river city paragraph menu cookie share related comment footer news article words".split()
BINARY_HEADS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"%PDF-1.7\n", b"PK\x03\x04", b"WARC/1.0\r\n", b"\x7fELF", b""]


def words(rnd: random.Random, count: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(count))


def repeat(rnd: random.Random, scale: float) -> int:
    """How often a generator repeats its pattern: up to 5,000 times `scale` (1 for the standalone
    run's usual cases, 10 to 150 for its large ones, below 1 in the tests)."""
    return max(1, round(rnd.choice([1, 2, 10, 100, 1_000, 5_000]) * scale))


def long_whitespace_lines(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Many line breaks and a long line of whitespace: the line count once rescanned it."""
    breaks = rnd.choice(LINE_BREAKS) * repeat(rnd, scale)
    spaces = rnd.choice([" ", "\t", "\u3000", "\xa0", " \t"]) * repeat(rnd, scale)
    text = breaks + spaces + rnd.choice(["", "x", words(rnd, 3)]) + breaks
    return ("html", f"<pre>code{text}</pre>") if rnd.random() < 0.4 else ("text", text)


def formatting_soup(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Formatting elements left open, closed out of order and copied into blocks."""
    pieces = []
    for _ in range(rnd.randrange(1, 40)):
        choice = rnd.random()
        if choice < 0.5:
            pieces.append(f"<{rnd.choice(FORMATTING)}{rnd.choice(ATTRIBUTES)}>")
        elif choice < 0.65:
            pieces.append(f"</{rnd.choice(FORMATTING)}>")
        elif choice < 0.85:
            pieces.append(f"<{rnd.choice(BLOCKS)}>")
        else:
            pieces.append(words(rnd, 2))
    return "html", "".join(pieces) * repeat(rnd, scale)


def ancestor_classes(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Long class names on a line's ancestors, and lines of their own class under them."""
    length = round(rnd.choice([1, 100, 2_000, 20_000]) * min(scale, 10))
    ancestors = "".join(f'<div class="{f"level{level}-" * (length // 7)}" id=d{level}>' for level in range(rnd.randrange(1, 10)))
    children = "".join(f'<p class="own{n}">{words(rnd, 2)} {n}</p>' for n in range(rnd.randrange(1, 50)))
    return "html", ancestors + children * repeat(rnd, scale)


def many_unique_classes(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Every element with class and id tokens of its own: the caches of names fill."""
    width = rnd.choice([1, 10, 100, 5_000])
    count = repeat(rnd, scale)
    return "html", "".join(f'<div class="c{n}-{"w" * width} x{n}" id=i{n}><span>{n}</span></div>' for n in range(min(count, 50_000)))


def processing_instructions(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Processing instructions anywhere, unclosed ones too."""
    pieces = ["<?php echo 'x'; ?>", "<?xml version='1.0'?>", "<?", "?>", "<p>", words(rnd, 3), "<!DOCTYPE html>", "<?xml-stylesheet"]
    return "html", "".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 20))) * repeat(rnd, scale)


def nul_and_control_bytes(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """NUL and other control bytes inside markup and text."""
    controls = bytes(rnd.choice([0, 1, 8, 11, 12, 27, 127, 0x81, 0x9D]) for _ in range(rnd.randrange(1, 8)))
    chunk = f"<p>{words(rnd, 4)}".encode() + controls + b"</p>"
    return rnd.choice(["html", "text"]), chunk * repeat(rnd, scale)


def lone_surrogates(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Lone surrogates (a JSON escape such as \\ud800) in text, attributes and encoding names."""
    surrogate = chr(rnd.randrange(0xD800, 0xE000))
    page = rnd.choice([f"<p class='{surrogate}'>{words(rnd, 3)}{surrogate}</p>", f"{words(rnd, 3)}{surrogate}\n", f"<{surrogate}>x"])
    return rnd.choice(["html", "text"]), page * repeat(rnd, scale)


def lying_charset(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Bytes in one charset whose <meta> (or byte order mark) names another."""
    written, declared = rnd.choice(CHARSETS), rnd.choice(CHARSETS)
    body = f'<meta charset="{declared}"><p>{words(rnd, 5)} caf\u00e9 \u65e5\u672c \u0416</p>' * repeat(rnd, scale)
    try:
        page = body.encode(written, "replace")
    except LookupError:
        page = body.encode("utf-8")
    bom = rnd.choice([b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
    return "html", bom + page


def unclosed_raw_text(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Script, style, comments, textarea, CDATA and plaintext left open."""
    opener = rnd.choice(
        ["<script>", "<!--", "<style>", "<textarea>", "<title>", "<![CDATA[", "<plaintext>", "<noscript>", "<xmp>", "<iframe>"]
    )
    return "html", f"<p>{words(rnd, 4)}</p>" + opener + f"<p>{words(rnd, 3)}</p>" * repeat(rnd, scale)


def deep_nesting(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Elements nested deep, with stray end tags and text among them."""
    tag = rnd.choice(["div", "span", "b", "table", "ul", "section", "x-custom", "a"])
    depth = max(1, round(rnd.choice([10, 300, 3_000, 12_000]) * min(scale, 5)))
    stray = rnd.choice(["", "</i>", "</p>", "<p>", "text"]) * rnd.choice([0, 10, 1_000])
    return "html", f"<{tag}>" * depth + words(rnd, 3) + stray + f"</{tag}>" * rnd.randrange(0, depth + 1)


def not_a_page(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Binary junk, files of other formats, gzip that breaks."""
    body = rnd.randbytes(round(rnd.choice([0, 10, 1_000, 50_000]) * min(scale, 10)))
    page = rnd.choice(BINARY_HEADS) + body
    if rnd.random() < 0.2:
        page = gzip.compress(page)[: rnd.choice([None, 10, 30])]
    return rnd.choice(["html", "text"]), page


def declared_articles(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """Pages that declare an article, so that the end of their story is looked for: og:type
    tags many or unclosed, grids of cards, hidden stories, paragraphs nested deep."""
    head = rnd.choice(
        [
            '<meta property="og:type" content="article">',
            "<meta content=article property=og:type>",
            '<script type="application/ld+json">{"@type": ["NewsArticle"]}</script>',
            '<meta property="og:type" ' * repeat(rnd, scale),
            "og:type " * repeat(rnd, scale) + '<div itemtype="https://schema.org/BlogPosting">',
            '<script>"@type": ' + rnd.choice([" ", "\n", "[ "]) * repeat(rnd, scale) * 20 + "x</script>",
        ]
    )
    paragraph = f"<p>{words(rnd, rnd.randrange(4, 40))}, {words(rnd, 3)}.</p>"
    block = rnd.choice(
        [
            f"<div class=card><h3><a href=#>{words(rnd, 3)}</a></h3>{paragraph}</div>",
            f"<div{rnd.choice(ATTRIBUTES)}>{paragraph * rnd.randrange(1, 8)}</div>",
            f"<section><div class=part>{paragraph}</div></section><div class=ad><p>{words(rnd, 8)}</p></div>",
            "<div>" * rnd.randrange(1, 40) + paragraph,
        ]
    )
    return "html", head + block * repeat(rnd, scale)


def mutated_fixture(rnd: random.Random, scale: float) -> tuple[str, str | bytes]:
    """A real test page with bytes flipped, cut, doubled and markup fragments thrown in."""
    path = rnd.choice(FIXTURES)
    page = bytearray(path.read_bytes())
    fragments = [b"<", b">", b"</", b"<!--", b"<script>", b"<nobr>", b"<b>", b"\x00", b"\xff", b"&#0;", b"&#xD800;", b"<?", b"\n" * 1000]
    for _ in range(rnd.randrange(1, 20)):
        at = rnd.randrange(len(page) + 1)
        action = rnd.random()
        if action < 0.3:
            page[at:at] = rnd.choice(fragments)
        elif action < 0.5 and at < len(page):
            page[at] = rnd.randrange(256)
        elif action < 0.7:
            del page[at : at + rnd.randrange(1, 2_000)]
        elif action < 0.85:
            page[at:at] = page[at : at + rnd.randrange(1, 5_000)] * rnd.choice([2, 10, 100])
        else:
            del page[at:]
    kind = "text" if path.suffix == ".txt" else "html"
    return kind, bytes(page * (rnd.choice([1, 20, 200]) if scale > 1 else 1))


GENERATORS = {
    generator.__name__: generator
    for generator in (
        long_whitespace_lines,
        formatting_soup,
        ancestor_classes,
        many_unique_classes,
        processing_instructions,
        nul_and_control_bytes,
        lone_surrogates,
        lying_charset,
        unclosed_raw_text,
        deep_nesting,
        not_a_page,
        declared_articles,
        mutated_fixture,
    )
}
LARGE_SHARE = 0.02  # of the standalone run's cases, made at the scale of the limits


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    generator: str
    kind: str
    page: str | bytes
    encoding: str | None

    @property
    def size(self) -> int:
        return len(self.page.encode("utf-8", "surrogatepass") if isinstance(self.page, str) else self.page)


def make_case(seed: int, index: int) -> Case:
    """Case `index` of the run seeded `seed`: the same page every time."""
    rnd = random.Random(f"{seed}:{index}")
    name = rnd.choice(sorted(GENERATORS))
    scale = rnd.choice([10, 50, 150]) if rnd.random() < LARGE_SHARE else 1
    kind, page = GENERATORS[name](rnd, scale)
    encoding = rnd.choice([None, None, None, *CHARSETS, "\udcff"])
    return Case(seed, index, name, kind, page, encoding)


def score(model, case: Case):
    """The case's page scored as its kind (PageError when refused)."""
    if case.kind == "html":
        return model.score_html(case.page, encoding=case.encoding)
    return model.score_text(case.page, encoding=case.encoding)


# --- The standalone run -----------------------------------------------------------------------

_NUMBERS = re.compile(r"\d[\d,.]*")
_PEAK = re.compile(r"VmHWM:\s+(\d+) kB")
_RESIDENT = re.compile(r"VmRSS:\s+(\d+) kB")


def reason(error: Exception) -> str:
    """A refusal's message with its numbers left out, so that alike refusals count together."""
    return _NUMBERS.sub("N", str(error)).replace("page N: ", "")


def signature(error: BaseException) -> str:
    """A crash's type, message (numbers left out) and the innermost line of this project it came from."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "/features/" in frame.filename]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {_NUMBERS.sub('N', str(error))[:120]}{where}"


def resident_kb(pattern: re.Pattern) -> int:
    return int(pattern.search(Path("/proc/self/status").read_text()).group(1))


def measured(model, case: Case) -> tuple[float, int, str, str]:
    """(CPU seconds, peak bytes above the memory held before, "ok" | "refused" | "crash", detail).
    CPU time, not wall time: the limit is the page's work, and a shared machine's load is not."""
    from boilerline import PageError
    from boilerline.segment import _return_freed_memory

    # Memory freed by earlier cases goes back to the system first, so that the peak above
    # the memory resident before the case is what the case allocated.
    _return_freed_memory()
    before = resident_kb(_RESIDENT)
    Path("/proc/self/clear_refs").write_text("5")  # the peak so far is forgotten: this case's own is read
    started = time.process_time()
    try:
        score(model, case)
        outcome, detail = "ok", ""
    except PageError as error:
        outcome, detail = "refused", reason(error)
    except Exception as error:
        outcome, detail = "crash", signature(error)
    seconds = time.process_time() - started
    return seconds, max(resident_kb(_PEAK) - before, 0) * 1024, outcome, detail


def batch_mismatch(model, cases: list[Case]) -> str | None:
    """Whether `score_pages` gives each of these (scored, unrefused) cases' lines as scoring each alone does."""
    for kind in ("html", "text"):
        pages = [case.page for case in cases if case.kind == kind and case.encoding is None]
        if pages and list(model.score_pages(pages, kind)) != [score(model, Case(0, 0, "", kind, page, None)) for page in pages]:
            return f"score_pages differs from page by page ({kind})"
    return None


def _worker(connection, seed: int, first: int, last: int) -> None:
    """Scores cases `first` to `last` - 1, sending each one's measurements as it ends."""
    from boilerline import load_model

    model = load_model()
    # Once-only costs (the booster's library is imported on the first page) are not a page's.
    model.score_html("<p>" + "A sentence of a paragraph. " * 20 + "</p>")
    model.score_text("A sentence of a paragraph. " * 20)
    scored = []
    for index in range(first, last):
        case = make_case(seed, index)
        seconds, peak, outcome, detail = measured(model, case)
        connection.send((index, case.generator, case.kind, case.size, seconds, peak, outcome, detail))
        if outcome == "ok" and case.size <= 100_000:
            scored.append(case)
        if len(scored) == 4:  # the group's pages scored together, as a batch does
            mismatch = batch_mismatch(model, scored)
            if mismatch:
                connection.send((index, "score_pages", "-", 0, 0.0, 0, "crash", mismatch))
            scored = []
    connection.send(None)


SMALL_PAGE = 100_000  # bytes: below it a page's peak is mostly the interpreter's noise
SIZE_BANDS = [
    (0, SMALL_PAGE, "under 100 KB"),
    (SMALL_PAGE, 1_000_000, "100 KB-1 MB"),
    (1_000_000, 5_000_000, "1-5 MB"),
    (5_000_000, 10**12, "5 MB and more"),
]


@dataclass
class Summary:
    seed: int
    jobs: int = 1
    cases: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    by_generator: Counter = field(default_factory=Counter)
    bytes_by_generator: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # (generator, outcome)
    crashes: dict = field(default_factory=dict)  # signature -> [count, first case]
    refusals: Counter = field(default_factory=Counter)
    slowest: tuple = (-1.0, "")  # (value, case): the case of the largest value
    peaks: list = field(default_factory=list)  # (size, peak, case) of every case scored or refused

    def add(self, index, generator, kind, size, seconds, peak, outcome, detail) -> None:
        if generator != "score_pages":
            self.cases += 1
            self.bytes += size
            self.by_generator[generator] += 1
            self.bytes_by_generator[generator] += size
        self.outcomes[generator, outcome] += 1
        where = f"{self.seed}:{index} ({generator}, {kind}, {size:,} bytes)"
        if outcome in ("crash", "hang"):
            self.crashes.setdefault(detail, [0, where])[0] += 1
        elif outcome == "refused":
            self.refusals[detail] += 1
        self.slowest = max(self.slowest, (seconds, where))
        if outcome in ("ok", "refused"):
            self.peaks.append((size, peak, where))

    def memory_bound(self) -> tuple[float, float]:
        """(fixed MB, MB per MB of input): every case's peak is at most fixed + per_mb * size,
        fixed being the largest peak of a page under SMALL_PAGE bytes (where the interpreter's
        own noise outweighs the page) and per_mb the largest excess over it per MB of the rest."""
        mb = 1_000_000
        fixed = max((peak for size, peak, _ in self.peaks if size < SMALL_PAGE), default=0) / mb
        per_mb = max(((peak / mb - fixed) / (size / mb) for size, peak, _ in self.peaks if size >= SMALL_PAGE), default=0.0)
        return fixed, max(per_mb, 0.0)

    def memory_table(self) -> list[str]:
        mb = 1_000_000
        lines = ["| input size | cases | largest peak | its case | largest peak per MB |", "|---|---|---|---|---|"]
        for low, high, name in SIZE_BANDS:
            band = [(peak, size, where) for size, peak, where in self.peaks if low <= size < high]
            if band:
                peak, _, where = max(band)
                per_mb = f"{max(peak / size for peak, size, _ in band):,.0f} MB" if low >= SMALL_PAGE else "-"
                lines.append(f"| {name} | {len(band):,} | {peak / mb:,.0f} MB | {where} | {per_mb} |")
        return lines

    def markdown(self) -> str:
        mb = 1_000_000
        fixed, per_mb = self.memory_bound()
        lines = [
            "# Fuzzing boilerline",
            "",
            f"`python tests/fuzz.py --cases {self.cases} --seed {self.seed} --jobs {self.jobs}` ({time.strftime('%Y-%m-%d')}): "
            f"{self.cases:,} cases, {self.bytes / mb:,.1f} MB of input, in {time.monotonic() - self.started:,.0f} s. "
            "A case is one generated page scored by the default model; it passes when scored or refused "
            "with `PageError`. Replay one with `python tests/fuzz.py --replay SEED:INDEX --out FILE`.",
            "",
            "| generator | cases | MB | scored | refused | crashes |",
            "|---|---|---|---|---|---|",
        ]
        for name in sorted(self.by_generator):
            counts = [self.outcomes[name, outcome] for outcome in ("ok", "refused")]
            crashes = self.outcomes[name, "crash"] + self.outcomes[name, "hang"]
            lines.append(
                f"| {name} | {self.by_generator[name]:,} | {self.bytes_by_generator[name] / mb:,.1f} | {counts[0]:,} | {counts[1]:,} | {crashes} |"
            )
        lines += ["", "## Crashes, by signature", ""]
        if self.crashes:
            lines += ["| signature | cases | first |", "|---|---|---|"]
            lines += [
                f"| `{sig}` | {count} | {first} |" for sig, (count, first) in sorted(self.crashes.items(), key=lambda item: -item[1][0])
            ]
        else:
            lines.append("None: every case was scored or refused with `PageError`.")
        lines += ["", "## Refusals, by reason", "", "| reason | cases |", "|---|---|"]
        lines += [f"| {text} | {count:,} |" for text, count in self.refusals.most_common()]
        lines += [
            "",
            "## Time and memory",
            "",
            f"- Slowest case: {self.slowest[0]:.2f} s of CPU, {self.slowest[1]}.",
            f"- Peak memory above the loaded model, at most {fixed:,.0f} MB + {per_mb:,.0f} MB per MB of input in every case "
            f"({fixed:,.0f}: the largest peak of a page under {SMALL_PAGE // 1000} KB; {per_mb:,.0f}: the largest excess over it per MB of a larger one).",
            "",
            *self.memory_table(),
            "",
        ]
        return "\n".join(lines)


class Progress:
    """The summary that every shard's supervisor adds to, under one lock, with a bar of the
    cases done (and an ETA), and the report rewritten each minute."""

    def __init__(self, summary: Summary, cases: int, report: Path):
        self.summary, self.report, self.lock = summary, report, threading.Lock()
        self.bar = tqdm(total=cases, desc="fuzz", unit="case", file=sys.stderr, dynamic_ncols=True)
        self.last_report = time.monotonic()

    def add(self, *measurements) -> None:
        with self.lock:
            cases = self.summary.cases
            self.summary.add(*measurements)
            self.bar.update(self.summary.cases - cases)
            self.bar.set_postfix(crashes=sum(count for count, _ in self.summary.crashes.values()), refresh=False)
            if time.monotonic() - self.last_report > 60:
                self.report.write_text(self.summary.markdown())
                self.last_report = time.monotonic()


def supervise(progress: Progress, seed: int, first: int, last: int, timeout: float) -> None:
    """Scores cases `first` to `last` - 1 in a worker process, replacing it after a hang or a death."""
    context = multiprocessing.get_context("spawn")
    index = first
    while index < last:
        receiving, sending = context.Pipe(duplex=False)
        worker = context.Process(target=_worker, args=(sending, seed, index, last), daemon=True)
        worker.start()
        sending.close()
        started = index
        while True:
            wait = timeout + (60 if index == started else 0)  # a new worker's first case waits for the model too
            if not receiving.poll(wait):
                worker.kill()
                case = make_case(seed, index)
                progress.add(index, case.generator, case.kind, case.size, timeout, 0, "hang", f"hang: over {timeout:g} s")
                index += 1
                break
            try:
                message = receiving.recv()
            except EOFError:  # the worker died: its case is the one it was on
                worker.join()
                case = make_case(seed, index)
                progress.add(index, case.generator, case.kind, case.size, 0.0, 0, "crash", f"worker died (exit code {worker.exitcode})")
                index += 1
                break
            if message is None:
                index = last
                break
            progress.add(*message)
            index = max(index, message[0] + 1)
        worker.join(timeout=5)


def run(cases: int, seed: int, timeout: float, report: Path, jobs: int = 1) -> Summary:
    """Scores cases 0 to `cases` - 1, in `jobs` shards of consecutive cases side by side: the
    same cases, and so the same summary but for times and peaks, whatever the number of jobs."""
    summary = Summary(seed, jobs=jobs)
    report.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(summary, cases, report)
    bounds = [cases * shard // jobs for shard in range(jobs + 1)]
    shards = [threading.Thread(target=supervise, args=(progress, seed, first, last, timeout)) for first, last in zip(bounds, bounds[1:])]
    for shard in shards:
        shard.start()
    for shard in shards:
        shard.join()
    progress.bar.close()
    report.write_text(summary.markdown())
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score many generated hostile pages; summarise to a report.")
    parser.add_argument("--cases", type=int, default=int(os.environ.get("FUZZ_CASES", 1_000_000)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS", 1)), help="worker processes side by side")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a case may take before it counts as a hang")
    parser.add_argument("--report", type=Path, default=Path("reports/fuzz.md"))
    parser.add_argument("--replay", metavar="SEED:INDEX", help="write one case's page to --out instead of running")
    parser.add_argument("--out", type=Path, help="where --replay writes the page")
    args = parser.parse_args(argv)
    if args.replay:
        seed, index = map(int, args.replay.split(":"))
        case = make_case(seed, index)
        page = case.page.encode("utf-8", "surrogatepass") if isinstance(case.page, str) else case.page
        args.out.write_bytes(page)
        print(f"{case.generator}: {case.kind} page of {case.size:,} bytes, encoding={case.encoding!r} -> {args.out}")
        return 0
    summary = run(args.cases, args.seed, args.timeout, args.report, max(args.jobs, 1))
    print(f"{summary.cases:,} cases, {len(summary.crashes)} crash signatures: {args.report}")
    return 1 if summary.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
