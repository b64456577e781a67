"""`python -m data fetch` gets the datasets; `python -m data build` builds the labelled-line tables;
`python -m data fetch-unseen` gets the pages in neither benchmark that `make eval` also measures."""

import argparse
import sys

from . import settings
from .fetch import fetch_all, fetch_unseen, raw_dir
from .sources import DatasetMissing


def fetch(args: argparse.Namespace) -> None:
    dest = raw_dir()
    where = f"DATA_MIRROR={settings.DATA_MIRROR}" if settings.DATA_MIRROR else "GitHub"
    print(f"Fetching the datasets into {dest} (from {where}, unless already complete)")
    for name, pages in fetch_all(dest, settings.DATA_MIRROR).items():
        folder = dest / name
        origin = f" -> {folder.resolve()}" if folder.is_symlink() else ""
        print(f"  {name}: {pages:,} pages in {folder}{origin}")


def fetch_unseen_pages(args: argparse.Namespace) -> None:
    """Never fails: a set that cannot be had is named with the reason, and `make eval` goes on without it."""
    dest = raw_dir()
    for name, problem in fetch_unseen(dest, settings.DATA_MIRROR).items():
        print(f"  {name}: " + (f"left out of the evaluation: {problem}" if problem else f"ready in {dest / name}"))


def build(args: argparse.Namespace) -> None:
    # Imported here so that `fetch` works on a checkout whose build step has heavier needs.
    from . import build as build_module

    build_module.main(args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="make data/raw/wcxb-dev and data/raw/scrapinghub complete").set_defaults(run=fetch)
    commands.add_parser("fetch-unseen", help="make data/raw/goose and data/raw/newspaper complete, where they can be had").set_defaults(
        run=fetch_unseen_pages
    )
    commands.add_parser("build", help="build the labelled-line tables from the fetched datasets").set_defaults(run=build)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        args.run(args)
    except DatasetMissing as error:  # a missing dataset is a user's next step, not a crash
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
