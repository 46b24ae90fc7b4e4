"""The browser helpers live with the page benchmark; the tests use the same ones."""

from movemirror.bench.page import CHROMIUM, chromium_args, make_fake_webcam

__all__ = ["CHROMIUM", "chromium_args", "make_fake_webcam"]
