"""boilerline as datatrove pipeline steps (the `datatrove` extra), where FineWeb's pipeline has
`WarcReader` and `Trafilatura`:

    from boilerline.datatrove_step import Boilerline, BoilerlineWarcReader
    LocalPipelineExecutor([BoilerlineWarcReader("crawl/"), Boilerline(), JsonlWriter("out/")], tasks=8).run()

`import boilerline` never imports datatrove; importing this module does.

`Boilerline` loads its model once per worker, before the first document (datatrove's
extractors load theirs in a sandbox process whose warm-up had one second, and dropped every
document when a model took longer), and scores the documents in batches with
`clean_records`: the texts are those `clean_html` gives page by page. A page that fails is
kept, with empty text and its error in `metadata["boilerline_error"]`, and counted
(`clean_error`): a crawl's failures are to be seen and redone, not lost; drop them with
`keep_errors=False` (still counted). A page with nothing kept is dropped (`dropped`), as
datatrove's extractors drop it.

datatrove's own `WarcReader` decodes each page itself (UTF-8, else a guess by cchardet),
without the charset the HTTP header names or the page's <meta>: `BoilerlineWarcReader` reads
the WARC with fastwarc and decodes each page as `clean_records` does (`decode_page` with the
HTTP charset), so the texts are the library's.
"""

from collections import deque
from collections.abc import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.extractors.base import BaseExtractor
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.typeshelper import StatHints

from .crawl import warc_records
from .decode import PageError, decode_page
from .model import BoilerplateModel, load_model, shared_model
from .records import Record, clean_records


class Boilerline(BaseExtractor):
    """The content lines of each document's HTML (its text) replace it.

    Args:
        model_path: a model file (default: the default model, shared by the worker)
        threshold: as for `clean_html` (default: the model's tuned decision)
        timeout: seconds a page may take (`clean_records`' time_budget); None: no limit
        keep_errors: keep a page that fails, with empty text and `metadata["boilerline_error"]`
        title: the page's title in `metadata["title"]`
        article_end: as for `clean_html` (False: what follows a declared article's story is left to the model)
    """

    name = "🧹 boilerline"

    def __init__(
        self,
        model_path: str | None = None,
        threshold: float | None = None,
        timeout: float | None = 30.0,
        keep_errors: bool = True,
        title: bool = True,
        article_end: bool = True,
    ):
        super().__init__(timeout)
        self.model_path = model_path
        self.threshold = threshold
        self.article_end = article_end
        self.keep_errors = keep_errors
        self.title = title

    def model(self) -> BoilerplateModel:
        return shared_model() if self.model_path is None else load_model(self.model_path)

    def extract(self, text: str) -> str:
        """The content lines of one page (datatrove's extractor interface; `run` scores in batches)."""
        return self.model().clean_html(text, self.threshold, article_end=self.article_end)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        model = self.model()  # before the first document: loading it is no document's time
        documents = deque()

        def records() -> Iterator[Record]:
            for document in data:
                self.stat_update(StatHints.total)
                documents.append(document)
                yield Record(document.id, document.text, document.metadata.get("charset"), document.metadata.get("url"))

        results = clean_records(records(), model, threshold=self.threshold, time_budget=self.timeout, article_end=self.article_end)
        while True:
            with self.track_time():  # a batch's time falls on the document that completes it; the mean is right
                result = next(results, None)
            if result is None:
                return
            document = documents.popleft()
            if result["error"] is not None:
                yield from self._failed(document, result["error"])
                continue
            self.stat_update("extracted")
            if not result["text"]:
                self.stat_update(StatHints.dropped)
                continue
            document.text = result["text"]
            document.metadata |= {"model_version": result["model_version"], "model_digest": result["model_digest"]}
            if self.title:
                document.metadata["title"] = result["title"]
            self.stat_update(StatHints.forwarded)
            self.update_doc_stats(document)
            yield document

    def _failed(self, document: Document, error: str) -> Iterator[Document]:
        self.stat_update("clean_error")
        if not self.keep_errors:
            self.stat_update(StatHints.dropped)
            return
        document.text = ""
        document.metadata["boilerline_error"] = error
        self.stat_update(StatHints.forwarded)
        yield document


class BoilerlineWarcReader(BaseDiskReader):
    """The HTML responses of WARC files as documents: id the WARC-Record-ID, text the page
    decoded as a browser decodes it (the HTTP charset, else its <meta>, else UTF-8, else
    windows-1252), metadata url and charset. A record that cannot be read, or a page that
    cannot be decoded (too large), is counted (`unreadable`) and passed over: it has no text
    to carry. Args as datatrove's `BaseDiskReader`'s."""

    name = "🕷 Warc (boilerline)"

    def read_file(self, filepath: str) -> DocumentsPipeline:
        # fastwarc undoes the gzip of a .warc.gz itself, so the file is opened as it is.
        with self.data_folder.open(filepath, "rb", compression=None) as stream:
            for number, record in enumerate(warc_records(stream, filepath)):
                with self.track_time():
                    data = self._document_data(record)
                if data is None:
                    self.stat_update("unreadable")
                    continue
                document = self.get_document_from_dict(data, filepath, number)
                if document:
                    yield document

    @staticmethod
    def _document_data(record: Record | dict) -> dict | None:
        if isinstance(record, dict):
            return None
        try:
            text = decode_page(record.page, record.charset)
        except PageError:
            return None
        return {"text": text, "id": record.id, "url": record.url, "charset": record.charset}
