"""Pictures in questions: made fit for a cheap phone on 3G, stored once, never changed.

Whatever a bank file or an organiser brings (a phone photo, a scanned document, a PNG map with
transparency), ``process`` returns a baseline-compatible progressive JPEG at most
``MAX_WIDTH`` × ``MAX_HEIGHT`` pixels and at most ``MAX_BYTES``, turned upright as the camera
meant it (EXIF orientation) and without its metadata (a phone photo's EXIF carries where it was
taken). JPEG rather than WebP: WebP would save about a quarter, but JPEG is the one format every
browser takers use shows, old Android WebViews, UC Browser and KaiOS phones included, and at
720 px the cap holds at a quality where the difference does not show.

Anything that is not a picture Pillow may safely decode is refused with a ``PictureError``
whose message says why in Vietnamese ("tệp không phải hình ảnh", "hình quá lớn…"): bytes are
checked against the formats allowed, the pixel count is checked from the header before a pixel
is decoded (a decompression bomb is refused, not inflated), and JPEGs are decoded straight at the
reduced size (``Image.draft``), so a 50-megapixel photo costs a few milliseconds and a few MB.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quizapp.banks.models import Picture
from quizapp.extensions import db

MAX_WIDTH, MAX_HEIGHT = 720, 1280
MAX_BYTES = 60 * 1024
# What a bank file may bring: larger is not a question's picture (and Word files are bounded anyway).
MAX_INPUT_BYTES = 20 * 1024 * 1024
# Pixels decoded at most (after a JPEG's reduced decode): 40 MP is 160 MB of RGBA at worst.
MAX_DECODED_PIXELS = 40_000_000
# Pixels a header may declare at all, even for a JPEG decoded at 1/8 of its size.
MAX_DECLARED_PIXELS = 200_000_000
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
CONTENT_TYPE = "image/jpeg"
EXTENSION = "jpg"
# Qualities tried in turn until the JPEG fits; a picture that fits at none is made smaller.
QUALITIES = (82, 72, 62, 52, 42)
SHRINK = 0.8

# Word keeps drawings made in Office as vector metafiles, which no browser shows.
_VECTOR_SIGNATURES = ((b"\xd7\xcd\xc6\x9a", "WMF"), (b"\x01\x00\x00\x00", "EMF"))


class PictureError(Exception):
    """A picture that cannot be imported; ``message`` says why, for the organiser."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPicture:
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size_text(self) -> str:
        """"48 KB", for the preview and the question page."""
        return f"{max(1, round(len(self.data) / 1024))} KB"


def process(data: bytes) -> ProcessedPicture:
    """The picture in ``data`` as takers will get it; ``PictureError`` when it cannot be."""
    if not data:
        raise PictureError("tệp hình trống")
    if len(data) > MAX_INPUT_BYTES:
        raise PictureError(f"tệp hình {len(data) // (1024 * 1024)} MB, tối đa {MAX_INPUT_BYTES // (1024 * 1024)} MB")
    image = _open(data)
    try:
        if _already_fit(image, data):
            return ProcessedPicture(data, image.width, image.height)
        return _encode(_upright_rgb(image))
    except PictureError:
        raise
    except Exception:  # Pillow's decoders raise a zoo of types on a damaged file.
        raise PictureError("tệp hình bị hỏng, không đọc được") from None
    finally:
        image.close()


def _open(data: bytes) -> Image.Image:
    for signature, name in _VECTOR_SIGNATURES:
        if data.startswith(signature) and (name != "EMF" or data[40:44] == b" EMF"):
            raise PictureError(f"hình vẽ dạng {name} của Office không hiển thị được trên điện thoại; "
                               "hãy chèn hình dạng JPEG hoặc PNG")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its bomb limits; here every bomb is refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PictureError("hình quá lớn (quá nhiều điểm ảnh)") from None
    except Image.UnidentifiedImageError:
        raise PictureError("tệp không phải hình ảnh (nhận JPEG, PNG, GIF, WebP, BMP, TIFF)") from None
    except Exception:
        raise PictureError("tệp hình bị hỏng, không đọc được") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_DECLARED_PIXELS:
        image.close()
        raise PictureError(f"hình quá lớn ({width}×{height} điểm ảnh)")
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 of the size where that still covers the target.
        scale = _scale(*_upright_size(image))
        if scale < 1:
            target = (max(1, int(width * scale) + 1), max(1, int(height * scale) + 1))
            image.draft("RGB", target)
    if image.size[0] * image.size[1] > MAX_DECODED_PIXELS:
        width, height = image.size
        image.close()
        raise PictureError(f"hình quá lớn ({width}×{height} điểm ảnh, tối đa {MAX_DECODED_PIXELS // 1_000_000} triệu)")
    return image


