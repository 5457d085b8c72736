"""The media library: what an upload is (by its bytes, not its name) and storing it.

Files live under MEDIA_ROOT and are served only through access-checked views
(``content:media_file``), never by the web server directly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User, Workspace
from kosmmos.content.models import MediaItem

MB = 2**20
PHOTO_MAX_BYTES = 50 * MB  # VK's limit; Telegram's 10 MB is checked per network
VIDEO_MAX_BYTES = 500 * MB
# Pillow's own ceiling (about 89 megapixels) for what an image header may claim.
MAX_PIXELS = 89_478_485
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime,video/webm"


@dataclass(frozen=True)
class Sniffed:
    kind: str
    mime: str


def sniff(head: bytes) -> Sniffed | None:
    """The type of a file from its first bytes; None for anything we do not publish."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("photo", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("photo", "image/png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("photo", "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("photo", "image/webp")
    if head[4:8] == b"ftyp":
        return Sniffed("video", "video/quicktime" if head[8:12] == b"qt  " else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "video/webm")
    return None


def inspect(upload: UploadedFile) -> tuple[Sniffed, int | None, int | None]:
    """Kind, MIME type and pixel size of an upload, or a ValidationError saying what is wrong."""
    upload.seek(0)
    found = sniff(upload.read(32))
    upload.seek(0)
    name = upload.name or ""
    if found is None:
        raise ValidationError(_("«%(name)s» is not a photo (JPG, PNG, GIF, WebP) or a video (MP4, MOV, "
                                "WebM).") % {"name": name})
    size = upload.size or 0
    cap = PHOTO_MAX_BYTES if found.kind == "photo" else VIDEO_MAX_BYTES
    if size > cap:
        raise ValidationError(_("«%(name)s» is %(size)s MB; the library takes files up to %(limit)s MB.")
                              % {"name": name, "size": round(size / MB, 1), "limit": cap // MB})
    width = height = None
    if found.kind == "photo":
        from PIL import Image, UnidentifiedImageError

        try:
            # Image.open reads the header only; a size past MAX_IMAGE_PIXELS is refused before
            # a pixel is decoded (100000×100000 would need tens of gigabytes to open).
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(upload) as image:
                    width, height = image.size
                    if width * height > MAX_PIXELS:
                        raise Image.DecompressionBombError(f"{width}×{height}")
                    image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValidationError(_("«%(name)s» is too large in pixels; photos up to %(limit)s megapixels "
                                    "are accepted.") % {"name": name, "limit": MAX_PIXELS // 10**6}) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(_("«%(name)s» is damaged and cannot be read as an image.")
                                  % {"name": name}) from exc
        finally:
            upload.seek(0)
    return found, width, height


@transaction.atomic
def add_media(workspace: Workspace, upload: UploadedFile, *, by: User | None = None) -> MediaItem:
    """Check and store one upload in the workspace's library."""
    found, width, height = inspect(upload)
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    item = MediaItem(organisation=workspace.organisation, workspace=workspace, kind=found.kind,
                     mime=found.mime, size=upload.size or 0, width=width, height=height, name=name)
    item.file.save(get_valid_filename(name) or "file", upload, save=False)
    item.save()
    return item
