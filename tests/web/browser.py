"""The browser helpers live with the page benchmark; the tests use the same ones."""

from movemirror.bench.page import CHROMIUM, RETURNING_VISITOR, chromium_args, make_fake_webcam

__all__ = ["CHROMIUM", "RETURNING_VISITOR", "chromium_args", "make_fake_webcam"]
