"""Fixtures for the web tests: a small real bank built from COCO photos, the app, a live server."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from movemirror.bank import PoseBank
from movemirror.server import create_app

from .browser import CHROMIUM, RETURNING_VISITOR, chromium_args, make_fake_webcam

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
COCO = SHARED / "coco-mini"
POSE_VIDEO = SHARED / "tfjs-pose-detection-testdata" / "pose_1.mp4"
POSE_PHOTO = SHARED / "tfjs-pose-detection-testdata" / "pose.jpg"
ARTIFACTS = REPO / "artifacts" / "web"
WEBCAM_SIDE = 320
WEBCAM_FRAMES = 90


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is missing (the shared real data is not beside the checkout)")
    return path


def build_coco_bank(out: Path, min_keypoints: int = 8,
                    licence_ids: set[int] | None = None, image_side: int = 320) -> PoseBank:
    """A bank of the COCO-mini people with >= min_keypoints labels, with JPEG crops of each
    (at most image_side px) as their pictures; licence_ids: only photos under these COCO
    licence ids (all when None)."""
    data = json.loads(require(COCO / "annotations" / "person_keypoints_train2017.json").read_text())
    images = {img["id"]: img for img in data["images"]}
    licence_names = {lic["id"]: lic["name"] for lic in data["licenses"]}
    poses, ids, meta = [], [], []
    for ann in data["annotations"]:
        if ann["iscrowd"] or ann["num_keypoints"] < min_keypoints:
            continue
        image = images[ann["image_id"]]
        if licence_ids is not None and image["license"] not in licence_ids:
            continue
        kps = np.asarray(ann["keypoints"], np.float32).reshape(17, 3)
        kps[:, 2] = (kps[:, 2] > 0).astype(np.float32)  # labelled -> score 1
        x, y, w, h = ann["bbox"]
        margin = 0.15 * max(w, h)
        with Image.open(COCO / "train2017" / image["file_name"]) as photo:
            box = (max(0, x - margin), max(0, y - margin),
                   min(photo.width, x + w + margin), min(photo.height, y + h + margin))
            crop = photo.convert("RGB").crop(tuple(int(round(v)) for v in box))
        crop.thumbnail((image_side, image_side))
        name = f"thumbs/coco-{ann['id']}.jpg"
        picture = io.BytesIO()
        crop.save(picture, "JPEG", quality=85)
        kps[:, 0] -= box[0]
        kps[:, 1] -= box[1]
        kps[:, :2] *= crop.width / (box[2] - box[0])
        kps[kps[:, 2] == 0, :2] = 0
        poses.append(kps)
        ids.append(f"coco-{ann['id']}")
        meta.append({"thumbnail": name, "image": picture.getvalue(),
                     "source": f"coco-mini/train2017/{image['file_name']}",
                     "frame_time": None, "credit": image.get("flickr_url"),
                     "licence": licence_names.get(image["license"]),
                     "published_source": image.get("coco_url"),
                     # what the JPEG shows, in the keypoints' pixels (here the crop's own)
                     "thumb_box": [0.0, 0.0, float(crop.width), float(crop.height)]})
    bank = PoseBank.from_keypoints(np.stack(poses), ids=ids, meta=meta)
    bank.save(out)
    return PoseBank.load(out)


def keypoints_only(bank: PoseBank) -> PoseBank:
    """The bank's poses as a bank built from keypoints alone (as from pose JSON): the same
    ids and sources, no pictures."""
    return PoseBank.from_keypoints(bank.keypoints, ids=list(bank.ids), meta={
        "source": [bank.record(i)["source"] for i in range(len(bank))]})


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("coco-bank")
    build_coco_bank(out)
    return out


@pytest.fixture(scope="session")
def bank(bank_dir) -> PoseBank:
    return PoseBank.load(bank_dir)


@pytest.fixture(scope="session")
def query_pose(bank) -> np.ndarray:
    """A real pose: the first bank pose, shifted into a 640 x 480 frame."""
    pose = bank.keypoints[0].copy()
    pose[:, :2] += 40
    return pose


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app in a thread, on a free loopback port, its search warmed first
    as `movemirror serve` warms it: with numba's cache cold (a fresh clone) the first query
    compiled the kernels, about a minute of CPU, which timed out the first page's 60 s wait
    for matches (in set-up, no timed wait counts it)."""

    def __init__(self, app, **options):
        import uvicorn

        app.state.movemirror.matcher.warm()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120  # only against a hang: a loaded machine is slow
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(bank):
    with LiveServer(create_app(bank), ws_max_size=64 * 1024) as server:
        yield server


@pytest.fixture(scope="session")
def webcam(tmp_path_factory):
    out = tmp_path_factory.mktemp("webcam") / "pose_1.y4m"
    return make_fake_webcam(require(POSE_VIDEO), out, WEBCAM_SIDE, WEBCAM_FRAMES)


@pytest.fixture(scope="session")
def chromium(playwright_driver, webcam):
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=chromium_args(webcam))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def module_page(chromium, live_server):
    """A page at the server's origin without the app running, to import the page's modules."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/static/css/app.css")
    yield page
    context.close()


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(path, viewport) -> (page, traffic), with every request recorded."""
    from .traffic import Traffic

    contexts = []

    def open_page(path="/", viewport=(1280, 800), init_script=None, server=live_server,
                  first_visit=False, before_goto=None):
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                       accept_downloads=True)
        contexts.append(context)
        if not first_visit:
            context.add_init_script(RETURNING_VISITOR)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        traffic = Traffic(page, server.url)
        if before_goto:
            before_goto(page)
        page.goto(server.url + path)
        return page, traffic

    yield open_page
    for context in contexts:
        context.close()
