"""`movemirror coverage` end to end on real poses: the planted hole named first, a report that
holds every image inline and names no web address, and clear errors for bad input."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.cli.main import app
from movemirror.coverage.report import MAP_SIZE
from movemirror.datasets import dataset_dir
from movemirror.errors import DatasetMissingError

from .test_holes import RAISED_WORDS, wrists_raised

runner = CliRunner()


@pytest.fixture(scope="module")
def planted_dirs(penn_sample, tmp_path_factory):
    """A bank of training clips without raised wrists, and a bank of other clips' poses."""
    root = tmp_path_factory.mktemp("planted")
    poses = penn_sample.keypoints
    PoseBank.from_keypoints(poses[penn_sample.train & ~wrists_raised(poses)]).save(root / "bank")
    test = np.flatnonzero(~penn_sample.train)
    reference = np.sort(np.random.default_rng(2).choice(test, 3000, replace=False))
    PoseBank.from_keypoints(poses[reference]).save(root / "reference")
    return root


def test_the_command_names_the_planted_hole_first(planted_dirs, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--against",
                                 str(planted_dirs / "reference"), "--out", str(out),
                                 "--map", "pca"])
    assert result.exit_code == 0, result.output
    first_group = next(line for line in result.output.splitlines() if "H1:" in line)
    assert any(words in first_group for words in RAISED_WORDS)
    page = out.read_text()
    assert "nearest poses of the bank and the reference" in page
    assert "PCA" in page
    with Image.open(out.with_suffix(".png")) as png:
        assert png.size == (MAP_SIZE, MAP_SIZE)


def test_a_folder_of_pose_files_is_a_reference_and_a_bad_file_is_left_out(planted_dirs,
                                                                           penn_sample,
                                                                           tmp_path):
    folder = tmp_path / "poses"
    folder.mkdir()
    for i, pose in enumerate(penn_sample.keypoints[~penn_sample.train][:40]):
        (folder / f"{i:03d}.json").write_text(json.dumps({"keypoints": pose.tolist()}))
    (folder / "broken.json").write_text("{not json")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--against",
                                 str(folder), "--out", str(out), "--map", "pca"])
    assert result.exit_code == 0, result.output
    assert "left out:" in result.output and "broken.json" in result.output
    assert re.search(r"holes: \d+ of 40 reference poses", result.output)


def test_a_reference_with_no_usable_pose_says_why_each_was_left_out(planted_dirs, tmp_path):
    photo = dataset_dir("tfjs-pose-detection-testdata") / "pose.jpg"  # a photo, not a pose
    if not photo.exists():
        pytest.skip(f"{photo} is missing")
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--against",
                                 str(photo), "--out", str(tmp_path / "report.html")])
    assert result.exit_code == 1
    assert "no usable reference pose" in result.output
    assert f"left out: {photo}: not a readable JSON pose" in result.output
    assert not (tmp_path / "report.html").exists()
    not_a_pose = tmp_path / "settings.json"
    not_a_pose.write_text(json.dumps({"a": 1}))
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--against",
                                 str(not_a_pose), "--out", str(tmp_path / "report.html")])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert (f'left out: {not_a_pose}: expected a pose: 17 keypoints, each [x, y, score]'
            in said and 'found a JSON object without "keypoints"' in said), said


def test_an_out_the_map_would_overwrite_is_refused(planted_dirs, tmp_path):
    out = tmp_path / "coverage.png"  # the map goes beside the report as .png: the same file
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--out",
                                 str(out), "--map", "pca"])
    assert result.exit_code == 2
    assert "--out" in result.output and ".png" in result.output
    assert not out.exists()


