"""Camera metadata: what a photo's EXIF says about when, how and where.

EXIF is untrusted input like the pixels: every value is read defensively, and
a value that does not make sense is dropped rather than refused (a photo with
a broken lens tag is still a photo). JPEG, HEIC, AVIF, PNG, WebP and TIFF all
carry the same TIFF-structured EXIF block, which Pillow (with pillow-heif for
HEIC) hands over as ``Image.getexif()``.

Dates: ``DateTimeOriginal`` is a wall-clock time; ``OffsetTimeOriginal``
(EXIF 2.31), when present, says which time zone it was. With an offset the
stored ``taken_at`` is the exact instant; without one it is the wall-clock
time read as UTC, so that the page shows the time the camera showed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import Image as PILImage

from . import formats  # noqa: F401  (HEIC/HEIF for Pillow)

# EXIF tag numbers (EXIF 2.32, TIFF 6.0).
ORIENTATION = 0x0112
MAKE = 0x010F
MODEL = 0x0110
DATE_TIME = 0x0132
SOFTWARE = 0x0131
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
EXPOSURE_TIME = 0x829A
F_NUMBER = 0x829D
ISO = 0x8827
DATE_TIME_ORIGINAL = 0x9003
DATE_TIME_DIGITIZED = 0x9004
OFFSET_TIME = 0x9010
OFFSET_TIME_ORIGINAL = 0x9011
FOCAL_LENGTH = 0x920A
FOCAL_LENGTH_35MM = 0xA405
LENS_MAKE = 0xA433
LENS_MODEL = 0xA434
GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4
GPS_ALTITUDE_REF = 5
GPS_ALTITUDE = 6

# Orientations that turn the picture a quarter: width and height swap.
QUARTER_TURNS = {5, 6, 7, 8}
_DATE = re.compile(r"^\s*(\d{4})[:\-](\d\d)[:\-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"^\s*([+-])(\d\d):(\d\d)\s*$")
TEXT_LIMIT = 100


@dataclass(frozen=True)
class CameraMetadata:
    """What the gallery keeps of a photo's EXIF; every field may be missing."""

    taken_at: dt.datetime | None = None
    # Minutes east of UTC of taken_at's wall clock, when the camera said.
    taken_at_offset: int | None = None
    camera_make: str = ""
    camera_model: str = ""
    lens: str = ""
    focal_length: float | None = None
    f_number: float | None = None
    exposure_time: float | None = None
    iso: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    orientation: int = 1
    # The rest, JSON-ready: altitude, software, 35 mm focal length, …
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def camera_metadata(image: PILImage.Image) -> CameraMetadata:
    """Read an opened image's EXIF; never raises on bad EXIF."""
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block is no reason to refuse the photo
        return CameraMetadata()
    return metadata_from_exif(exif)


def metadata_from_exif(exif: PILImage.Exif) -> CameraMetadata:
    main = _safe_dict(lambda: dict(exif))
    details = _safe_dict(lambda: dict(exif.get_ifd(EXIF_IFD)))
    gps = _safe_dict(lambda: dict(exif.get_ifd(GPS_IFD)))
    taken_at, offset = _taken_at(main, details)
    latitude, longitude = _position(gps)
    extra: dict[str, Any] = {}
    for key, value in (
        ("software", _text(main.get(SOFTWARE))),
        ("lens_make", _text(details.get(LENS_MAKE))),
        ("focal_length_35mm", _number(details.get(FOCAL_LENGTH_35MM))),
        ("altitude", _altitude(gps)),
        ("digitized_at", _text(details.get(DATE_TIME_DIGITIZED))),
    ):
        if value not in (None, ""):
            extra[key] = value
    orientation = _integer(main.get(ORIENTATION))
    return CameraMetadata(
        taken_at=taken_at,
        taken_at_offset=offset,
        camera_make=_text(main.get(MAKE)),
        camera_model=_text(main.get(MODEL)),
        lens=_text(details.get(LENS_MODEL)),
        focal_length=_positive(details.get(FOCAL_LENGTH)),
        f_number=_positive(details.get(F_NUMBER)),
        exposure_time=_positive(details.get(EXPOSURE_TIME)),
        iso=_iso(details.get(ISO)),
        latitude=latitude,
        longitude=longitude,
        orientation=orientation
        if orientation is not None and 1 <= orientation <= 8
        else 1,
        extra=extra,
    )


def upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Width and height as the photo is shown, after its EXIF orientation."""
    width, height = size
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


def _safe_dict(read) -> dict:
    try:
        return read()
    except Exception:
        return {}


def _taken_at(main: dict, details: dict) -> tuple[dt.datetime | None, int | None]:
    for date_tag, offset_tag, source in (
        (DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, details),
        (DATE_TIME, OFFSET_TIME, main),
    ):
        wall_clock = _date(source.get(date_tag))
        if wall_clock is None:
            continue
        offset = _offset(details.get(offset_tag))
        zone = dt.timezone(dt.timedelta(minutes=offset or 0))
        return wall_clock.replace(tzinfo=zone).astimezone(dt.UTC), offset
    return None, None


def _date(value: Any) -> dt.datetime | None:
    match = _DATE.match(_text(value))
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(p) for p in match.groups())
        found = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:  # month 13, "0000:00:00 00:00:00" from unset clocks
        return None
    return found if 1900 <= found.year <= 2200 else None


def _offset(value: Any) -> int | None:
    match = _OFFSET.match(_text(value))
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if total > 14 * 60 or int(minutes) >= 60:
        return None
    return -total if sign == "-" else total


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    value = value.replace("\x00", "").strip()
    return "".join(ch for ch in value if ch.isprintable())[:TEXT_LIMIT]


def _number(value: Any) -> float | None:
    if isinstance(value, tuple | list) and value:
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: Any) -> float | None:
    number = _number(value)
    return round(number, 6) if number is not None and 0 < number < 1e6 else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and abs(number) < 2**31 else None


def _iso(value: Any) -> int | None:
    number = _integer(value)
    return number if number is not None and 0 < number <= 10_000_000 else None


def _degrees(value: Any) -> float | None:
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    parts = [_number(part) for part in value]
    if any(part is None or part < 0 for part in parts):
        return None
    degrees, minutes, seconds = (float(part or 0) for part in parts)
    return degrees + minutes / 60 + seconds / 3600


def _position(gps: dict) -> tuple[float | None, float | None]:
    latitude = _degrees(gps.get(GPS_LATITUDE))
    longitude = _degrees(gps.get(GPS_LONGITUDE))
    if latitude is None or longitude is None:
        return None, None
    if _text(gps.get(GPS_LATITUDE_REF)).upper() == "S":
        latitude = -latitude
    if _text(gps.get(GPS_LONGITUDE_REF)).upper() == "W":
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    if latitude == 0 and longitude == 0:  # a GPS that had no fix writes zeros
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _altitude(gps: dict) -> float | None:
    altitude = _number(gps.get(GPS_ALTITUDE))
    if altitude is None or abs(altitude) > 100_000:
        return None
    below_sea = gps.get(GPS_ALTITUDE_REF) in (1, b"\x01")
    return round(-altitude if below_sea else altitude, 1)


def taken_label(taken_at: dt.datetime, offset: int | None) -> str:
    """The camera's wall-clock time, with its UTC offset when known."""
    local = taken_at.astimezone(dt.timezone(dt.timedelta(minutes=offset or 0)))
    shown = f"{local.day} {local:%b %Y, %H:%M}"
    if offset is None:
        return shown
    sign = "+" if offset >= 0 else "−"
    return f"{shown} (UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d})"


def camera_label(make: str, model: str) -> str:
    """ "Canon EOS R5", not "Canon Canon EOS R5"."""
    if model.lower().startswith(make.lower()):
        return model
    return f"{make} {model}".strip()


def exposure_summary(
    *,
    f_number: float | None,
    exposure_time: float | None,
    iso: int | None,
    focal_length: float | None,
) -> str:
    """ "f/1.8 · 1/250 s · ISO 80 · 6.9 mm", leaving out what is unknown."""
    parts = [
        f"f/{f_number:.1f}".replace(".0", "") if f_number else "",
        exposure_label(exposure_time),
        f"ISO {iso}" if iso else "",
        f"{focal_length:.1f} mm".replace(".0 ", " ") if focal_length else "",
    ]
    return " · ".join(part for part in parts if part)


def exposure_label(seconds: float | None) -> str:
    """1/250 s, 0.5 s, 2 s: how photographers write a shutter speed."""
    if seconds is None:
        return ""
    if seconds >= 0.3:
        return f"{seconds:g} s"
    return f"1/{round(1 / seconds)} s"


def read_camera_metadata(file) -> CameraMetadata:
    """The EXIF of an image file that validation has already accepted."""
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            with PILImage.open(file) as image:
                if image.format == "PNG" and "exif" not in image.info:
                    # Pillow would decode every pixel to look for an eXIf
                    # chunk after the image data (rare): the upload request
                    # decodes an image once, to validate it, and no more.
                    return CameraMetadata()
                return camera_metadata(image)
    except Exception:  # validated already: a reader quirk only loses the EXIF
        return CameraMetadata()
    finally:
        file.seek(0)


def image_fields(metadata: CameraMetadata) -> dict[str, Any]:
    """The Image model's camera columns for ``metadata``."""
    return {
        "taken_at": metadata.taken_at,
        "taken_at_offset": metadata.taken_at_offset,
        "camera_make": metadata.camera_make,
        "camera_model": metadata.camera_model,
        "lens": metadata.lens,
        "focal_length": metadata.focal_length,
        "f_number": metadata.f_number,
        "exposure_time": metadata.exposure_time,
        "iso": metadata.iso,
        "latitude": metadata.latitude,
        "longitude": metadata.longitude,
        "camera_details": {"orientation": metadata.orientation, **metadata.extra},
    }