# What a JPEG written here carries, and nothing that says where, who or with what camera.
_PLAIN_JPEG_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression",
                    "adobe", "adobe_transform"}


def _already_fit(image: Image.Image, data: bytes) -> bool:
    """A JPEG that is what ``process`` makes already (a picture exported and imported again) is
    kept byte for byte: the same picture, the same hash, no second loss of quality."""
    if not (image.format == "JPEG" and image.mode == "RGB" and len(data) <= MAX_BYTES
            and image.width <= MAX_WIDTH and image.height <= MAX_HEIGHT and set(image.info) <= _PLAIN_JPEG_INFO
            and not image.getexif()):
        return False
    image.load()  # it must decode whole, as a phone will
    return True


def _orientation(image: Image.Image) -> int:
    return image.getexif().get(0x0112, 1)


def _upright_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    # Orientations 5–8 turn the picture a quarter: its width is the stored height.
    if _orientation(image) in (5, 6, 7, 8):
        return height, width
    return width, height


def _scale(width: int, height: int) -> float:
    return min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)


def _upright_rgb(image: Image.Image) -> Image.Image:
    image.seek(0)  # an animated GIF shows its first frame
    if _orientation(image) != 1:
        image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit scans: scale to 8 bits before colour, which Pillow cannot do in one step.
        image = image.convert("I").point(lambda value: value / 256).convert("L").convert("RGB")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    scale = _scale(*image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        # A box reduction to within twice the size, then Pillow's antialiased bilinear: for a
        # downscale on a phone screen it looks like Lanczos, at a fifth of the time.
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)
    return image


def _encode(image: Image.Image) -> ProcessedPicture:
    """The best quality that fits ``MAX_BYTES``; smaller and smaller until one does.

    Qualities are tried with a plain baseline encoding (about 1 ms at 720 px); the picture is
    then written once as an optimised progressive JPEG, which is never larger than the baseline
    one and shows a rough whole picture early on a slow connection.
    """
    for _attempt in range(12):
        for quality in QUALITIES:
            trial = io.BytesIO()
            image.save(trial, "JPEG", quality=quality)
            if trial.tell() <= MAX_BYTES:
                final = io.BytesIO()
                image.save(final, "JPEG", quality=quality, optimize=True, progressive=True)
                best = final if final.tell() <= trial.tell() else trial
                return ProcessedPicture(best.getvalue(), image.width, image.height)
        size = (max(1, int(image.width * SHRINK)), max(1, int(image.height * SHRINK)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    raise PictureError(f"không nén được hình xuống {MAX_BYTES // 1024} KB")


def store(picture: ProcessedPicture) -> Picture:
    """The stored row for ``picture``: the existing one when the same bytes are stored already."""
    digest = picture.sha256
    existing = db.session.scalar(select(Picture).where(Picture.sha256 == digest))
    if existing is not None:
        return existing
    row = Picture(sha256=digest, content_type=CONTENT_TYPE, width=picture.width, height=picture.height,
                  byte_size=len(picture.data), data=picture.data)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Another request stored the same picture meanwhile: the same bytes, so the same row.
        return db.session.scalar(select(Picture).where(Picture.sha256 == digest))
    return row


def store_all(pictures: list[ProcessedPicture]) -> dict[str, int]:
    """Picture id by SHA-256 for every picture in ``pictures``, stored once each."""
    by_hash = {picture.sha256: picture for picture in pictures}
    ids = dict(db.session.execute(select(Picture.sha256, Picture.id).where(Picture.sha256.in_(list(by_hash)))).all())
    for digest, picture in by_hash.items():
        if digest not in ids:
            ids[digest] = store(picture).id
    return ids


def url_name(picture: Picture) -> str:
    """The file name the picture is served under: ``<sha256>.jpg``."""
    return f"{picture.sha256}.{EXTENSION}"


# Two decoders at once: Pillow lets go of the GIL while it decodes, resizes and encodes, so a
# file of 200 pictures takes half the time on two cores; more would only slow other requests.
WORKERS = 2


def process_many(datas: list[bytes]) -> list[ProcessedPicture | PictureError]:
    """``process`` for each of ``datas``, in order; the same bytes are processed once (a
    Word file repeats its logo on every page, but stores it once)."""
    unique = list(dict.fromkeys(datas))

    def attempt(data: bytes) -> ProcessedPicture | PictureError:
        try:
            return process(data)
        except PictureError as error:
            return error

    if len(unique) < 4:
        done = [attempt(data) for data in unique]
    else:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            done = list(pool.map(attempt, unique))
    by_data = dict(zip(unique, done, strict=True))
    return [by_data[data] for data in datas]
