"""Shared fixtures: real data from ../shared/data (skipped with the reason when absent)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from hypothesis import settings

from movemirror.errors import DatasetMissingError

# Property tests assert what is computed, not how fast: on a shared 2-core machine one
# example can take seconds (a compile, another job), which Hypothesis's default 200 ms
# deadline turned into a failure (test_vectors' first example once took 770 ms).
settings.register_profile("movemirror", deadline=None)
settings.load_profile("movemirror")


@pytest.fixture(scope="session")
def penn():
    from movemirror.datasets.penn_action import load_penn_action

    try:
        return load_penn_action()
    except DatasetMissingError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def penn_valid(penn):
    """Penn Action poses that can be vectorised (all but the ~0.1% with too few labelled
    joints), with their clips."""
    from movemirror.vectors import pose_problems

    ok = np.array([p is None for p in pose_problems(penn.keypoints)])
    return penn.keypoints[ok], penn.clip[ok]


@pytest.fixture(scope="session", autouse=True)
def compiled_vectorisation():
    """Load movemirror.vectors' compiled pass (numba, ~0.4 s from its cache) before any test,
    so property tests with deadlines do not count it against their first example."""
    from movemirror.vectors import to_vectors

    pose = np.zeros((17, 3), np.float32)
    pose[:, 0] = np.arange(17)
    pose[:, 2] = 1
    to_vectors(pose)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole session, for every test that launches Chromium:
    a second sync_playwright() started while one runs fails ("Sync API inside the asyncio
    loop"), so tests/web's browser and the coverage report's must share it."""
    from movemirror.bench.page import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make setup-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def s3_bank(monkeypatch):
    """A bank URI on a local S3 server (moto's, started here)."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_ENDPOINT": endpoint, "AWS_ALLOW_HTTP": "true"}.items():
        monkeypatch.setenv(name, value)
    # moto keeps its buckets for the whole process: a bucket of its own for each test
    bucket = f"movemirror-banks-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    yield f"s3://{bucket}/archive/bank"
    server.stop()
