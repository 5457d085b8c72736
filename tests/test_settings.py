"""Settings read from the environment (a fresh interpreter each: settings load once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def setting_with_env(name: str, tmp_path: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != name and k != f"{name}_FILE"}
    clean.update(KOSMMOS_VAR=str(tmp_path), SECRET_KEY="test", **env)
    code = f"from kosmmos import settings; print(repr(settings.{name}))"
    result = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True,
                            text=True, check=True, timeout=60)
    return result.stdout.strip()


@pytest.mark.parametrize(("env", "expected"), [({}, "600"), ({"API_RATE_LIMIT_PER_MIN": "42"}, "42")])
def test_it_reads_the_api_rate_limit_from_the_environment(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    assert setting_with_env("API_RATE_LIMIT_PER_MIN", tmp_path, **env) == expected
