"""Product images: checked with Pillow (a real image, within size and pixel limits), re-encoded
as JPEG without metadata, with a thumbnail made at upload."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from catalog.errors import ImageRejected

MAX_UPLOAD_BYTES = 8 * 2**20
MAX_PIXELS = 40_000_000  # also guards against decompression bombs
MIN_SIDE = 200
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
FULL_SIDE = 1600
THUMB_SIDE = 400


@dataclass(frozen=True)
class ProcessedImage:
    full: bytes
    thumbnail: bytes
    width: int
    height: int


def _jpeg(image: Image.Image, side: int, quality: int = 85) -> tuple[bytes, tuple[int, int]]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=quality, optimize=False, progressive=True)
    return buffer.getvalue(), copy.size


def process_upload(upload) -> ProcessedImage:
    """Check an uploaded file and return the re-encoded image and thumbnail.

    Raises ImageRejected for anything that is not a JPEG, PNG, WebP or GIF image within the
    limits."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ImageRejected(
            _("The image is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    data = upload.read()
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(
            _("The image is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(_("The image has too many pixels (at most 40 megapixels)."))
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected(_("This file is not an image we can read.")) from None
    if image_format not in ALLOWED_FORMATS:
        raise ImageRejected(_("Upload a JPEG, PNG, WebP or GIF image."))
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(
            _("The image is too small: at least %(px)s pixels on each side.") % {"px": MIN_SIDE}
        )
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    full, (out_w, out_h) = _jpeg(image, FULL_SIDE)
    thumbnail, _size = _jpeg(image, THUMB_SIDE, quality=80)
    return ProcessedImage(full=full, thumbnail=thumbnail, width=out_w, height=out_h)


PALETTE = [
    "#12355b",
    "#1d4e89",
    "#2f6fb3",
    "#1e7b4f",
    "#9a6700",
    "#b42318",
    "#6941c6",
    "#0e7490",
    "#a15c07",
    "#4d7c0f",
]


def product_card(text: str, *, seed: int = 0, side: int = 480) -> ProcessedImage:
    """A plain coloured card with the product's initials: demo and placeholder images."""
    initials = "".join(word[0] for word in text.split()[:2] if word).upper() or "?"
    return _card(initials, PALETTE[seed % len(PALETTE)], side)


@functools.lru_cache(maxsize=1024)
def _card(initials: str, colour: str, side: int) -> ProcessedImage:
    # The demo seeds two thousand products but fewer than five hundred distinct cards: drawing
    # and encoding every one took most of the seed's time. The thumbnail is drawn at its own
    # size rather than resampled from the full card (a flat card loses nothing), and both are
    # baseline JPEGs: a few kilobytes gain nothing from progressive encoding.
    thumb_side = min(side, THUMB_SIDE) // 2 * 2
    full = _card_image(initials, colour, side)
    thumbnail = full if thumb_side == side else _card_image(initials, colour, thumb_side)
    return ProcessedImage(
        full=_baseline_jpeg(full, quality=85),
        thumbnail=_baseline_jpeg(thumbnail, quality=75),
        width=side,
        height=side,
    )


def _card_image(initials: str, colour: str, side: int) -> Image.Image:
    image = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=side // 3)
    except TypeError:  # Pillow without FreeType
        font = ImageFont.load_default()
    box = draw.textbbox((0, 0), initials, font=font)
    draw.text(
        ((side - (box[2] - box[0])) / 2 - box[0], (side - (box[3] - box[1])) / 2 - box[1]),
        initials,
        fill="white",
        font=font,
    )
    draw.rectangle((0, side - side // 10, side, side), fill="#ffffff22")
    return image


def _baseline_jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def demo_png(text: str = "Sample", side: int = 600) -> bytes:
    """A PNG for tests and forms."""
    image = Image.new("RGB", (side, side), "#1d4e89")
    ImageDraw.Draw(image).text((20, 20), text, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
