"""The library's runtime limits and switches, each read from its `BOILERLINE_*` environment
variable when it is used, never at import: a scraper's environment cannot break `import boilerline`, and a bad
value is reported (SettingError) by the call that needs it.

Data, training and evaluation settings live with the code that uses them (`data/settings.py`,
`train.py`, `evaluate.py`); they are not part of the installed library.
"""

import os

PREFIX = "BOILERLINE_"

#: Each limit's default. MAX_PAGE_BYTES: pages larger than this are refused rather than
#: exhausting memory. MAX_PAGE_ELEMENTS and MAX_PAGE_LINES: memory grows with a page's
#: elements and lines, not its bytes, so pages with more are refused (before parsing, and once
#: cut into lines). MAX_PAGE_NESTING: the parser's time grows with the square of the depth of
#: nested <div>s and the like, so deeper pages are refused before parsing. MAX_PAGE_END_TAG_WALK: the
#: parser walks its open elements for each end tag, up to the first block, so pages whose end tags
#: would walk more of them in all are refused before parsing. MAX_LINE_CHARS: longer
#: lines are cut where the model reads them (the cleaned text keeps them whole). MAX_DEPTH:
#: elements nested deeper are flattened into their ancestor's line, since a line's cost grows
#: with its depth. PAGE_TIMEOUT: seconds a page may take in `boilerline batch`.
DEFAULTS: dict[str, int | float] = {
    "MAX_PAGE_BYTES": 20_000_000,
    "MAX_PAGE_ELEMENTS": 750_000,
    "MAX_PAGE_NESTING": 10_000,
    "MAX_PAGE_END_TAG_WALK": 50_000_000,
    "MAX_PAGE_LINES": 750_000,
    "MAX_LINE_CHARS": 20_000,
    "MAX_DEPTH": 256,
    "PAGE_TIMEOUT": 30.0,
}


#: Switches, off by default: PURE_PYTHON=1 has the HTML checked and walked in Python, the lines'
#: characters and words counted by numpy and the booster's trees walked by LightGBM even where
#: the compiled ones are built (the same lines and scores, slower), to compare the two or to
#: rule the extensions out (`segment.compiled_in_use`).
SWITCHES = ("PURE_PYTHON",)


class SettingError(ValueError):
    """A BOILERLINE_* variable whose value is not a number of the kind its limit takes, or not 0
    or 1 for a switch."""


def limit(name: str) -> int | float:
    """The limit `name` (a key of DEFAULTS): BOILERLINE_<name> when set and not empty, else
    its default."""
    default = DEFAULTS[name]
    value = os.environ.get(PREFIX + name, "").strip()
    if not value:
        return default
    try:
        number = type(default)(value)
    except ValueError:
        kind = "an integer" if isinstance(default, int) else "a number"
        raise SettingError(f"setting {PREFIX}{name}={value!r} is not {kind} (default {default})") from None
    if not number > 0:
        raise SettingError(f"setting {PREFIX}{name}={value!r} is not above 0 (default {default})")
    return number


def switch(name: str) -> bool:
    """Whether the switch `name` (one of SWITCHES) is on: BOILERLINE_<name> is "1"; off when
    unset, empty or "0"."""
    assert name in SWITCHES, name
    value = os.environ.get(PREFIX + name, "").strip()
    if value not in ("", "0", "1"):
        raise SettingError(f"setting {PREFIX}{name}={value!r} is not 0 or 1 (default 0)")
    return value == "1"
