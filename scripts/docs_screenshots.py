"""Screenshots of the page for docs/: the mirror (desktop 1280x800 and phone 390x844) and the
first visit's start screen.

Made only from data whose licence allows it: the webcam is tfjs-models' pose_1.mp4
(Apache-2.0) and the bank holds the COCO-mini people whose Flickr photos are CC BY or CC BY-SA
(COCO licence ids 4 and 5; the page shows each match's credit and licence under it).

    .venv/bin/python scripts/docs_screenshots.py
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.web.conftest import (  # noqa: E402
    POSE_VIDEO,
    WEBCAM_FRAMES,
    LiveServer,
    build_coco_bank,
)

from movemirror.bank import PoseBank  # noqa: E402
from movemirror.bench.page import (  # noqa: E402
    CHROMIUM,
    RETURNING_VISITOR,
    chromium_args,
    make_fake_webcam,
)
from movemirror.ingest.thumbnails import DISPLAY_SIZE  # noqa: E402
from movemirror.server import create_app  # noqa: E402

REDISTRIBUTABLE = {4, 5}  # COCO's licence ids for CC BY 2.0 and CC BY-SA 2.0
WEBCAM_SIDE = 576  # the clip's own size
OUT = REPO / "docs"


def save(page, name: str) -> None:
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    shot.save(OUT / f"{name}.jpg", quality=85, optimize=True)
    print(OUT / f"{name}.jpg")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        build_coco_bank(Path(tmp) / "bank", licence_ids=REDISTRIBUTABLE, image_side=DISPLAY_SIZE)
        bank = PoseBank.load(Path(tmp) / "bank")
        webcam = make_fake_webcam(POSE_VIDEO, Path(tmp) / "cam.y4m", WEBCAM_SIDE, WEBCAM_FRAMES)
        with LiveServer(create_app(bank)) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=chromium_args(webcam))
            try:
                first = browser.new_page(viewport={"width": 1280, "height": 800})
                first.goto(server.url)
                first.wait_for_function("() => window.movemirror && window.movemirror.ready",
                                        timeout=120_000)
                save(first, "start-screen")
                for name, size in (("mirror-desktop", (1280, 800)), ("mirror-phone", (390, 844))):
                    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
                    context.add_init_script(RETURNING_VISITOR)
                    page = context.new_page()
                    page.goto(server.url)
                    page.wait_for_function("() => window.movemirror && window.movemirror.replies "
                                           "> 40 && !document.querySelector('#match-image')"
                                           ".hidden", timeout=120_000)
                    save(page, name)
                    context.close()
            finally:
                browser.close()


if __name__ == "__main__":
    main()
