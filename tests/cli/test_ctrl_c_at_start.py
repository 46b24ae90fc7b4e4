"""Ctrl-C while the `movemirror` command is still loading (a few seconds on a busy machine)
ends it quietly with 130, as Ctrl-C does once a command runs: no traceback of the imports."""

from __future__ import annotations

import subprocess
import sys

# The console script, with Ctrl-C arriving while it imports the commands (deterministically:
# the import of one command's module is interrupted).
SCRIPT = """
import sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "movemirror.cli.bench":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["movemirror", "--help"]
from movemirror.cli.main import app
app()
"""


def test_ctrl_c_while_the_commands_load_is_quiet():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stderr, result.stdout) == (130, "", "")
