"""Pictures made fit for a phone on 3G: small, upright, flat, and refused when unsafe."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from quizapp.banks import pictures
from quizapp.banks.pictures import MAX_BYTES, MAX_HEIGHT, MAX_WIDTH, PictureError, process, process_many
from tests.banks.picture_support import coloured, photo, png, png_header_only


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_big_phone_photo_becomes_a_progressive_jpeg_of_at_most_60_kb_and_720_px():
    original = photo(4000, 3000)
    assert len(original) > 1_000_000
    result = process(original)
    image = decoded(result.data)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.info.get("progressive") or image.info.get("progression")
    assert len(result.data) <= MAX_BYTES
    assert (result.width, result.height) == image.size
    assert image.width <= MAX_WIDTH and image.height <= MAX_HEIGHT
    # Made smaller only as far as the cap needs: a 4:3 photo keeps most of the phone's width.
    assert image.width >= 500 and abs(image.width / image.height - 4 / 3) < 0.02


def test_a_tall_scan_fits_the_height_of_a_phone_screen():
    result = process(png(Image.new("RGB", (1000, 5000), (250, 250, 240))))
    assert result.height == MAX_HEIGHT and result.width == 256


def test_a_small_picture_is_not_enlarged():
    result = process(coloured((10, 120, 200), (300, 200)))
    assert (result.width, result.height) == (300, 200)


def test_exif_orientation_turns_the_picture_upright_and_the_metadata_is_dropped():
    # Stored landscape, red on the left; orientation 6: the camera was turned a quarter clockwise.
    image = Image.new("RGB", (400, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 200, 200))
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {2: (21.0, 1.0, 40.0)}  # where the photo was taken: not for takers
    image.save(buffer, "JPEG", exif=exif, quality=95)
    result = process(buffer.getvalue())
    upright = decoded(result.data)
    assert upright.size == (200, 400)
    # Turned clockwise, the left half is now on top.
    red, green, blue = upright.getpixel((100, 50))
    assert red > 200 and blue < 60
    red, green, blue = upright.getpixel((100, 350))
    assert blue > 200 and red < 60
    assert not upright.getexif() and "exif" not in upright.info


def test_an_upright_photo_loses_its_location_and_camera_data_too():
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    exif[0x8825] = {2: (21.0, 1.0, 40.0)}
    for size in ((300, 200), (1500, 1000)):  # kept as it is, and resized
        buffer = io.BytesIO()
        Image.new("RGB", size, (30, 60, 90)).save(buffer, "JPEG", exif=exif)
        result = decoded(process(buffer.getvalue()).data)
        assert not result.getexif() and "exif" not in result.info


def test_exif_rotation_of_a_big_photo_fits_the_width_after_turning():
    exif = Image.Exif()
    exif[0x0112] = 6
    result = process(photo(2400, 1800, exif=exif))
    assert result.width <= MAX_WIDTH and result.height <= MAX_HEIGHT and result.height > result.width


def test_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 100, 100))
    upright = decoded(process(png(image)).data)
    assert upright.mode == "RGB"
    assert all(channel > 245 for channel in upright.getpixel((150, 50)))  # transparent → white, not black
    red, green, blue = upright.getpixel((50, 50))
    assert red > 180 and green < 40


def test_a_palette_picture_with_a_transparent_colour_and_an_animated_gif_are_read():
    palette = Image.new("P", (120, 80), 0)
    palette.putpalette([0, 0, 0, 255, 255, 0] + [0] * 762)
    palette.paste(1, (0, 0, 60, 80))
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=0)
    flat = decoded(process(buffer.getvalue()).data)
    assert all(channel > 245 for channel in flat.getpixel((100, 40)))
    frames = [Image.new("RGB", (90, 60), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    first = decoded(process(gif.getvalue()).data)
    assert first.size == (90, 60) and first.getpixel((45, 30))[0] > 200


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "tệp hình trống"),
    (b"%PDF-1.7 not a picture at all", "tệp không phải hình ảnh"),
    ("Câu 1: Thủ đô của Việt Nam?".encode(), "tệp không phải hình ảnh"),
    (b"\xd7\xcd\xc6\x9a" + b"\x00" * 60, "hình vẽ dạng WMF của Office"),
    (b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 40, "hình vẽ dạng EMF của Office"),
    (photo(800, 600)[:3000], "tệp hình bị hỏng"),
])
def test_what_is_not_a_readable_picture_is_refused_with_a_reason(data, expected):
    with pytest.raises(PictureError) as refused:
        process(data)
    assert refused.value.message.startswith(expected)


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (15_000, 15_000), (8_000, 6_000)])
def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(width, height, monkeypatch):
    # Nothing may be decoded: the header alone says it is too big.
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded a bomb"))
    with pytest.raises(PictureError) as refused:
        process(png_header_only(width, height))
    assert refused.value.message.startswith("hình quá lớn")


def test_an_input_over_the_byte_limit_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr(pictures, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(PictureError) as refused:
        process(coloured((1, 2, 3)) + b"\x00" * 1000)
    assert "tối đa" in refused.value.message


def test_process_many_keeps_the_order_reports_each_failure_and_processes_repeats_once(monkeypatch):
    calls = []
    real = pictures.process
    monkeypatch.setattr(pictures, "process", lambda data: calls.append(data) or real(data))
    logo, map_, broken = coloured((200, 0, 0)), coloured((0, 0, 200)), b"not a picture"
    results = process_many([logo, broken, map_, logo, logo, map_])
    assert isinstance(results[1], PictureError)
    assert results[0] == results[3] == results[4] and results[2] == results[5] and results[0] != results[2]
    assert sorted(calls) == sorted([logo, broken, map_])


def test_processing_the_same_picture_twice_gives_the_same_bytes():
    # Content addressing relies on it: a re-import finds the picture it stored before.
    original = photo(1600, 1200, seed=3)
    assert process(original).sha256 == process(original).sha256


def test_a_picture_already_made_fit_is_kept_byte_for_byte():
    once = process(photo(1600, 1200, seed=5))
    again = process(once.data)
    assert again.data == once.data and (again.width, again.height) == (once.width, once.height)
    # A small JPEG that still carries camera data is processed, so the data goes.
    exif = Image.Exif()
    exif[0x010F] = "Samsung"
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (9, 9, 9)).save(buffer, "JPEG", exif=exif)
    assert process(buffer.getvalue()).data != buffer.getvalue()
    # A truncated one is refused, not passed on.
    with pytest.raises(PictureError):
        process(once.data[: len(once.data) // 2])

