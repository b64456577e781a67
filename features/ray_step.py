"""boilerline as a Ray Data step (the `ray` extra), for a crawl on a Ray cluster:

    from boilerline.ray_step import clean_warcs
    clean_warcs(["crawl/part-0.warc.gz", "crawl/part-1.warc.gz"], "clean/", concurrency=8)

or, step by step, in a pipeline of your own:

    from boilerline.ray_step import CleanBatch, warc_dataset
    pages = warc_dataset(warc_paths)  # one row per HTML response: id, url, page (bytes), charset, error
    cleaned = pages.map_batches(CleanBatch, batch_size=64, concurrency=8, batch_format="numpy")
    cleaned.write_parquet("clean/", ray_remote_args={"num_cpus": 0})

`import boilerline` never imports Ray; importing this module does.

`CleanBatch` loads its model once per actor and cleans each batch with `clean_records`: the
texts are those `clean_html` gives page by page, every row gets one result row (a page that
fails, or a WARC record that cannot be read, is a row with its `error`), and a page over
`time_budget` seconds is an error row. Reading the WARC files and writing ask for no CPU
(`num_cpus=0`): the actors, where the work is, hold the CPUs, and a read or a write that
waits for one of them waits forever on a small machine (on 2 CPUs with 2 actors, reading
never started).
"""

from collections.abc import Iterator

import numpy as np

from .crawl import engine, warc_records
from .model import BoilerplateModel, load_model, shared_model
from .records import Record, clean_records

ray_data = engine("ray.data", "ray")
pyarrow = engine("pyarrow", "ray")

#: The columns of `CleanBatch`'s rows, `clean_records`' results, typed: a batch's column
#: without a value (no error in it) would otherwise be of the null type, and the Parquet files
#: of one run would have different schemas.
RESULT_SCHEMA = pyarrow.schema(
    [(name, pyarrow.string()) for name in ("id", "url", "kind", "text", "title")]
    + [("lines", pyarrow.int64()), ("kept", pyarrow.int64())]
    + [(name, pyarrow.string()) for name in ("error", "model_version", "model_digest")]
)
RESULT_COLUMNS = tuple(RESULT_SCHEMA.names)


def warc_dataset(paths: list[str]) -> "ray_data.Dataset":
    """The HTML responses of WARC files (`.warc`, `.warc.gz`), one row each: id (WARC-Record-ID),
    url, page (its bytes), charset (the one HTTP names, or None) and error (None, or why a
    record could not be read: its page is then empty). Each file is read by one task, which
    asks for no CPU."""
    return ray_data.from_items([{"path": str(path)} for path in paths]).flat_map(_warc_rows, num_cpus=0)


def _warc_rows(row: dict) -> Iterator[dict]:
    for record in warc_records(row["path"]):
        if isinstance(record, Record):
            yield {"id": str(record.id), "url": record.url, "page": record.page, "charset": record.charset, "error": None}
        else:  # a record that could not be read: kept as a row, so that it is counted, not lost
            yield {"id": str(record["id"]), "url": record.get("url"), "page": b"", "charset": None, "error": record["error"]}


class CleanBatch:
    """A callable class for `Dataset.map_batches` (batch_format="numpy"): rows of `warc_dataset`
    in, one result row each out (RESULT_COLUMNS), in order.

    Args:
        model_path: a model file (default: the default model, shared by the actor)
        threshold: as for `clean_html` (default: the model's tuned decision)
        time_budget: seconds a page may take (`clean_records`' time_budget: Ray's actors run
            batches in a thread, where it is looked at between the stages of a page's work); None: no limit
        article_end: as for `clean_html` (False: what follows a declared article's story is left to the model)
    """

    def __init__(
        self, model_path: str | None = None, threshold: float | None = None, time_budget: float | None = 30.0, article_end: bool = True
    ):
        self.model: BoilerplateModel = shared_model() if model_path is None else load_model(model_path)
        self.threshold = threshold
        self.article_end = article_end
        self.time_budget = time_budget

    def __call__(self, batch: dict[str, np.ndarray]) -> "pyarrow.Table":
        ids, urls = [str(identity) for identity in batch["id"]], list(batch["url"])
        # Only a string is an error: a column without one may come as nulls of another kind.
        errors = [error if isinstance(error, str) else None for error in batch.get("error", [None] * len(ids))]
        charsets = [charset if isinstance(charset, str) else None for charset in batch["charset"]]
        records = [
            Record(ids[i], bytes(batch["page"][i]), charsets[i], urls[i])
            if error is None
            else {"id": ids[i], "url": urls[i], "error": error}
            for i, error in enumerate(errors)
        ]
        rows = list(
            clean_records(records, self.model, threshold=self.threshold, time_budget=self.time_budget, article_end=self.article_end)
        )
        return pyarrow.Table.from_pydict({column: [row[column] for row in rows] for column in RESULT_COLUMNS}, schema=RESULT_SCHEMA)


def clean_warcs(paths: list[str], out: str, concurrency: int = 2, batch_size: int = 64, **clean_options) -> None:
    """WARC files in, Parquet files of `CleanBatch`'s rows out (a folder), on the Ray cluster of
    this process (`ray.init()` first, or a local one is started); `clean_options` go to `CleanBatch`."""
    cleaned = warc_dataset(paths).map_batches(
        CleanBatch, fn_constructor_kwargs=clean_options, batch_size=batch_size, concurrency=concurrency, batch_format="numpy"
    )
    cleaned.write_parquet(out, ray_remote_args={"num_cpus": 0})
