"""Entry point of the `movemirror` command."""

from __future__ import annotations

try:
    import typer

    from movemirror import __version__
    from movemirror.cli import bank, bench, coverage, index, pose, search, serve
    from movemirror.cli.commands import Typer
    from movemirror.cli.console import console, quiet_typer_consoles
except KeyboardInterrupt:  # Ctrl-C while the commands load: quiet, as once they run
    raise SystemExit(130) from None

quiet_typer_consoles()  # `movemirror --help | head` ends as quietly as our own output
app = Typer(
    name="movemirror",
    help="Pose search over your own photos and videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(shown: bool) -> None:
    if shown:
        console.print(f"movemirror {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help="Show the version and exit."),
) -> None:
    pass  # the group's help is the Typer's, above


app.command("pose")(pose.pose)
app.command("search")(search.search)
app.command("serve")(serve.serve)
app.command("index")(index.index)
app.command("coverage")(coverage.coverage)
app.add_typer(bank.app, name="bank")
app.add_typer(bench.app, name="bench")

if __name__ == "__main__":
    app()
