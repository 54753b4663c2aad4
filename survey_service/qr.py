"""QR images of desk links (PNG and SVG) with the ``qrcode`` library."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage


def _make(url: str) -> qrcode.QRCode:
    # Level M survives ~15 % damage (a scuffed card on a counter) and keeps short links at
    # version 3-4, large modules that cheap phone cameras read from arm's length.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def png(url: str, *, box_size: int = 10) -> bytes:
    """A PNG image of ``url`` as a QR code."""
    code = _make(url)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def svg(url: str) -> bytes:
    """An SVG image of ``url`` as a QR code (a single path; scales to any print size)."""
    buffer = io.BytesIO()
    _make(url).make_image(image_factory=SvgPathImage).save(buffer)
    return buffer.getvalue()
