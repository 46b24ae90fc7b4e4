"""`movemirror serve --bank DIR`: the web experience for one bank."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.text import Text

from movemirror.cli.choices import index_kinds_help
from movemirror.cli.console import console, errors, fail
from movemirror.cli.params import DIR, HOST, INDEX, PORT, BankOption, N
from movemirror.cli.values import choice
from movemirror.errors import BankError
from movemirror.index import INDEX_KINDS
from movemirror.wording import counted


def serve(
    bank_dir: BankOption,
    host: str = typer.Option("127.0.0.1", metavar=HOST, help="Address to listen on."),
    port: int = typer.Option(8000, min=0, max=65535, metavar=PORT, help="Port to listen on."),
    web_modules: Path | None = typer.Option(
        None, metavar=DIR, help="web/node_modules with TF.js and the models (found by default)."
    ),
    index: str | None = typer.Option(None, metavar=INDEX, help=index_kinds_help(),
                                     callback=choice(INDEX_KINDS)),
    workers: int = typer.Option(
        1, min=1, max=64, metavar=N,
        help="Server processes, each with the bank (for many clients)."
    ),
    log_queries: Path | None = typer.Option(
        None, "--log-queries", metavar=DIR,
        help="Log each searched pose (keypoints only, the minute, its best distance and metric; "
             "never an image or an address) to this folder of Parquet parts. Off by default."),
    follow: bool = typer.Option(
        False, "--follow", help="Pick up each new version of the bank as it is committed (by "
                                "`movemirror index` running beside), keeping every connection."),
):
    """Serve the page, the search API and the pose stream for a bank."""
    import uvicorn

    from movemirror.bank import PoseBank, storage
    from movemirror.errors import QueryLogError
    from movemirror.index import DEFAULT_INDEX
    from movemirror.server import create_app
    from movemirror.server.app import BANK_ENV, FOLLOW_ENV, INDEX_ENV, INDEXES_ENV, QUERY_LOG_ENV
    from movemirror.server.files import find_web_modules
    from movemirror.server.limits import Limits
    from movemirror.server.query_log import QueryLog
    from movemirror.server.shared_indexes import (
        build_shared_indexes_apart,
        remove_shared_indexes,
    )
    from movemirror.server.websocket import WebSocketProtocol

    problem = listen_problem(host, port)
    if problem is not None:  # said now, not after minutes of loading a large bank
        raise fail(problem)
    try:
        bank = PoseBank.load(bank_dir, index=index or DEFAULT_INDEX)
    except BankError as error:
        raise fail(str(error)) from None
    modules = web_modules if web_modules is not None else find_web_modules()
    if modules is None or not (modules / "@tensorflow" / "tfjs").is_dir():
        errors.print("[yellow]warning:[/] web/node_modules not found: the page cannot load "
                     "TF.js or the models (run make setup-node)")
        modules = None
    try:  # with --workers, each worker opens its own log in the folder checked here
        query_log = QueryLog(log_queries) if log_queries is not None else None
    except QueryLogError as error:
        raise fail(str(error)) from None
    limits = Limits()
    if workers == 1:
        app = create_app(bank, web_modules=modules, limits=limits, query_log=query_log,
                         follow=follow)
        with console.status(f"Preparing search over {len(bank):,} poses…"):
            app.state.movemirror.matcher.warm()
    console.print(f"[bold]movemirror[/] serving {counted(len(bank), 'pose')} from "
                  f"{escape(str(bank_dir))}"
                  + (f" in {workers} processes" if workers > 1 else ""))
    if follow and bank.format == 1:  # no version can be committed to it before its upgrade
        console.print(f"following the bank: it is format 1, read-only (`movemirror index` "
                      f"cannot add to it) until `movemirror bank upgrade {bank_dir}` converts "
                      "it; then each new version is served once it is committed",
                      markup=False, highlight=False)
    elif follow:
        console.print("following the bank: each new version is served once it is committed")
    if log_queries is not None:
        console.print(f"logging the poses searched (keypoints only) to "
                      f"{escape(str(log_queries))}")
    console.print(Text.assemble("open ", page_url(host, port),
                                "  (API docs: /docs; Ctrl-C stops)"))
    options: dict[str, Any] = dict(
        host=host, port=port, log_level="warning", ws=WebSocketProtocol,
        ws_max_size=4 * limits.max_message_bytes, ws_per_message_deflate=False,
        timeout_graceful_shutdown=3)
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # The indexes are built once, into shared memory; each worker opens the bank (its
    # vectors memory-mapped, so shared), maps those indexes and warms its own search code.
    # This process only supervises: it keeps no indexes of its own.
    location = storage.location_of(bank_dir)
    with console.status(f"Building the search indexes over {len(bank):,} poses…"):
        shared = build_shared_indexes_apart(location, index or DEFAULT_INDEX)
    del bank
    os.environ[INDEXES_ENV] = str(shared)
    os.environ[BANK_ENV] = location
    if follow:
        os.environ[FOLLOW_ENV] = "1"
    if index:
        os.environ[INDEX_ENV] = index
    if log_queries is not None:
        os.environ[QUERY_LOG_ENV] = str(log_queries.resolve())
    if modules is not None:
        os.environ["MOVEMIRROR_WEB_MODULES"] = str(modules.resolve())
    try:
        uvicorn.run("movemirror.server.app:app_from_environment", factory=True,
                    workers=workers, **options)
    finally:
        remove_shared_indexes(shared)


def page_url(host: str, port: int) -> Text:
    """The page's address, as text and not markup: "[fd00::5]" is no style, ":cd:" no emoji."""
    shown = ("localhost" if host in ("127.0.0.1", "0.0.0.0", "::")
             else f"[{host}]" if ":" in host else host)  # an IPv6 address, as URLs write it
    return Text(f"http://{shown}:{port}/", style="bold cyan")


def listen_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (in use, not this machine's address), or
    None: a socket is bound there as uvicorn binds it, then closed."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            reason += " (another server? choose a free port with --port)"
        return f"cannot listen on {host}:{port}: {reason}"
    return None
