"""Checking and describing an uploaded photo with Pillow: the media type from the content (never the
name), the decompression-bomb guard, EXIF time and position, and a thumbnail turned upright.

The original bytes are kept exactly as uploaded (their SHA-256 is the phone's proof); only the thumbnail
has the EXIF orientation applied.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import PHOTO_INVALID, PHOTO_UNSUPPORTED, AppError

MEDIA_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
THUMBNAIL_PX = 320
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 36867, 36881
# Samarinda's clock (WITA) when the camera does not say its offset.
LOCAL_TIME = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class PhotoFacts:
    media_type: str
    extension: str
    width: int
    height: int
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    thumbnail: bytes


def inspect(path: Path, max_pixels: int) -> PhotoFacts:
    """What the photo is, or the catalogue's error: unsupported type, broken or oversized image."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as probe:
                kind = probe.format
                if kind not in MEDIA_TYPES:
                    raise AppError(PHOTO_UNSUPPORTED, details={"detected": kind})
                probe.verify()
            with Image.open(path) as image:
                image.load()
                exif = image.getexif()
                upright = ImageOps.exif_transpose(image)
                width, height = upright.size
                thumbnail = upright.convert("RGB")
                thumbnail.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                buffer = io.BytesIO()
                thumbnail.save(buffer, "JPEG", quality=80)
        except UnidentifiedImageError as error:
            raise AppError(PHOTO_UNSUPPORTED, details={"detected": "not an image"}) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise AppError(PHOTO_INVALID, details={"reason": "too many pixels", "max_pixels": max_pixels}) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise AppError(PHOTO_INVALID, details={"reason": "unreadable image data"}) from error
    media_type, extension = MEDIA_TYPES[kind]
    lon, lat = _position(exif)
    return PhotoFacts(media_type, extension, width, height, _taken_at(exif), lon, lat, buffer.getvalue())


def _taken_at(exif) -> datetime | None:
    details = exif.get_ifd(EXIF_IFD)
    raw = details.get(DATETIME_ORIGINAL)
    if not raw:
        return None
    try:
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = details.get(OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.fromisoformat(taken.isoformat() + str(offset).strip("\x00 "))
        except ValueError:
            pass
    return taken.replace(tzinfo=LOCAL_TIME)


def _position(exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        lon = _degrees(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lon, 7), round(lat, 7)


def _degrees(value) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    return degrees + minutes / 60 + seconds / 3600
