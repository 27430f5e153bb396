"""Draw huiquan's favicon: 券 in white on the campaign red, from the shipped CJK font subset.

Writes huiquan/core/static/core/favicon.ico (16, 32, 48 px) and apple-touch-icon.png (180 px).
Run again only when the design changes: `.venv/bin/python scripts/make_favicon.py`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "huiquan" / "redemptions" / "fonts" / "NotoSansSC-subset.otf"
OUT = ROOT / "huiquan" / "core" / "static" / "core"
RED, WHITE = (200, 22, 29, 255), (255, 255, 255, 255)  # site.css --red (#c8161d)


def draw(size: int) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=RED)
    font = ImageFont.truetype(str(FONT), int(big * 0.72))
    pen.text((big / 2, big / 2), "券", font=font, fill=WHITE, anchor="mm")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(48).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    touch = Image.new("RGBA", (180, 180), RED)
    touch.alpha_composite(draw(180))
    touch.convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    print(f"wrote {OUT / 'favicon.ico'} and {OUT / 'apple-touch-icon.png'}")


if __name__ == "__main__":
    main()
