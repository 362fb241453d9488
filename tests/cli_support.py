"""Running the ``genai-base`` command as a real subprocess, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Optional

SECRET = "sk-live-0123456789abcdef"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without ``GENAI_BASE_*`` variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_BASE_") and k not in ("COLUMNS", "NO_COLOR")}
    env.update(extra)
    return env


def cli(*args: str, env: Optional[dict[str, str]] = None, timeout: float = 60, stdin: str = "") -> Any:
    """Run ``python -m genai_base.cli ARGS`` and return the completed process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "genai_base.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else clean_env(),
        input=stdin,
    )


def assert_one_error_line(stderr: str) -> str:
    """The one line of ``stderr`` (no traceback), which names the command."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("genai-base")
    return lines[0]
