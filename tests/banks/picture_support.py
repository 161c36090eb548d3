"""Pictures made in the test: photos, maps with transparency, broken files and bombs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter


def photo(width: int, height: int, *, seed: int = 1, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    """A JPEG as a phone camera writes one: detail everywhere, so it compresses badly."""
    noise = Image.merge("RGB", [Image.effect_noise((width // 4, height // 4), 60 + 10 * band) for band in range(3)])
    image = noise.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    draw = ImageDraw.Draw(image)
    for step in range(40):
        x, y = (step * 7919 * seed) % width, (step * 104729 * seed) % height
        draw.ellipse((x, y, x + width // 8, y + height // 8), fill=((step * 53) % 256, (step * 97) % 256, 80))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def coloured(colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> bytes:
    """A plain PNG; each colour gives other bytes, so another stored picture."""
    return png(Image.new("RGB", size, colour))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels in a few dozen bytes (a decompression bomb
    is the same header with data that inflates to all of them)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))
