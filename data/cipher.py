"""Lines as a page in an unseen language would show them to the model: its letters enciphered.

Each page gets its own substitution of the Latin letters by Armenian ones (a script no
training page and no stoplist of the model holds), case kept. Every word becomes one the
model never read, and no stopword or notice phrase is found, while everything else stays:
lengths, word and line boundaries, punctuation, digits, capitals, which lines repeat, and
the page's structure. The substitution is one-to-one, so the benchmark's word F1 of a set of
kept lines is the same before and after: kept lines can be scored with their plain text.
"""

import zlib

import numpy as np

LATIN = "abcdefghijklmnopqrstuvwxyz"
ARMENIAN = "".join(map(chr, range(0x0561, 0x0587)))  # 38 lowercase letters, each with a capital


def page_cipher(page_id: str) -> dict[int, str]:
    """The substitution of one page, the same for the same page id on every run."""
    rng = np.random.default_rng(zlib.crc32(page_id.encode()))
    letters = "".join(rng.permutation(list(ARMENIAN))[: len(LATIN)])
    return str.maketrans(LATIN + LATIN.upper(), letters + letters.upper())


def encipher(texts: list[str], page_ids: list[str]) -> list[str]:
    """Each text in the substitution of its page."""
    ciphers = {page_id: page_cipher(page_id) for page_id in set(page_ids)}
    return [text.translate(ciphers[page_id]) for text, page_id in zip(texts, page_ids)]
