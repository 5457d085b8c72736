"""Bulk import of a content plan from CSV or XLSX, row by row, with a report.

Each row becomes one draft post or is rejected with its reasons; a row is saved in its own
transaction, so nothing of a row is half-imported. Files of up to ``SYNC_MAX_ROWS`` rows are
imported in the request; bigger ones by a job (``content.import_plan``) that records its
progress on the ``ImportRun`` after every row and resumes where it stopped if a worker dies.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User, Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.actions import PostData, save_post
from kosmmos.content.forms import workspace_channels
from kosmmos.content.models import ImportRow, ImportRun, MediaItem, Rubric
from kosmmos.content.validation import Draft, MediaInfo, blocking, check_content, network_name

log = logging.getLogger(__name__)

SYNC_MAX_ROWS = 200
MAX_ROWS = 5000
DEFAULT_TIME = time(12, 0)

# Column → the headers it is recognised by (lower case, English and Russian).
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "дата"),
    "time": ("time", "время"),
    "title": ("title", "заголовок", "название"),
    "text": ("text", "текст"),
    "channels": ("channels", "networks", "channel", "network", "каналы", "сети", "соцсети"),
    "rubric": ("rubric", "рубрика"),
    "hashtags": ("hashtags", "хэштеги", "хештеги"),
    "is_ad": ("is_ad", "ad", "реклама"),
    "advertiser": ("advertiser", "рекламодатель"),
    "erid": ("erid",),
    "media": ("media", "files", "медиа", "файлы"),
}
TEMPLATE_HEADER = ["date", "time", "title", "text", "channels", "rubric", "hashtags", "is_ad",
                   "advertiser", "erid", "media"]
NETWORK_ALIASES = {
    "vk": "vk", "вк": "vk", "vkontakte": "vk", "вконтакте": "vk",
    "ok": "ok", "ок": "ok", "odnoklassniki": "ok", "одноклассники": "ok",
    "telegram": "telegram", "tg": "telegram", "телеграм": "telegram", "тг": "telegram",
    "sandbox": "sandbox", "песочница": "sandbox",
}
YES = {"1", "yes", "y", "true", "да", "д", "+", "x", "х"}
NO = {"", "0", "no", "n", "false", "нет", "н", "-"}
_SPLIT = re.compile(r"[,;\n]+")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not a row's problem)."""


# --- Reading files ------------------------------------------------------------------------------


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(line number, {column: value}) for each non-empty data row; the header is line 1."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx(content)
    elif filename.lower().endswith(".csv"):
        table = _csv(content)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = [_column(cell) for cell in table[0]]
    missing = [name for name in ("date", "text", "channels") if name not in header]
    if missing:
        raise ImportFileError(_("The first row must name the columns; missing: %(columns)s.")
                              % {"columns": ", ".join(missing)})
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(table[1:], start=2):
        if all(_blank(c) for c in cells):
            continue
        row = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name}
        rows.append((number, row))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("The file has %(count)s rows; import at most %(limit)s at a time.")
                              % {"count": len(rows), "limit": MAX_ROWS})
    return rows


