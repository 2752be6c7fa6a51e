"""Refresh the README's two Space screenshots from the ones the browser tests save (not a test).

`make test` (tests/space_app/test_space_browser.py) writes every tab at 1280x900 under tests/space_app/screenshots/;
this keeps the first screen of the leaderboard and the Plots tab's first charts, as 128-colour PNGs (small in git):

    python docs/img/update.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "space_app" / "screenshots"
# README image -> (browser test screenshot, crop box: left, top, right, bottom)
IMAGES = {
    "space-leaderboard.png": ("leaderboard-1280x900.png", (0, 0, 1280, 900)),
    "space-plots.png": ("plots-1280x900.png", (0, 180, 1280, 1080)),
}


def main() -> None:
    for name, (shot, box) in IMAGES.items():
        image = Image.open(SHOTS / shot).convert("RGB").crop(box)
        small = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS)
        target = Path(__file__).with_name(name)
        small.quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
