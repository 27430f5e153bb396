"""The payment code drawn for the till's scanners: a QR code (segno) and a Code 128 barcode
(python-barcode), both as inline SVG made on the server.

Appliance shops use handheld laser scanners, which read 1D barcodes only; camera scanners and
bank apps read the QR. Code 128 holds the 18 digits in its numeric set C (two digits a symbol:
134 modules with start, check and stop). python-barcode does the encoding (start code, set C,
check symbol); the SVG is drawn here as one ``<path>`` with presentation attributes only, because
the Content-Security-Policy forbids ``style`` attributes in the page (python-barcode's own SVG
writer uses them).
"""

from __future__ import annotations

import segno
from barcode.codex import Code128

QUIET_MODULES = 10  # the quiet zone Code 128 asks for on each side
BAR_HEIGHT = 60  # in modules: a tall bar is easier to hit with a laser line


def qr_svg(text: str) -> str:
    return segno.make_qr(text, error="m").svg_inline(border=2, dark="#111", omitsize=True)


def code128_modules(text: str) -> str:
    """The bars as "1" (black) and "0" (white) modules, without the quiet zone."""
    return Code128(text).build()[0]


def code128_svg(text: str, *, label: str = "付款码条形码") -> str:
    """A Code 128 barcode as inline SVG that scales to its container (viewBox in modules)."""
    modules = code128_modules(text)
    runs: list[str] = []
    x = 0
    while x < len(modules):
        if modules[x] == "1":
            width = 1
            while x + width < len(modules) and modules[x + width] == "1":
                width += 1
            runs.append(f"M{x + QUIET_MODULES} 0h{width}v{BAR_HEIGHT}h-{width}z")
            x += width
        else:
            x += 1
    total = len(modules) + 2 * QUIET_MODULES
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {BAR_HEIGHT}" '
            f'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" '
            f'aria-label="{label}"><rect width="{total}" height="{BAR_HEIGHT}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>')
