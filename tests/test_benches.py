"""The benchmarks live in the checkout's benches/ folder, not in the shipped package; the CLI
loads them lazily and says in Russian and English what is missing when it cannot."""

from __future__ import annotations

import importlib
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

import benches
from kosmmos import cli

REPO = Path(__file__).resolve().parents[1]


def test_it_keeps_the_benches_out_of_the_shipped_package() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(fnmatch("benches", pattern) for pattern in shipped), shipped
    assert not (REPO / "kosmmos" / "bench").exists()
    assert cli.CHECKOUT == REPO


def test_it_imports_every_registered_bench() -> None:
    for name, target in benches.BENCHES.items():
        module, _, func = target.partition(":")
        assert callable(getattr(importlib.import_module(module), func)), name


def test_it_mounts_the_django_redirect_view_for_the_redirect_bench() -> None:
    settings = importlib.import_module("benches.redirect_settings")
    urlconf = importlib.import_module(settings.ROOT_URLCONF)
    assert [p.callback.__name__ for p in urlconf.urlpatterns] == ["follow"]


def test_it_lists_the_benches_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["help"]) == 0
    assert "boot, dashboard, fuzz, inbox, proposal, publish, redirect, sentiment" in capsys.readouterr().out


def test_it_says_where_the_benches_are_when_the_install_has_none(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "CHECKOUT", tmp_path)
    assert cli.main(["bench", "boot", "--json"]) == 2
    err = capsys.readouterr().err
    assert "the benchmarks are not in this install" in err
    assert "в этой установке нет бенчмарков" in err
    assert "make install" in err
    assert cli.main(["help"]) == 0
    assert "none in this install" in capsys.readouterr().out


def test_it_names_the_package_a_bench_needs(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "needy_bench.py").write_text("import kosmmos_no_such_package\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(benches.BENCHES, "needy", "needy_bench:run")
    assert cli.main(["bench", "needy", "--json"]) == 2
    err = capsys.readouterr().err
    assert "kosmmos bench needy needs the Python package kosmmos_no_such_package" in err
    assert "нужен пакет Python kosmmos_no_such_package" in err
    assert "make bench NAME=needy" in err
    assert f"-m pip install -e '{REPO}[bench]'" in err
