"""Regenerate the PDF font: Noto Sans CJK SC (SIL OFL 1.1) cut down to ASCII, GB 2312 and the
punctuation the forms use, so the confirmation PDF renders on any machine with no system font.

    apt-get install fonts-noto-cjk && .venv/bin/python scripts/make_font_subset.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = Path(__file__).resolve().parent.parent / "huiquan/redemptions/fonts/NotoSansSC-subset.otf"
EXTRA = "￥¥·—“”‘’…《》【】、。，；：？！（）〔〕×√□☐隰"


def characters() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def main() -> None:
    fonts = TTCollection(SOURCE).fonts
    font = next(f for f in fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(TARGET)
    print(f"{TARGET} ({TARGET.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
