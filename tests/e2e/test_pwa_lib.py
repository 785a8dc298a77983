"""The PWA's app-independent modules (pwa/src/lib: escaping `html` template, Intl formats) under Node's own
test runner (pwa/tests/*.test.mjs), with the venv's Node.js like the build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from server.config import PROJECT_ROOT


def test_lib_unit_tests_pass():
    node = Path(sys.executable).parent / "node"
    runner = str(node) if node.exists() else shutil.which("node")
    assert runner, "Node.js not found (make venv installs it)"
    done = subprocess.run(
        [runner, "--test", "tests/lib.test.mjs"], cwd=PROJECT_ROOT / "pwa", capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
