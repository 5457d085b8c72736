"""A cheap guard for the two commands a fresh machine needs: `make run` and `make test`.

`make -n -B` prints every step without running any (-B: as if no stamp file existed yet), so the
test is independent of the state of the local .venv and takes well under a second.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def dry_run(*args: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # Called from inside `make test`: don't inherit the outer make's flags or directory notes.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def assert_in_order(lines: list[str], patterns: list[str]) -> None:
    """Each pattern matches a line, and the matches come in the given order."""
    position = 0
    for pattern in patterns:
        for index in range(position, len(lines)):
            if re.search(pattern, lines[index]):
                position = index + 1
                break
        else:
            shown = "\n".join(lines)
            raise AssertionError(f"no step matching {pattern!r} after line {position}:\n{shown}")


def test_make_run_installs_migrates_seeds_and_serves() -> None:
    lines = dry_run("run")
    assert_in_order(lines, [
        r"-m venv \.venv$",
        r"^\.venv/bin/python -m pip install .*-e \.$",
        r"^\.venv/bin/kosmmos migrate --noinput$",
        r"^\.venv/bin/kosmmos demo$",
        r"^\.venv/bin/kosmmos serve --host \S+ --port \d+$",
    ])
    # `make run` needs no test tooling.
    assert not any("[dev]" in line for line in lines), lines


def test_make_test_installs_dev_deps_then_runs_pytest() -> None:
    lines = dry_run("test")
    assert_in_order(lines, [
        r"-m venv \.venv$",
        r"^\.venv/bin/python -m pip install .*-e \.$",
        r"^\.venv/bin/python -m pip install .*-e '?\.\[dev\]'?$",
        r"^(KOSMMOS_VAR=\$\(mktemp -d\) )?\.venv/bin/python -m pytest\b",
    ])
    assert re.search(r"(^|\s)\.venv/bin/python -m pytest\b", lines[-1]), lines


def test_make_bench_installs_what_the_benches_need_then_runs_one() -> None:
    lines = dry_run("bench", "NAME=proposal")
    assert_in_order(lines, [
        r"^\.venv/bin/python -m pip install .*-e \.$",
        r"^\.venv/bin/python -m pip install .*-e '?\.\[bench\]'?$",
        r"^\.venv/bin/kosmmos bench proposal --json$",
    ])


def test_make_lint_runs_ruff_then_the_import_contracts_then_mypy() -> None:
    lines = dry_run("lint")
    assert_in_order(lines, [
        r"^\.venv/bin/python -m pip install .*-e '?\.\[dev\]'?$",
        r"^\.venv/bin/ruff check kosmmos tests benches$",
        r"^\.venv/bin/lint-imports .*pyproject\.toml tools/import-cycles\.toml$",
        r"^\.venv/bin/mypy$",
    ])
