"""Phone-like photos made in code: pixels that show which way is up, and EXIF."""

from __future__ import annotations

import io

from PIL import Image as PILImage

from gallery import camera


def exif_block(
    *,
    orientation: int | None = None,
    taken: str | None = "2024:05:01 10:20:30",
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    make: str = "Apple",
    model: str = "iPhone 15 Pro",
    lens: str = "iPhone 15 Pro back triple camera 6.86mm f/1.78",
) -> PILImage.Exif:
    exif = PILImage.Exif()
    if orientation is not None:
        exif[camera.ORIENTATION] = orientation
    exif[camera.MAKE] = make
    exif[camera.MODEL] = model
    details = exif.get_ifd(camera.EXIF_IFD)
    if taken is not None:
        details[camera.DATE_TIME_ORIGINAL] = taken
    if offset is not None:
        details[camera.OFFSET_TIME_ORIGINAL] = offset
    details[camera.LENS_MODEL] = lens
    details[camera.FOCAL_LENGTH] = 6.86
    details[camera.F_NUMBER] = 1.78
    details[camera.EXPOSURE_TIME] = 0.004
    details[camera.ISO] = 80
    if gps is not None:
        latitude, longitude = gps
        block = exif.get_ifd(camera.GPS_IFD)
        block[camera.GPS_LATITUDE_REF] = "N" if latitude >= 0 else "S"
        block[camera.GPS_LATITUDE] = _dms(abs(latitude))
        block[camera.GPS_LONGITUDE_REF] = "E" if longitude >= 0 else "W"
        block[camera.GPS_LONGITUDE] = _dms(abs(longitude))
        block[camera.GPS_ALTITUDE_REF] = b"\x00"
        block[camera.GPS_ALTITUDE] = 35.5
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def landscape_pixels(size: tuple[int, int] = (96, 48)) -> PILImage.Image:
    """A wide picture, red on its left half and blue on its right."""
    image = PILImage.new("RGB", size, (220, 30, 30))
    image.paste((30, 30, 220), (size[0] // 2, 0, size[0], size[1]))
    return image


def photo_bytes(
    fmt: str = "JPEG",
    *,
    size: tuple[int, int] = (96, 48),
    exif: PILImage.Exif | None = None,
    **exif_options,
) -> bytes:
    """A photo in ``fmt`` (JPEG, HEIF, AVIF, …) carrying ``exif``."""
    from gallery import formats  # noqa: F401  (registers HEIF with Pillow)

    block = exif if exif is not None else exif_block(**exif_options)
    out = io.BytesIO()
    landscape_pixels(size).save(out, fmt, exif=block.tobytes())
    return out.getvalue()
