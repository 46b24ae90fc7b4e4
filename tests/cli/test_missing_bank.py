"""Bank commands say why there is no bank at a path: it does not exist, or it is a file."""

from __future__ import annotations

from typer.testing import CliRunner

from movemirror.cli.main import app

runner = CliRunner()


def test_a_missing_bank_does_not_exist_and_a_file_is_not_a_directory(tmp_path):
    (tmp_path / "file").write_text("not a bank")
    for command in (["bank", "info"], ["bank", "history"], ["bank", "upgrade"],
                    ["coverage", "--bank"]):
        missing = runner.invoke(app, [*command, str(tmp_path / "missing")])
        assert missing.exit_code == 1
        said = f"error: {tmp_path / 'missing'}: no bank here (it does not exist)\n"
        assert missing.output == said, command
        file = runner.invoke(app, [*command, str(tmp_path / "file")])
        assert file.exit_code == 1
        said = f"error: {tmp_path / 'file'}: no bank here (a file, not a directory)\n"
        assert file.output == said, command