def _column(cell: Any) -> str:
    name = str(cell or "").strip().lower()
    for column, names in COLUMNS.items():
        if name in names:
            return column
    return ""


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _csv(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte string
        raise ImportFileError(_("The file is not UTF-8 text."))
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(_("The file cannot be read as an Excel workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def template_csv() -> bytes:
    rows = [TEMPLATE_HEADER, *_example_rows()]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "plan"
    sheet.append(TEMPLATE_HEADER)
    for row in _example_rows():
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJK", (12, 8, 20, 60, 18, 16, 24, 7, 28, 18, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _example_rows() -> list[list[str]]:
    day = timezone.localdate() + timedelta(days=7)
    return [
        [day.isoformat(), "10:00", "Подборка недели", "Пять средств для ухода осенью — листайте карточки.",
         "vk, telegram", "", "осень, уход", "no", "", "", ""],
        [(day + timedelta(days=1)).isoformat(), "18:30", "Скидка партнёра",
         "Скидка 20% по промокоду KOSMOS.", "vk", "", "", "yes", "ООО «Ромашка», ИНН 7700000000",
         "2VtzqvXYZab", ""],
    ]


# --- Rows ---------------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """The workspace's channels, rubrics and media, loaded once per file."""

    workspace: Workspace
    channels: list[Channel]
    rubrics: dict[str, Rubric]
    media: dict[str, MediaItem]
    zone: zoneinfo.ZoneInfo

    @classmethod
    def of(cls, workspace: Workspace) -> Catalogue:
        media: dict[str, MediaItem] = {}
        for item in MediaItem.objects.filter(workspace=workspace).order_by("created_at"):
            media[item.name.lower()] = item  # the newest of equal names wins
        return cls(
            workspace=workspace, channels=list(workspace_channels(workspace)),
            rubrics={r.name.lower(): r for r in Rubric.objects.filter(workspace=workspace)},
            media=media, zone=zoneinfo.ZoneInfo(workspace.organisation.timezone),
        )


@dataclass
class Parsed:
    data: PostData | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    raw = _text(value).replace(".", ":")
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(raw, pattern).time()
        except ValueError:
            continue
    return None


def parse_row(row: dict[str, Any], catalogue: Catalogue, *, now: datetime | None = None) -> Parsed:
    """A row as a post, or the reasons it cannot be one. Never touches the database."""
    errors: list[str] = []
    warnings: list[str] = []
    day = _date(row.get("date"))
    if day is None:
        errors.append(_("The date «%(value)s» is not a date (use 2027-05-12 or 12.05.2027).")
                      % {"value": _text(row.get("date"))})
    moment: time | None = DEFAULT_TIME
    if _blank(row.get("time")):
        warnings.append(_("No time given; 12:00 is used."))
    else:
        moment = _time(row.get("time"))
        if moment is None:
            errors.append(_("The time «%(value)s» is not a time (use 10:30).")
                          % {"value": _text(row.get("time"))})
    publish_at = None
    if day is not None and moment is not None:
        publish_at = datetime.combine(day, moment, catalogue.zone)
        if publish_at <= (now or timezone.now()):
            errors.append(_("%(when)s is in the past.") % {"when": f"{day:%d.%m.%Y} {moment:%H:%M}"})

    channels = _channels(_text(row.get("channels")), catalogue, errors)
    rubric = None
    rubric_name = _text(row.get("rubric"))
    if rubric_name:
        rubric = catalogue.rubrics.get(rubric_name.lower())
        if rubric is None:
            known = ", ".join(r.name for r in catalogue.rubrics.values()) or "—"
            errors.append(_("Unknown rubric «%(name)s» (the workspace has: %(known)s).")
                          % {"name": rubric_name, "known": known})
    raw_ad = _text(row.get("is_ad")).lower()
    is_ad = raw_ad in YES
    if raw_ad not in YES | NO:
        errors.append(_("is_ad must be yes or no, not «%(value)s».") % {"value": _text(row.get("is_ad"))})
    advertiser, erid = _text(row.get("advertiser")), _text(row.get("erid"))
    if is_ad and not advertiser:
        errors.append(_("An advertising post must name the advertiser."))
    if is_ad and not erid:
        errors.append(_("An advertising post needs the erid token from the ORD."))
    media: list[MediaItem] = []
    for name in (n.strip() for n in _SPLIT.split(_text(row.get("media")))):
        if not name:
            continue
        item = catalogue.media.get(name.lower())
        if item is None:
            errors.append(_("No file «%(name)s» in the media library.") % {"name": name})
        elif item not in media:
            media.append(item)
    text = _text(row.get("text"))
    if not text and not media:
        errors.append(_("The post has neither text nor media."))
    if errors:
        return Parsed(None, errors, warnings)
    data = PostData(title=_text(row.get("title"))[:200], text=text, hashtags=_text(row.get("hashtags")),
                    rubric=rubric, publish_at=publish_at, is_ad=is_ad, advertiser=advertiser,
                    erid=erid, channels=channels, media=media)
    networks = list(dict.fromkeys(c.network for c in channels))
    draft = Draft(text=text, hashtags=data.hashtags, is_ad=is_ad, advertiser=advertiser, erid=erid,
                  media=[MediaInfo(m.kind, m.size, m.name, m.mime) for m in media], networks=networks,
                  publish_at=publish_at)
    warnings += [p.message for p in blocking(check_content(draft))]
    return Parsed(data, [], warnings)


def _channels(raw: str, catalogue: Catalogue, errors: list[str]) -> list[Channel]:
    found: list[Channel] = []
    tokens = [t.strip() for t in _SPLIT.split(raw) if t.strip()]
    if not tokens:
        errors.append(_("No channels or networks given."))
    for token in tokens:
        network = NETWORK_ALIASES.get(token.lower())
        if network:
            matches = [c for c in catalogue.channels if c.network == network]
            if not matches:
                errors.append(_("The workspace has no %(network)s channel.") % {"network": network_name(network)})
        else:
            matches = [c for c in catalogue.channels if c.name.lower() == token.lower()]
            if not matches:
                errors.append(_("Unknown channel «%(name)s».") % {"name": token})
        found += [c for c in matches if c not in found]
    return found


# --- Running ------------------------------------------------------------------------------------


def start_import(workspace: Workspace, filename: str, content: bytes, *, by: User) -> ImportRun:
    """Read the file; import it now when small, else leave it to the job. Raises ImportFileError."""
    rows = read_rows(filename, content)
    run = ImportRun.objects.create(organisation=workspace.organisation, workspace=workspace,
                                   created_by=by, filename=filename[:255], total=len(rows))
    if len(rows) <= SYNC_MAX_ROWS:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
        _import(run, rows)
        run.refresh_from_db()
        return run
    from django.core.files.base import ContentFile

    run.file.save(filename.rsplit("/", 1)[-1] or "plan", ContentFile(content), save=True)
    from kosmmos.content.dispatch import kick

    transaction.on_commit(lambda: kick(run.pk))
    return run


def run_import(run: ImportRun) -> None:
    """The job's body: import the rows not yet reported (resuming after a dead worker)."""
    with run.file.open("rb") as handle:
        rows = read_rows(run.filename, handle.read())
    done = set(run.rows.values_list("number", flat=True))
    _import(run, [(n, row) for n, row in rows if n not in done])


def _import(run: ImportRun, rows: list[tuple[int, dict[str, Any]]]) -> None:
    catalogue = Catalogue.of(run.workspace)
    by = run.created_by
    now = timezone.now()
    for number, row in rows:
        parsed = parse_row(row, catalogue, now=now)
        report = ImportRow(run=run, number=number, messages=parsed.errors or parsed.warnings)
        with transaction.atomic():
            if parsed.data is not None:
                try:
                    with transaction.atomic():
                        post = save_post(run.workspace, parsed.data, by=by, note=_(
                            "Imported from %(file)s, row %(row)s") % {"file": run.filename, "row": number})
                except Exception as exc:  # a row that cannot be saved is rejected, the rest go on
                    log.exception("import %s row %s failed", run.pk, number)
                    report.messages = [_("Could not be saved: %(error)s") % {"error": exc}]
                else:
                    report.ok, report.post, report.label = True, post, post.label[:200]
            # The report row, the counters and the row's post commit together: a restart never
            # imports a line twice.
            report.save()
            ImportRun.objects.filter(pk=run.pk).update(
                processed=F("processed") + 1,
                imported=F("imported") + (1 if report.ok else 0),
                rejected=F("rejected") + (0 if report.ok else 1),
            )
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.DONE, finished_at=timezone.now(),
                                               lease_until=None)
