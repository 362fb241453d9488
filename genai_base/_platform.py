"""The ``X-Genai-*`` platform headers, computed once per process."""

from __future__ import annotations

import functools
import platform

__all__ = ["platform_headers"]


def _os_name() -> str:
    system = platform.system().lower()
    if system == "darwin":
        return "MacOS"
    if system == "windows":
        return "Windows"
    if system == "linux":
        return "Linux"
    if system.startswith("freebsd"):
        return "FreeBSD"
    if system.startswith("openbsd"):
        return "OpenBSD"
    return f"Other:{system}" if system else "Unknown"


def _arch_name() -> str:
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return "arm64"
    if machine in ("x86_64", "amd64"):
        return "x64"
    if machine in ("i386", "i686", "x86"):
        return "x32"
    if machine.startswith("arm"):
        return "arm"
    return f"other:{machine}" if machine else "unknown"


@functools.cache
def platform_headers(version: str) -> dict[str, str]:
    """Headers that tell the API which library, OS and runtime made the call."""
    return {
        "X-Genai-Lang": "python",
        "X-Genai-Package-Version": version,
        "X-Genai-OS": _os_name(),
        "X-Genai-Arch": _arch_name(),
        "X-Genai-Runtime": platform.python_implementation(),
        "X-Genai-Runtime-Version": platform.python_version(),
    }
