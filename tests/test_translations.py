"""The Russian catalogue: complete, compiled, in step with the code, and the default language.

The .po is parsed with the standard library only (no polib), so the check needs no extra package.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client

PACKAGE = Path(__file__).resolve().parents[1] / "kosmmos"  # the package directory
LOCALE = PACKAGE / "locale"
RU_PO = LOCALE / "ru" / "LC_MESSAGES" / "django.po"
RU_MO = LOCALE / "ru" / "LC_MESSAGES" / "django.mo"
RU_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)


# --- A small .po reader ------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    def translations(self) -> list[str]:
        return list(self.msgstr_plural.values()) if self.msgid_plural is not None else [self.msgstr]


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(token: str) -> str:
    # A PO string is a C string literal; Python's literal syntax covers the escapes gettext emits.
    return ast.literal_eval(token)


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, obsolete (#~) ones skipped; the header is the entry with msgid ''."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish()
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            if current is not None and target is not None and target[0] == "msgstr":
                finish()
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            value = _unquote(token)
            if keyword in ("msgctxt", "msgid") and (
                current is None or target is None or target[0] == "msgstr"
            ):
                finish()
                current = Entry(flags=pending_flags, line=number)
                pending_flags = set()
            assert current is not None, f"{path}:{number}: {keyword} outside an entry"
            if keyword == "msgctxt":
                current.msgctxt = value
                target = ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid = value
                target = ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural = value
                target = ("msgid_plural", None)
            elif index is None:
                current.msgstr = value
                target = ("msgstr", None)
            else:
                current.msgstr_plural[int(index)] = value
                target = ("msgstr", int(index))
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            value = _unquote(line)
            name, index = target
            if name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif name == "msgid":
                current.msgid += value
            elif name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            elif index is None:
                current.msgstr += value
            else:
                current.msgstr_plural[index] += value
            continue
        raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def split(entries: list[Entry]) -> tuple[dict[str, str], list[Entry]]:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    fields = dict(line.split(":", 1) for line in header.msgstr.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in fields.items()}, [
        e for e in entries if e is not header
    ]


@pytest.fixture(scope="module")
def catalogue() -> tuple[dict[str, str], list[Entry]]:
    return split(read_po(RU_PO))


# --- The catalogue itself ----------------------------------------------------------------------


def test_it_parses_a_real_catalogue(catalogue: tuple[dict[str, str], list[Entry]]) -> None:
    _, entries = catalogue
    assert len(entries) > 100
    assert len({e.key for e in entries}) == len(entries), "duplicate msgids"


def test_it_has_a_russian_header(catalogue: tuple[dict[str, str], list[Entry]]) -> None:
    header, _ = catalogue
    assert header["Language"] == "ru"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"] == RU_PLURALS
    assert "fuzzy" not in read_po(RU_PO)[0].flags


def test_it_translates_every_entry(catalogue: tuple[dict[str, str], list[Entry]]) -> None:
    _, entries = catalogue
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries left: {fuzzy}"
    empty = [e.msgid for e in entries if not all(t.strip() for t in e.translations())]
    assert not empty, f"untranslated entries: {empty}"
    bad = [
        e.msgid
        for e in entries
        if e.msgid_plural is not None and sorted(e.msgstr_plural) != [0, 1, 2]
    ]
    assert not bad, f"Russian needs three plural forms: {bad}"


_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
_TAG = re.compile(r"</?([a-zA-Z]+)")


def test_it_keeps_placeholders_and_markup(catalogue: tuple[dict[str, str], list[Entry]]) -> None:
    _, entries = catalogue
    problems = []
    for e in entries:
        source = e.msgid + (e.msgid_plural or "")
        want = sorted(set(_PLACEHOLDER.findall(source)))
        for text in e.translations():
            if sorted(set(_PLACEHOLDER.findall(text))) != want:
                problems.append((e.msgid, text))
            if sorted(_TAG.findall(text)) != sorted(_TAG.findall(e.msgid)):
                problems.append((e.msgid, text))
    assert not problems, problems


def test_it_uses_the_agreed_terms(catalogue: tuple[dict[str, str], list[Entry]]) -> None:
    _, entries = catalogue
    by_id = {e.msgid: e.msgstr for e in entries if e.msgctxt is None}
    agreed = {
        "* Recognised as an extremist organisation and banned in the Russian Federation": (
            "* Признана экстремистской организацией и запрещена в РФ"
        ),
        "Get an individual commercial proposal for promoting your project": (
            "Получите индивидуальное коммерческое предложение на продвижение вашего проекта"
        ),
        "Sign in": "Войти",
        "Sign out": "Выйти",
        "Leads": "Лиды",
        "Owner": "Владелец",
        "SMM manager": "SMM-менеджер",
        "Analyst (read only)": "Аналитик (только чтение)",
        "VK": "ВКонтакте",
        "Odnoklassniki": "Одноклассники",
        "Dzen": "Дзен",
        "Traffic to the website": "Привлечение трафика на сайт",
        "Permanent (mass-market goods)": "Постоянный (товары массового спроса)",
    }
    wrong = {k: (by_id.get(k), v) for k, v in agreed.items() if k in by_id and by_id[k] != v}
    assert not wrong, wrong


# --- The compiled file -------------------------------------------------------------------------


def test_it_ships_a_mo_compiled_from_this_po(
    catalogue: tuple[dict[str, str], list[Entry]],
) -> None:
    """Every msgid of the .po translates to its msgstr through the committed .mo."""
    _, entries = catalogue
    assert RU_MO.exists(), "run `django-admin compilemessages`"
    with RU_MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    assert mo.info().get("plural-forms") == RU_PLURALS
    stale = []
    for e in entries:
        if e.msgid_plural is None:
            got = mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt else mo.gettext(e.msgid)
            if got != e.msgstr:
                stale.append(e.msgid)
            continue
        for n, form in ((1, 0), (3, 1), (5, 2), (21, 0), (22, 1), (11, 2)):
            if e.msgctxt:
                got = mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
            else:
                got = mo.ngettext(e.msgid, e.msgid_plural, n)
            if got != e.msgstr_plural[form]:
                stale.append(f"{e.msgid} (n={n})")
    assert not stale, f"django.mo is older than django.po; recompile. Differs: {stale}"


# --- In step with the code ---------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_it_covers_every_string_in_the_code(
    tmp_path: Path, catalogue: tuple[dict[str, str], list[Entry]]
) -> None:
    """makemessages on a copy of the package finds nothing the committed catalogue lacks."""
    _, committed = catalogue
    before = RU_PO.read_bytes()
    copy = tmp_path / "src" / "kosmmos"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "static")
    )
    env = {
        **os.environ,
        # The copy shadows the installed package, so BASE_DIR and LOCALE_PATHS point into it.
        "PYTHONPATH": str(copy.parent),
        "KOSMMOS_VAR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
    }
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "ru",
            "--no-obsolete",
            "-i",
            "static/*",
            "--settings=kosmmos.settings",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert RU_PO.read_bytes() == before, "makemessages touched the real catalogue"
    _, fresh = split(read_po(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    known = {e.key for e in committed}
    missing = sorted(e.msgid for e in fresh if e.key not in known)
    assert not missing, (
        "strings in the code that kosmmos/locale/ru has no translation for "
        f"(run makemessages, translate, compilemessages): {missing}"
    )


# --- What people see ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_the_login_page_in_russian_then_english() -> None:
    browser = Client()
    page = browser.get("/login/").content.decode()
    assert "Войти" in page
    assert "Sign in" not in page

    switched = browser.post("/language/", {"language": "en", "next": "/login/"})
    assert switched.status_code == 302

    page = browser.get("/login/").content.decode()
    assert "Sign in" in page
    assert "Войти" not in page
