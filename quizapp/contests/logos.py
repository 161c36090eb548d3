"""The logo or seal image printed on a contest's certificates (judging/certificates).

An organiser uploads it on the certificates' settings page, or gives it in the contest file as a
``data:`` URL (docs/contest-format.md). It is
checked with Pillow as bank pictures are (the formats allowed, the pixel count read from the
header before a pixel is decoded) and kept as a PNG of at most ``MAX_SIDE`` pixels, transparency
and all, in the database: every host prints the same image (DESIGN §7, "Files that outlive a
request").
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings

from PIL import Image, ImageOps

MAX_INPUT_BYTES = 2 * 1024 * 1024
# What is decoded, after a JPEG's own downscaling (``draft``): a 320 px logo needs far less, and
# 4 MP is 16 MB of RGBA at most. A phone's 12 MP photo of a seal, as JPEG, drafts to an eighth.
MAX_PIXELS = 4_000_000
MAX_SIDE = 320  # 320 px over the 2.2 cm it takes on the certificate: about 370 dpi, as print wants
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
REDUCIBLE = ("L", "LA", "RGB", "RGBA", "CMYK")
_DATA_URL = re.compile(r"data:image/[a-z+.-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)", re.IGNORECASE)


class LogoInvalid(ValueError):
    """Why a logo cannot be used, in Vietnamese for the organiser."""


def logo_png(value: str) -> bytes:
    """The PNG kept for a ``data:image/…;base64,…`` URL; ``LogoInvalid`` if it is not a usable image."""
    match = _DATA_URL.fullmatch(value.strip())
    if match is None:
        raise LogoInvalid("phải là hình ảnh dạng data:image/png;base64,… (PNG, JPEG, GIF hoặc WebP)")
    if len(match["data"]) > MAX_INPUT_BYTES * 4 // 3 + 4:
        raise LogoInvalid(f"hình quá lớn (tối đa {MAX_INPUT_BYTES // (1024 * 1024)} MB)")
    try:
        data = base64.b64decode(re.sub(r"\s", "", match["data"]), validate=True)
    except (binascii.Error, ValueError):
        raise LogoInvalid("dữ liệu base64 của hình không hợp lệ") from None
    return png_of(data)


def png_of(data: bytes) -> bytes:
    """The PNG kept for an image file's bytes (an organiser's upload); ``LogoInvalid`` if unusable."""
    if len(data) > MAX_INPUT_BYTES:
        raise LogoInvalid(f"hình quá lớn (tối đa {MAX_INPUT_BYTES // (1024 * 1024)} MB)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.format == "JPEG":
                # Decoded at the smallest scale (1/2 to 1/8) still at least MAX_SIDE on each side.
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            if image.size[0] * image.size[1] > MAX_PIXELS:
                raise LogoInvalid(f"hình quá lớn ({image.size[0]}×{image.size[1]} điểm ảnh, "
                                  f"tối đa {MAX_PIXELS // 1_000_000} triệu điểm ảnh)")
            factor = min(image.size) // MAX_SIDE
            if factor > 1 and image.mode in REDUCIBLE:
                # Shrunk by whole pixels in the image's own mode before any conversion widens it
                # (palette and 1-bit images cannot be: they are small to convert anyway).
                image = image.reduce(factor)
            image = ImageOps.exif_transpose(image).convert("RGBA")
    except LogoInvalid:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise LogoInvalid("hình quá lớn (quá nhiều điểm ảnh)") from None
    except Exception:
        raise LogoInvalid("không đọc được hình (nhận PNG, JPEG, GIF, WebP)") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
