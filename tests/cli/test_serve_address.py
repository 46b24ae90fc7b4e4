"""The address `serve` tells to open, whole for every host (an IPv6 address in brackets was
read as rich markup and dropped, `open http://:8000/`, and ":cd:" as an emoji)."""

from __future__ import annotations

import io

import pytest
from rich.text import Text

from movemirror.cli.console import UncutConsole
from movemirror.cli.serve import page_url


@pytest.mark.parametrize(("host", "url"), [
    ("127.0.0.1", "http://localhost:8000/"),
    ("::", "http://localhost:8000/"),
    ("::1", "http://[::1]:8000/"),
    ("fd00::5", "http://[fd00::5]:8000/"),
    ("ab12:cd::7", "http://[ab12:cd::7]:8000/"),
    ("192.168.1.4", "http://192.168.1.4:8000/"),
])
def test_the_page_address_is_printed_whole(host, url):
    out = io.StringIO()
    UncutConsole(file=out).print(Text.assemble("open ", page_url(host, 8000)))
    assert out.getvalue() == f"open {url}\n"
