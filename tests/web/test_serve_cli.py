"""`movemirror serve` as an operator starts it: refusals come before the bank is loaded."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from movemirror.cli.main import app


def test_a_port_in_use_is_an_error_before_the_bank_is_loaded(bank_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--bank", str(bank_dir), "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "in use" in result.output
    assert "open http" not in result.output  # no URL that does not answer


def test_the_printed_address_opens_for_an_ipv6_host(bank_dir, monkeypatch):
    served = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options))
    result = CliRunner().invoke(app, ["serve", "--bank", str(bank_dir), "--host", "::1",
                                      "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "open http://[::1]:0/" in result.output  # a URL a browser takes
    assert served[0]["host"] == "::1"


def test_a_log_says_what_the_server_prepares_before_it_serves(bank_dir, monkeypatch):
    # Off a terminal the spinner draws nothing: on a large bank, minutes of silence in a log.
    monkeypatch.setattr("uvicorn.run", lambda app, **options: None)
    result = CliRunner().invoke(app, ["serve", "--bank", str(bank_dir), "--port", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    preparing = next(n for n, line in enumerate(lines) if line.startswith("Preparing search over"))
    assert preparing < next(n for n, line in enumerate(lines) if "serving" in line)
