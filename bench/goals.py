"""A benchmark's goals by name, and `--goal NAME=VALUE` to set one for a run (say, impossibly).

Each benchmark keeps its goals in one dict, name -> limit, and compares its figures with the
limits chosen for the run. Setting one out of reach (`--goal ratio=99`) must make the benchmark
exit 1: that is how the exit status of a missed goal is checked without editing a goal.
"""

from __future__ import annotations

import argparse


def add_goal_option(parser: argparse.ArgumentParser, goals: dict[str, float]) -> None:
    """Add --goal NAME=VALUE (repeatable) to a benchmark's parser."""
    names = ", ".join(f"{name} ({limit:g})" for name, limit in goals.items())
    parser.add_argument("--goal", action="append", default=[], metavar="NAME=VALUE",
                        help=f"set a goal for this run; goals (default): {names}")  # fmt: skip


def chosen_goals(parser: argparse.ArgumentParser, goals: dict[str, float],
                 settings: list[str]) -> dict[str, float]:  # fmt: skip
    """Return the goals with the run's --goal settings applied; a bad one exits 2 (argparse)."""
    chosen = dict(goals)
    for setting in settings:
        name, sep, value = setting.partition("=")
        try:
            if not sep or name not in goals:
                raise ValueError(name)
            chosen[name] = float(value)
        except ValueError:
            parser.error(f"--goal {setting}: want NAME=NUMBER, NAME one of {', '.join(goals)}")
    return chosen
