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
    listed = ", ".join(sorted(benches.BENCHES))
    assert listed in capsys.readouterr().out


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


def test_it_leaves_out_of_publish_lateness_only_the_killed_workers_posts() -> None:
    from benches import publish

    assert publish.token_pid("web-1:abc:1a2b3c4d:0123456789") is None  # not a pid
    assert publish.token_pid("old-format-token") is None
    assert publish.token_pid("fe80::1:4242:1a2b3c4d:0123456789") == 4242  # a host with colons
    assert publish.token_pid("web-1:4242:1a2b3c4d:0123456789") == 4242
    assert publish.token_pid("web-1:4242:-:0123456789") == 4242
    rows = [("aaaa-1", "web-1:4242:1a2b:x1"), ("bbbb-2", "web-1:77:1a2b:x2"),
            ("cccc-3", "web-2:4242:ffff:x3")]
    # Posts another worker's lease left behind stay in the percentiles.
    assert publish.held_by(rows, 4242) == {"aaaa1", "cccc3"}
    assert publish.held_by(rows, None) == set()


def test_it_counts_redirect_clicks_lost_by_id() -> None:
    from benches import redirect

    # A surplus of stored clicks cannot hide a missing one.
    assert redirect.lost_by_id(["k1", "k2", "k2"], {"k1", "k3", "k4"}) == 1
    assert redirect.lost_by_id(["k1"], {"k1"}) == 0


def test_it_fails_the_proposal_run_when_an_email_never_arrives(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from benches import proposal

    posted = {f"b{i}@x": 0.0 for i in range(20)}
    arrivals = {a: 1.0 for a in list(posted)[:19]}
    result = proposal.summary(posted, arrivals, {}, timeout=5)
    assert (result["emails"], result["briefs"]) == (19, 20)
    assert result["failed"] == "1 of 20 proposal emails did not arrive within 5 s"
    # Missing emails are in the percentiles: two of twenty reach the p95.
    two_missing = proposal.summary(posted, {a: 1.0 for a in list(posted)[:18]}, {}, timeout=5)
    assert two_missing["submit_to_email_p95_s"] is None and two_missing["emails"] == 18
    done = proposal.summary(posted, {a: 2.0 for a in posted}, {}, timeout=5)
    assert done["submit_to_email_p95_s"] == 2.0 and "failed" not in done
    monkeypatch.setitem(benches.BENCHES, "failing", "benches.proposal:summary")
    monkeypatch.setattr(proposal, "summary", lambda argv: result)
    assert cli.main(["bench", "failing", "--json"]) == 1
    assert '"failed"' in capsys.readouterr().out


def test_it_finds_every_mutant_in_the_code_it_mutates() -> None:
    from benches import mutants

    assert mutants.check(mutants.MUTANTS) == []
    assert len({x.id for x in mutants.MUTANTS}) == len(mutants.MUTANTS)
    assert all((REPO / t.partition("::")[0]).is_file() for x in mutants.MUTANTS for t in x.tests)
    assert set(mutants.REASONS) <= {x.id for x in mutants.MUTANTS}
