"""The bank changed under a running server without --follow: `bank compact --keep-versions 1`
removes the version it serves, or the folder is removed. Searches go on from memory; its
pictures come from the newest version, or a clear 503 when there is no bank left."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from movemirror.bank import PoseBank
from movemirror.cli.main import app as cli
from movemirror.server import create_app


def test_pictures_survive_compact_and_a_removed_bank_gives_503(bank_dir, tmp_path):
    folder = tmp_path / "bank"
    shutil.copytree(bank_dir, folder)
    bank = PoseBank.load(folder)
    with TestClient(create_app(bank, web_modules=None), raise_server_exceptions=False) as client:
        name = client.post("/api/search", json={
            "keypoints": bank.keypoints[2].tolist(), "width": 640, "height": 480, "k": 1,
        }).json()["matches"][0]["thumbnail"]
        before = client.get(name)
        assert before.status_code == 200
        writer = PoseBank.load(folder)  # a commit beside the server, then a compact
        bigger = bank.keypoints[:1].copy()
        bigger[..., :2] *= 1.5
        writer.add(bigger, ids=["appended"])
        writer.save()
        pruned = CliRunner().invoke(cli, ["bank", "compact", str(folder), "--keep-versions", "1"])
        assert pruned.exit_code == 0 and "old versions removed" in pruned.output, pruned.output
        after = client.get(name)
        assert after.status_code == 200 and after.content == before.content
        shutil.rmtree(folder)
        gone = client.get(name)
        assert gone.status_code == 503
        assert "cannot be read" in gone.json()["detail"]
        assert str(tmp_path) not in gone.text  # never a path on the server
        assert client.get("/api/health").json()["bank_size"] == len(bank)  # still searching