def test_an_out_onto_a_folder_is_refused_before_the_work(planted_dirs, tmp_path):
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--out",
                                 str(tmp_path), "--map", "pca"])
    assert result.exit_code == 2, result.output
    assert f"--out {tmp_path} is a folder" in result.output
    assert "poses; map by" not in result.output and not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def lspet_bank(tmp_path_factory):
    """A bank of LSPET's annotated poses with thumbnails of their photos, as ingestion keeps."""
    from movemirror.datasets.lspet import load_lspet

    try:
        samples = load_lspet(dataset_dir("lspet"), limit=300)
    except DatasetMissingError as error:
        pytest.skip(str(error))
    bank = PoseBank.from_keypoints(np.stack([s.joints for s in samples]), on_invalid="skip")
    root = tmp_path_factory.mktemp("lspet") / "bank"
    names, pictures = [], []
    for i, id_ in enumerate(bank.ids):
        with Image.open(samples[int(id_)].path) as image:
            image.thumbnail((160, 160))
            picture = io.BytesIO()
            image.save(picture, "JPEG")
        with_picture = i % 2 == 0  # half without a thumbnail
        names.append(f"thumbs/{id_}.jpg" if with_picture else None)
        pictures.append(picture.getvalue() if with_picture else None)
    bank = PoseBank(bank.records.append_column("thumbnail", [names]), bank.vectors,
                    images=pictures)
    bank.save(root)
    return root


def test_the_report_is_self_contained(lspet_bank, tmp_path):
    out = tmp_path / "out" / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(lspet_bank), "--against",
                                 str(lspet_bank), "--out", str(out), "--map", "pca"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert not re.search(r"https?://", page)
    assert "data:image/png;base64," in page and "data:image/jpeg;base64," in page
    assert "<svg" in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:") for s in sources)
    assert "holes: 0 of" in result.output  # a bank has no holes against itself
    assert "left_knee" in page  # the keypoints-seen table


def test_the_report_shows_each_region_in_its_colour_as_the_page_does(planted_dirs, tmp_path):
    # Every region was once ringed and labelled in one blue, where the page's coverage view
    # gives each region its colour (static/js/coverage.js's REGION_COLOURS, labelColour).
    from movemirror.coverage.colours import REGION_COLOURS, label_colour, rgb

    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--out",
                                 str(out), "--map", "pca"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    labels = re.findall(r'class="map-label" style="left:([\d.]+)%;top:([\d.]+)%;'
                        r'color:rgb\((\d+), (\d+), (\d+)\)">(R\d+)</span>', page)
    table = re.findall(r'<td class="region" style="color:rgb\((\d+), (\d+), (\d+)\)">'
                       r"(R\d+)</td>", page)
    assert [label[5] for label in labels] == [f"R{n}" for n in range(1, len(labels) + 1)]
    assert len(labels) == len(REGION_COLOURS)  # one colour each, none used twice
    expected = [label_colour(colour) for colour in REGION_COLOURS]
    assert [tuple(map(int, label[2:5])) for label in labels] == expected
    assert [tuple(map(int, cell[:3])) for cell in table] == expected
    assert [cell[3] for cell in table] == [label[5] for label in labels]
    # and the map's PNG rings each medoid, under its label, in the region's own colour
    with Image.open(out.with_suffix(".png")) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    drawn = {tuple(p) for p in np.unique(pixels, axis=0).tolist()}
    assert {rgb(colour) for colour in REGION_COLOURS} <= drawn


def test_bad_input_gets_a_clear_error(planted_dirs, tmp_path):
    missing = runner.invoke(app, ["coverage", "--bank", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "error" in missing.output
    no_ref = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"),
                                 "--against", str(tmp_path / "nothing")])
    assert no_ref.exit_code == 1 and "no such bank, folder or pose file" in no_ref.output
    bad_map = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"),
                                  "--map", "tsne"])
    assert bad_map.exit_code == 2 and "--map takes umap or pca, not 'tsne'" in bad_map.output
    # torso has vectors of its own; the map and the crowds are on the bank's stored ones
    torso = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"),
                                "--metric", "torso"])
    assert torso.exit_code == 2 and "cosine or weighted" in torso.output
    assert not (tmp_path / "coverage.html").exists()


