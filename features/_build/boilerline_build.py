"""The build backend of boilerline: setuptools', with the compiled walk (`features/_walk.pyx`)
built against lexbor's C sources as selectolax's pinned sdist ships them, and the compiled
pre-parse checks (`features/_checks.pyx`), character and word counts (`features/_counts.pyx`)
and trees (`features/_trees.pyx`).

setuptools does the building; this module only adds the `build_ext` command that fetches and
checks lexbor's sources first. Any failure (no compiler, no network, no Cython) leaves the
package without that extension, and `boilerline` then uses its pure-Python code.
"""

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path

from setuptools.build_meta import *  # noqa: F403 (the PEP 517 hooks, as setuptools gives them)
from setuptools.command.build_ext import build_ext

# setuptools marks [tool.setuptools] ext-modules experimental: the project declares its modules
# there rather than add a setup.py to its fixed top-level layout, so the warning says nothing new.
warnings.filterwarnings("ignore", message=r".*ext-modules.*experimental")

WALK = "boilerline._walk"
# selectolax's sdist of the version models/constraints.txt pins, which bundles lexbor 3.1.0:
# the same parser, so the compiled walk reads the same tree as the pure-Python one. pip fetches
# it by name from the package index it is set up with, and its sha256 is checked here.
SELECTOLAX = "selectolax==1.0.2"
SELECTOLAX_SDIST = "selectolax-1.0.2"
SELECTOLAX_SHA256 = "f0508ad927aa426425d4aa7a2bb2f8b21c01412534465bd227e241d4d0a6a418"
# A local copy of that sdist, for a build without network (it is checked against the same sha256).
SDIST_SETTING = "BOILERLINE_SELECTOLAX_SDIST"
# lexbor's modules the HTML parser needs (its #includes reach no others): the rest is not compiled.
LEXBOR_MODULES = ("core", "dom", "html", "ns", "tag", "ports/posix")
LEXBOR_NOTICES = ("LICENSE", "NOTICE")
# The variables a PEP 517 frontend sets for this build's hooks.
BUILD_VARIABLES = ("PYTHONPATH", "PYTHONNOUSERSITE", "_PYPROJECT_HOOKS_", "PEP517_")
DOWNLOAD_TIMEOUT = 300  # seconds: pip prepares the sdist's metadata too
# Every symbol of lexbor stays inside the extension: nothing clashes with selectolax's own copy.
COMPILE_ARGS = ["-DLEXBOR_STATIC", "-fvisibility=hidden", "-O2", "-Wno-unused-function", "-Wno-unused-variable"]


class BuildCompiled(build_ext):
    """setuptools' build_ext, which builds each compiled module (the walk, with lexbor; the
    checks; the counts; the trees) when it can and skips it when not."""

    def build_extension(self, ext):
        try:
            from Cython.Build import cythonize

            (compiled,) = cythonize([ext], build_dir=self.build_temp, quiet=True, language_level=3)
            ext.sources = compiled.sources
            if ext.name == WALK:
                self._add_lexbor(ext)
            super().build_extension(ext)
            if ext.name == WALK:
                self._add_lexbor_notices(ext)
        except Exception as error:  # whatever fails, the pure-Python code remains
            print(f"boilerline: {ext.name} was not built ({type(error).__name__}: {error}); its pure-Python code will be used")

    def _add_lexbor_notices(self, ext) -> None:
        """lexbor's LICENSE and NOTICE beside the built walk (in a wheel: `boilerline/lexbor-*`),
        as its Apache-2.0 licence asks of a work that ships it compiled."""
        source = unpacked_lexbor(Path(self.build_temp)).parent
        folder = Path(self.get_ext_fullpath(ext.name)).parent
        for name in LEXBOR_NOTICES:
            shutil.copyfile(source / name, folder / f"lexbor-{name}")

    def _add_lexbor(self, ext) -> None:
        """Adds lexbor's sources and flags to the walk's extension."""
        source = unpacked_lexbor(Path(self.build_temp))
        ext.sources = ext.sources + sorted(str(path) for module in LEXBOR_MODULES for path in (source / "lexbor" / module).rglob("*.c"))
        ext.include_dirs = [*ext.include_dirs, str(source)]
        ext.extra_compile_args = [*ext.extra_compile_args, *COMPILE_ARGS]


def unpacked_lexbor(build_temp: Path) -> Path:
    """The folder holding `lexbor/` (the modules LEXBOR_MODULES) of the pinned sdist, unpacked
    once under `build_temp`."""
    folder = build_temp / f"lexbor-of-{SELECTOLAX_SDIST}"
    done = folder / ".unpacked"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        _unpack_lexbor(selectolax_sdist(), folder)
        done.touch()
    return folder / "source"


def selectolax_sdist() -> bytes:
    """The pinned sdist's bytes, from SDIST_SETTING's file or fetched by pip, checked against its sha256."""
    local = os.environ.get(SDIST_SETTING, "").strip()
    data = Path(local).read_bytes() if local else _downloaded_sdist()
    if hashlib.sha256(data).hexdigest() != SELECTOLAX_SHA256:
        raise ValueError(f"{local or SELECTOLAX} is not {SELECTOLAX_SDIST}.tar.gz (sha256 differs)")
    return data


def _downloaded_sdist() -> bytes:
    """The sdist of SELECTOLAX, as `pip download` gets it: the pip of the Python that runs the
    build, outside this build's isolated environment, whose paths and hook settings would
    otherwise reach the build environment that pip makes to read the sdist's metadata."""
    outside = {name: value for name, value in os.environ.items() if not name.startswith(BUILD_VARIABLES)}
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", SELECTOLAX, "-d", folder]
        subprocess.run(command, check=True, timeout=DOWNLOAD_TIMEOUT, env=outside)
        return (Path(folder) / f"{SELECTOLAX_SDIST}.tar.gz").read_bytes()


def _unpack_lexbor(sdist: bytes, folder: Path) -> None:
    """Writes the sdist's lexbor modules and notices into `folder`, each member's path checked."""
    prefix = f"{SELECTOLAX_SDIST}/lexbor/"
    wanted = tuple(f"source/lexbor/{module}/" for module in LEXBOR_MODULES)
    with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as archive:
        for member in archive.getmembers():
            relative = member.name.removeprefix(prefix)
            if relative == member.name or not member.isfile() or ".." in Path(relative).parts:
                continue
            if relative.startswith(wanted) or relative in LEXBOR_NOTICES:
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.extractfile(member).read())
