"""Settings read from the environment: the library's BOILERLINE_* limits when used, never at
import; the data and training settings as the Makefile passes them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from boilerline import SettingError, settings

REPO = Path(__file__).resolve().parent.parent


def python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=os.environ | env, capture_output=True, text=True, cwd=REPO, timeout=60)


def test_importing_the_library_reads_no_setting_so_a_foreign_or_bad_one_cannot_break_it():
    done = python(
        "import boilerline; print(boilerline.__version__)", {"JOBS": "auto", "SEED": "random", "BOILERLINE_MAX_PAGE_BYTES": "abc"}
    )
    assert done.returncode == 0, done.stderr
    import boilerline

    assert done.stdout.strip() == boilerline.__version__


def test_a_bad_limit_is_reported_by_the_call_that_uses_it(monkeypatch):
    import boilerline

    monkeypatch.setenv("BOILERLINE_MAX_PAGE_BYTES", "abc")
    with pytest.raises(SettingError, match=r"BOILERLINE_MAX_PAGE_BYTES='abc' is not an integer \(default 20000000\)"):
        boilerline.segment_html("<p>a page</p>")
    monkeypatch.setenv("BOILERLINE_MAX_PAGE_BYTES", "-5")
    with pytest.raises(SettingError, match="not above 0"):
        boilerline.segment_html("<p>a page</p>")


def test_a_limit_is_read_when_used_and_an_empty_one_is_its_default(monkeypatch):
    monkeypatch.setenv("BOILERLINE_MAX_LINE_CHARS", " ")
    assert settings.limit("MAX_LINE_CHARS") == settings.DEFAULTS["MAX_LINE_CHARS"]
    monkeypatch.setenv("BOILERLINE_MAX_LINE_CHARS", "123")
    assert settings.limit("MAX_LINE_CHARS") == 123
    monkeypatch.setenv("BOILERLINE_PAGE_TIMEOUT", "2.5")
    assert settings.limit("PAGE_TIMEOUT") == 2.5


def test_the_command_line_reports_a_bad_limit_in_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "boilerline", "clean", "-"],
        input="<p>Some text.</p>",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env=os.environ | {"BOILERLINE_MAX_PAGE_LINES": "many"},
    )
    assert done.returncode == 1 and done.stderr.strip() == (
        "boilerline: error: setting BOILERLINE_MAX_PAGE_LINES='many' is not an integer (default 750000)"
    )


def data_settings_in(env: dict) -> subprocess.CompletedProcess:
    return python("from data import settings; import train; print(train.TRAIN_EXTRA_WEIGHT, settings.JOBS)", env)


def test_an_empty_data_setting_is_its_default_as_make_exports_an_unset_one():
    done = data_settings_in({"TRAIN_EXTRA_WEIGHT": "", "JOBS": ""})
    assert done.returncode == 0, done.stderr
    weight, jobs = done.stdout.split()
    assert float(weight) == 1.0 and int(jobs) == (os.cpu_count() or 1)


def test_a_data_setting_that_is_no_number_says_which_and_what_it_got():
    done = data_settings_in({"TRAIN_EXTRA_WEIGHT": "ten"})
    assert done.returncode != 0 and done.stderr.strip().splitlines()[-1] == "ValueError: setting TRAIN_EXTRA_WEIGHT='ten' is not a number"
    done = data_settings_in({"JOBS": "2.5", "TRAIN_EXTRA_WEIGHT": "10"})
    assert done.stderr.strip().splitlines()[-1] == "ValueError: setting JOBS='2.5' is not an integer"
