"""Settings read from the environment, as the Makefile passes them."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def settings_in(env: dict) -> subprocess.CompletedProcess:
    code = "from features import settings; print(settings.TRAIN_EXTRA_WEIGHT, settings.JOBS, settings.PAGE_TIMEOUT)"
    return subprocess.run([sys.executable, "-c", code], env=os.environ | env, capture_output=True, text=True, cwd=REPO, timeout=60)


def test_an_empty_setting_is_its_default_as_make_exports_an_unset_one():
    done = settings_in({"TRAIN_EXTRA_WEIGHT": "", "JOBS": "", "PAGE_TIMEOUT": " "})
    assert done.returncode == 0, done.stderr
    weight, jobs, timeout = done.stdout.split()
    assert float(weight) == 1.0 and int(jobs) == (os.cpu_count() or 1) and float(timeout) == 30.0


def test_a_setting_that_is_no_number_says_which_and_what_it_got():
    done = settings_in({"TRAIN_EXTRA_WEIGHT": "ten"})
    assert done.returncode != 0 and done.stderr.strip().splitlines()[-1] == "ValueError: setting TRAIN_EXTRA_WEIGHT='ten' is not a number"
    done = settings_in({"JOBS": "2.5", "TRAIN_EXTRA_WEIGHT": "10"})
    assert done.stderr.strip().splitlines()[-1] == "ValueError: setting JOBS='2.5' is not an integer"
