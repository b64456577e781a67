"""The unseen-script copies of pages: what the model learns to read without its words."""

import re

from boilerline.lines import NOTICE_PHRASES
from boilerline.segment import segment_html
from data.cipher import encipher, encipher_html
from data.metrics import word_prf

PAGE = [
    "We use cookies to improve your experience.",
    "Home | News | Contact",
    "The river flooded the town in 2024.",
    "Home | News | Contact",
]


def test_every_latin_letter_is_replaced_and_everything_else_kept():
    enciphered = encipher(PAGE, ["p"] * len(PAGE))
    assert not any(re.search("[A-Za-z]", text) for text in enciphered)
    for plain, text in zip(PAGE, enciphered):
        assert len(text) == len(plain)
        assert re.sub(r"\w", "x", text) == re.sub(r"\w", "x", plain)  # word boundaries, punctuation, spaces
        assert [c.isupper() for c in text] == [c.isupper() for c in plain]
        assert re.findall(r"\d", text) == re.findall(r"\d", plain)
    assert not any(phrase in text.lower() for text in enciphered for phrase in NOTICE_PHRASES if phrase != "©")


def test_one_page_one_substitution_so_repeats_and_word_f1_are_kept():
    enciphered = encipher(PAGE, ["p"] * len(PAGE))
    assert enciphered[1] == enciphered[3] and enciphered == encipher(PAGE, ["p"] * len(PAGE))
    gold = "The river flooded the town in 2024."
    kept = [PAGE[0], PAGE[2]]
    assert word_prf("\n".join(encipher(kept, ["p", "p"])), encipher([gold], ["p"])[0]) == word_prf("\n".join(kept), gold)


def test_other_pages_read_as_other_languages():
    assert encipher(["the town"], ["p"]) != encipher(["the town"], ["q"])


HTML = """<!DOCTYPE html><html lang="en"><head><title>News</title><style>p { color: red }</style>
<script>if (a<b) { document.write("<!-- <p>Never shown</p>"); }</script></head>
<body class="article-body"><nav><a href="/home">Home</a> | <a href="/about">About us</a></nav>
<p>Caf&eacute; &amp; Bar&#8217;s owner said: &quot;We open at 9.&quot;</p><!-- Comment text --><p>J&J rose 2%.</p>
<p>&nbsp</p><p>&copy 2024 Acme</p></body></html>"""


def test_an_html_page_is_enciphered_in_its_text_only():
    enciphered = encipher_html(HTML, "p")
    assert '<body class="article-body"><nav><a href="/home">' in enciphered and "<!-- Comment text -->" in enciphered
    assert '<script>if (a<b) { document.write("<!-- <p>Never shown</p>"); }</script>' in enciphered
    assert "&eacute; &amp; " in enciphered and "&#8217;" in enciphered and "&quot;" in enciphered
    lines = segment_html(enciphered)["text"].tolist()
    assert lines == encipher(segment_html(HTML)["text"].tolist(), ["p"] * len(lines))
    assert not re.search("[A-Za-z]", " ".join(lines).replace("é", ""))
