"""Decompression bombs: a header claiming a huge picture is refused before a pixel is decoded."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from kosmmos.conftest import client_for
from kosmmos.content.models import MediaItem
from kosmmos.content.tests.conftest import Plan


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + pixels + chunk(b"IEND", b"")


def _gif_header(width: int, height: int) -> bytes:
    return (b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00"
            + b"," + struct.pack("<HHHH", 0, 0, width, height) + b"\x00\x02\x02\x44\x01\x00;")


def test_it_refuses_an_image_claiming_too_many_pixels_and_stores_nothing(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, language="en")
    url = f"/workspaces/{plan.workspace.pk}/content/media/"
    for name, content in (("bomb.png", _png_header(100_000, 100_000)), ("bomb.gif", _gif_header(65535, 65535)),
                          ("wide.png", _png_header(10_000, 9_000))):
        response = browser.post(url, {"files": [SimpleUploadedFile(name, content, content_type="image/png")]})
        assert response.status_code == 400, name
        assert f"«{name}» is too large in pixels; photos up to 89 megapixels are accepted." in response.content.decode()
    assert not MediaItem.objects.exists()


def test_it_says_so_in_russian(plan: Plan) -> None:
    browser = client_for(plan.world.alpha.manager, language="ru")
    url = f"/workspaces/{plan.workspace.pk}/content/media/"
    upload = SimpleUploadedFile("bomb.gif", _gif_header(65535, 65535), content_type="image/gif")
    response = browser.post(url, {"files": [upload]})
    assert response.status_code == 400
    assert "«bomb.gif» слишком велико в пикселях" in response.content.decode()
