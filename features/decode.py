"""Page bytes to text, as browsers read them, and what is refused on the way: pages too large,
gzip that does not decompress, files of other formats, binary junk.
"""

import codecs
import gzip
import io
import re
import zlib

import webencodings

from . import settings

_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class PageError(ValueError):
    """A page that cannot be segmented (too large, not text); the message says why."""


def decode_page(page: str | bytes, encoding: str | None = None) -> str:
    """Bytes (gunzipped if they are gzip's) to text: a BOM, else `encoding`, else the charset
    the page declares, else UTF-8, or windows-1252 for text that is not UTF-8.

    `encoding` is the charset the page was served with (HTTP's Content-Type), which comes
    before the page's own <meta> as it does in browsers (WHATWG's encoding sniffing). An
    unknown name is ignored, as browsers ignore it: servers send the odd "utf8mb4" or "none".
    Names are read as the WHATWG Encoding Standard reads them (webencodings): ISO-8859-1
    and ASCII mean windows-1252, Shift_JIS means windows-31J, and Python's codecs that are
    no web encodings (UTF-7, rot13, unicode_escape) are unknown. A str page is already text
    and keeps it."""
    if encoding is not None and not isinstance(encoding, str):
        raise TypeError(f"encoding must be a charset's name (str) or None, not {type(encoding).__name__}")
    if isinstance(page, str):
        text = page
    elif isinstance(page, (bytes, bytearray, memoryview)):
        try:
            raw = gunzipped(bytes(page), settings.limit("MAX_PAGE_BYTES"))
        except GZIP_ERRORS as error:
            raise PageError(f"page is gzip bytes that do not decompress ({error or type(error).__name__})") from None
        if len(raw) > (limit := settings.limit("MAX_PAGE_BYTES")):
            raise PageError(f"page is {len(raw):,} bytes, over the {limit:,} limit (BOILERLINE_MAX_PAGE_BYTES)")
        _check_not_binary(raw)
        text = _decoded(raw, encoding)
    else:
        raise TypeError(f"a page must be str or bytes, not {type(page).__name__}")
    # A str page holding a file's bytes read as Latin-1 (or its ASCII signature) starts as the file does.
    _check_not_binary(text[:BINARY_HEAD_BYTES].encode("latin-1", "replace"))
    if len(text) > (limit := settings.limit("MAX_PAGE_BYTES")):
        raise PageError(f"page is {len(text):,} characters, over the {limit:,} limit (BOILERLINE_MAX_PAGE_BYTES)")
    # NUL and other control characters are what binary junk decodes to; they are never text.
    return text.replace("\x00", "")


GZIP_MAGIC = b"\x1f\x8b"  # no text or markup starts with these bytes
GZIP_ERRORS = (OSError, EOFError, zlib.error)  # what a broken gzip stream raises


# What the first bytes of a file that is no page say it is: each format's own signature ("magic
# number"), at its offset. No text or markup starts with any of them.
BINARY_SIGNATURES = (
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"RIFF", "a RIFF file (a WebP image, WAV audio or AVI video)"),
    (0, b"%PDF-", "a PDF document"),
    (0, b"PK\x03\x04", "a zip archive (or a document made of one)"),
    (0, b"PK\x05\x06", "a zip archive"),
    (257, b"ustar", "a tar archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xfd7zXZ\x00", "xz data"),
    (0, b"\x28\xb5\x2f\xfd", "zstd data"),
    (0, GZIP_MAGIC, "gzip data still compressed"),
    (0, b"WARC/", "a WARC file (a crawl's archive of pages, not a page)"),
    (0, b"\x7fELF", "an executable"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"wOFF", "a font"),
    (0, b"wOF2", "a font"),
    (4, b"ftyp", "a video or audio file"),
    (0, b"OggS", "an Ogg audio or video file"),
)
BINARY_HEAD_BYTES = 512  # enough for every signature's offset and length


def _check_not_binary(head: bytes) -> None:
    """A PageError naming what the file is when its first bytes are a binary format's signature."""
    for offset, signature, what in BINARY_SIGNATURES:
        if head.startswith(signature, offset):
            raise PageError(f"page is {what}, not text or HTML (its first bytes say so)")


def gunzipped(raw: bytes, limit: int) -> bytes:
    """`raw`, or, when it is gzip's (a response saved still compressed), its first `limit` + 1
    bytes uncompressed: one more than the limit tells a page too large without making all of it."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        return stream.read(limit + 1)


def without_lone_surrogates(text: str) -> str:
    """Lone surrogates (a JSON escape such as "\\ud800", or bytes decoded with surrogateescape)
    are no characters and cannot be encoded: U+FFFD instead, as for undecodable bytes."""
    if text.isascii():  # known without reading the text
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _decoded(raw: bytes, served_as: str | None) -> str:
    codec = _declared_codec(raw, served_as)
    if codec is not None:
        return codec.decode(raw, "replace")[0]
    text = raw.decode("utf-8", errors="replace")
    return raw.decode("cp1252", errors="replace") if _reads_as_windows_1252(raw, text) else text


def _reads_as_windows_1252(raw: bytes, as_utf8: str) -> bool:
    """Whether undeclared bytes that are not UTF-8 are text in windows-1252, as browsers read
    them (WHATWG's default for Western locales): reading them so spoils fewer characters (the
    valid non-ASCII ones) than the UTF-8 reading does (the invalid sequences), and they hold
    hardly any control bytes (random bytes are 11% controls; the junk check then refuses
    their U+FFFDs)."""
    bad = as_utf8.count("\ufffd")
    if not bad:
        return False
    valid = len(as_utf8) - len(as_utf8.encode("ascii", "ignore")) - bad
    controls = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    return bad > valid and controls * 100 <= len(raw)


def _web_encoding(name: str):
    """WHATWG's encoding of that name, or None for a name it does not know, lone surrogates
    and all (webencodings encodes the name first)."""
    try:
        return webencodings.lookup(name)
    except UnicodeError:
        return None


def _declared_codec(raw: bytes, served_as: str | None) -> codecs.CodecInfo | None:
    """The codec of the page's BOM, else of the charset it was served with, else of its <meta>."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return codecs.lookup(encoding)
    if served_as is not None and (served := _web_encoding(served_as)) is not None:
        return served.codec_info
    match = _CHARSET.search(raw[:4096])
    declared = webencodings.lookup(match.group(1).decode("ascii")) if match else None
    if declared is None:
        return None
    # A UTF-16 label in a <meta>, found by reading the bytes as ASCII, cannot be true: UTF-8.
    return webencodings.UTF8.codec_info if declared.name in ("utf-16le", "utf-16be") else declared.codec_info


# A tag, a comment, a doctype or a processing instruction: a page with none is plain text.
_MARKUP = re.compile(r"<[A-Za-z!/?]")


def has_markup(page: str) -> bool:
    return _MARKUP.search(page) is not None