@pytest.mark.browser
def test_the_report_opens_offline_in_chromium(lspet_bank, tmp_path, playwright_driver):
    from movemirror.bench.page import CHROMIUM, chromium_args

    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(lspet_bank), "--out", str(out),
                                 "--map", "pca"])
    assert result.exit_code == 0, result.output
    requested, failed = [], []
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=chromium_args(None))
    try:
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(out.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
        skeletons = page.locator("svg.skeleton").count()
    finally:
        browser.close()
    assert failed == []
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    assert len(images) > 1 and all(images)  # the map and the thumbnails all decoded
    assert skeletons >= 8  # a region's medoid each, and the crowds'


@pytest.mark.browser
def test_the_report_fits_a_phone_screen(planted_dirs, tmp_path, playwright_driver):
    from movemirror.bench.page import CHROMIUM, chromium_args

    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(planted_dirs / "bank"), "--against",
                                 str(planted_dirs / "reference"), "--out", str(out),
                                 "--map", "pca"])
    assert result.exit_code == 0, result.output
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                args=chromium_args(None))
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(out.as_uri(), wait_until="load")
        assert page.locator("td:text-is('H1')").count() == 1  # the holes' table is there
        # laid out at the phone's width (not a 980-pixel page shrunk to unreadable text),
        # and nothing wider than the screen
        widths = page.evaluate("() => [innerWidth, document.documentElement.scrollWidth]")
        # the map's labels, R1.. and H1.., as readable as the text: over the map, text
        # of at least 12 px however small the map is drawn
        labels = page.evaluate(MAP_LABELS)
        page.screenshot(path=str(tmp_path / "report-390.png"), full_page=True)
    finally:
        browser.close()
    assert widths == [390, 390]
    texts = [label["text"] for label in labels["labels"]]
    assert "R1" in texts and "H1" in texts, labels
    assert labels["map"]["width"] < 390
    for label in labels["labels"]:
        assert label["size"] >= 12, label
        box, frame = label["box"], labels["map"]
        assert frame["left"] <= box["left"] and box["top"] >= frame["top"] - box["height"], label
        assert box["bottom"] <= frame["bottom"] + box["height"], label


# The report's map (its <img>) and each label over it: text, font size and place on screen.
MAP_LABELS = """() => {
  const place = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, bottom: r.bottom, height: r.height}; };
  const map = document.querySelector('img[alt^="map"]');
  const labels = [...document.querySelectorAll('.map-label')].map((e) => ({
    text: e.textContent, size: parseFloat(getComputedStyle(e).fontSize), box: place(e)}));
  return {map: {...place(map), width: map.getBoundingClientRect().width}, labels};
}"""


def test_a_bank_on_s3_is_mapped_by_its_uri(penn_sample, s3_bank, tmp_path):
    poses = penn_sample.keypoints[:400]
    PoseBank.from_keypoints(poses).save(s3_bank)
    out = tmp_path / "s3.html"
    result = runner.invoke(app, ["coverage", "--bank", s3_bank, "--map", "pca", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert "400 poses" in result.output
    assert "Coverage of bank" in out.read_text(encoding="utf-8")
    assert not (Path.cwd() / "s3:").exists()


def test_one_crowd_is_said_in_the_singular(penn_sample, tmp_path):
    # Poses of 40 clips, one pose a clip, and one of them 5 times over: a single crowd.
    first_of_clip = np.flatnonzero(np.r_[True, penn_sample.clip[1:] != penn_sample.clip[:-1]])
    poses = penn_sample.keypoints[first_of_clip[::25][:40]]
    bank = PoseBank.from_keypoints(np.concatenate([poses, np.repeat(poses[:1], 4, axis=0)]))
    bank.save(tmp_path / "bank")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["coverage", "--bank", str(tmp_path / "bank"), "--out", str(out),
                                 "--map", "pca"])
    assert result.exit_code == 0, result.output
    assert "44 poses; map by pca; 1 crowd (" in result.output
    assert "1 crowd; deduplication" in out.read_text()
