"""The build backend of boilerline: setuptools', with the compiled walk (`features/_walk.pyx`)
built against lexbor's C sources as selectolax's pinned sdist ships them.

setuptools does the building; this module only adds the `build_ext` command that fetches and
checks lexbor's sources first. Any failure (no compiler, no network, no Cython) leaves the
package without the extension, and `boilerline` then uses its pure-Python walk.
"""

import hashlib
import io
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

from setuptools.build_meta import *  # noqa: F403 (the PEP 517 hooks, as setuptools gives them)
from setuptools.command.build_ext import build_ext

WALK = "boilerline._walk"
# selectolax's sdist of the version models/constraints.txt pins, which bundles lexbor 3.1.0:
# the same parser, so the compiled walk reads the same tree as the pure-Python one.
SELECTOLAX_SDIST = "selectolax-1.0.2"
SELECTOLAX_URL = (
    "selectolax-1.0.2.tar.gz"
)
SELECTOLAX_SHA256 = "f0508ad927aa426425d4aa7a2bb2f8b21c01412534465bd227e241d4d0a6a418"
# A local copy of that sdist, for a build without network (it is checked against the same sha256).
SDIST_SETTING = "BOILERLINE_SELECTOLAX_SDIST"
# lexbor's modules the HTML parser needs (its #includes reach no others): the rest is not compiled.
LEXBOR_MODULES = ("core", "dom", "html", "ns", "tag", "ports/posix")
LEXBOR_NOTICES = ("LICENSE", "NOTICE")
DOWNLOAD_TIMEOUT = 60  # seconds
# Every symbol of lexbor stays inside the extension: nothing clashes with selectolax's own copy.
COMPILE_ARGS = ["-DLEXBOR_STATIC", "-fvisibility=hidden", "-O2", "-Wno-unused-function", "-Wno-unused-variable"]


class BuildWalk(build_ext):
    """setuptools' build_ext, which builds the compiled walk when it can and skips it when not."""

    def build_extension(self, ext):
        if ext.name != WALK:
            return super().build_extension(ext)
        try:
            self._add_lexbor(ext)
            super().build_extension(ext)
        except Exception as error:  # whatever fails, the pure-Python walk remains
            print(f"boilerline: the compiled walk was not built ({type(error).__name__}: {error}); the pure-Python walk will be used")

    def _add_lexbor(self, ext) -> None:
        """Turns the extension's .pyx into C and adds lexbor's sources and flags to it."""
        from Cython.Build import cythonize

        source = unpacked_lexbor(Path(self.build_temp))
        (compiled,) = cythonize([ext], build_dir=self.build_temp, quiet=True, language_level=3)
        ext.sources = compiled.sources + sorted(str(path) for module in LEXBOR_MODULES for path in (source / "lexbor" / module).rglob("*.c"))
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
    """The pinned sdist's bytes, from SDIST_SETTING's file or PyPI, checked against its sha256."""
    local = os.environ.get(SDIST_SETTING, "").strip()
    if local:
        data = Path(local).read_bytes()
    else:
        with urllib.request.urlopen(SELECTOLAX_URL, timeout=DOWNLOAD_TIMEOUT) as response:
            data = response.read()
    if hashlib.sha256(data).hexdigest() != SELECTOLAX_SHA256:
        raise ValueError(f"{local or SELECTOLAX_URL} is not {SELECTOLAX_SDIST}.tar.gz (sha256 differs)")
    return data


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
