"""A page as it would be in a language never read: its letters enciphered.

Each page gets its own substitution of the Latin letters by Armenian ones (a script no
training page and no stoplist of the model holds), case kept. Every word becomes one the
model never read, and no stopword or notice phrase is found, while everything else stays:
lengths, word and line boundaries, punctuation, digits, capitals, which lines repeat, and
the page's structure. The substitution is one-to-one, so the benchmark's word F1 of a set of
kept lines is the same before and after: kept lines can be scored with their plain text, or
an extractor's output on an enciphered page against the enciphered gold.
"""

import re
import zlib
from html.entities import html5

import numpy as np

LATIN = "abcdefghijklmnopqrstuvwxyz"
ARMENIAN = "".join(map(chr, range(0x0561, 0x0587)))  # 38 lowercase letters, each with a capital
# An HTML page's markup: comments, doctype and tags, whose names and attributes (class names,
# links) stay as they are, as on many sites written in other languages.
_MARKUP = re.compile(r"<!--.*?-->|<![^>]*>|<[A-Za-z/][^>]*>", re.S)
_RAW_TEXT = re.compile(r"<(script|style)\b", re.I)  # elements whose content is code, not text
_RAW_TEXT_END = {name: re.compile(f"</{name}", re.I) for name in ("script", "style")}
# A character reference, with its semicolon or one of the few HTML reads without (`&nbsp`,
# `&copy`), longest first; else a run of letters.
_LEGACY_ENTITIES = sorted((name for name in html5 if not name.endswith(";")), key=len, reverse=True)
_ENTITY_OR_LETTERS = re.compile(f"(&#?[A-Za-z0-9]+;|&(?:{'|'.join(_LEGACY_ENTITIES)}))|[A-Za-z]+")


def page_cipher(page_id: str) -> dict[int, str]:
    """The substitution of one page, the same for the same page id on every run."""
    rng = np.random.default_rng(zlib.crc32(page_id.encode()))
    letters = "".join(rng.permutation(list(ARMENIAN))[: len(LATIN)])
    return str.maketrans(LATIN + LATIN.upper(), letters + letters.upper())


def encipher(texts: list[str], page_ids: list[str]) -> list[str]:
    """Each text in the substitution of its page."""
    ciphers = {page_id: page_cipher(page_id) for page_id in set(page_ids)}
    return [text.translate(ciphers[page_id]) for text, page_id in zip(texts, page_ids)]


def encipher_html(html: str, page_id: str) -> str:
    """The page with the letters of its text enciphered as `encipher` enciphers its lines:
    markup, character references and the content of <script> and <style> are left alone."""
    cipher = page_cipher(page_id)
    enciphered = lambda text: _ENTITY_OR_LETTERS.sub(lambda match: match.group(1) or match.group(0).translate(cipher), text)
    pieces, start = [], 0
    while tag := _MARKUP.search(html, start):
        pieces += [enciphered(html[start : tag.start()]), tag.group(0)]
        start = tag.end()
        if raw := _RAW_TEXT.match(tag.group(0)):  # its content runs to its end tag, whatever it holds
            end = _RAW_TEXT_END[raw.group(1).lower()].search(html, start)
            pieces.append(html[start : end.start() if end else len(html)])
            start = end.start() if end else len(html)
    pieces.append(enciphered(html[start:]))
    return "".join(pieces)
