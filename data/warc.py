"""Pages written as a WARC file, as a crawler writes its responses: to test and time
`boilerline batch`, `clean_records` and the datatrove step on a crawl.

A WARC/1.0 response record is a block of text headers, then the HTTP response (status line,
headers, body), then two line breaks; a `.warc.gz` holds each record as its own gzip member.
"""

import gzip
import uuid
from collections.abc import Iterable
from pathlib import Path

WARC_DATE = "2026-12-07T00:00:00Z"


def record_id(url: str) -> str:
    """The WARC-Record-ID of the response for `url`: the same on every run."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>"


def response_record(url: str, body: bytes, content_type: str = "text/html") -> bytes:
    """One WARC response record: a 200 OK for `url`, its body served as `content_type`."""
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    headers = [
        "WARC/1.0",
        "WARC-Type: response",
        f"WARC-Record-ID: {record_id(url)}",
        f"WARC-Date: {WARC_DATE}",
        f"WARC-Target-URI: {url}",
        f"WARC-Identified-Payload-Type: {content_type.split(';')[0]}",  # as Common Crawl's, which datatrove's WarcReader reads
        "Content-Type: application/http; msgtype=response",
        f"Content-Length: {len(http)}",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + http + b"\r\n\r\n"


def write_warc(path: str | Path, records: Iterable[bytes]) -> None:
    """The records, in order, to `path`: gzip members of one record each when it ends in .gz."""
    compress = str(path).endswith(".gz")
    with open(path, "wb") as stream:
        for record in records:
            stream.write(gzip.compress(record, mtime=0) if compress else record)
