"""``genai-base demo``, run as a real subprocess (and on a pseudo-terminal), and the terminal helpers it uses."""

from __future__ import annotations

import io
import itertools
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from genai_base import _plugins
from genai_base.cli._demo import SECTIONS
from genai_base.cli._term import Progress, Terminal, wants_color

from .cli_support import clean_env as _clean_env
from .cli_support import cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")



def _check_demo_output(out: str) -> None:
    assert "embedded fake API server at http://127.0.0.1:" in out
    assert "== sync: SyncAPIClient on requests ==" in out
    assert "== async: AsyncAPIClient on aiohttp ==" in out
    for number, title in enumerate(SECTIONS, 1):
        assert out.count(f"[{number}/{len(SECTIONS)}] {title}") == 2, title
    assert "FAILED" not in out
    # The plain call and the retried one, with each attempt and its wait.
    assert out.count("the server saw GET /echo") == 2
    assert out.count("attempt 1: 503") == 2
    assert out.count("the server sent retry-after-ms: 50") == 2
    assert out.count("waiting 0.050 s before retry 1: as the server asked") == 2
    assert out.count("attempt 2: 503") == 2
    assert len(re.findall(r"waiting 0\.[0-9]{3} s before retry 2: exponential backoff", out)) == 2
    assert out.count("attempt 3: 200") == 2
    assert out.count('200 after 2 retries: {"ok":true,"answer":42}') == 2
    summary = out.strip().splitlines()
    summary_line = next(line for line in summary if line.startswith("Summary:"))
    assert "4 retries" in summary_line


def test_demo_shows_every_section_sync_and_async() -> None:
    started = time.monotonic()
    env = _clean_env(GENAI_BASE_MAX_RETRIES="0", GENAI_BASE_RETRY_POLICY="none", COLUMNS="120")
    result = cli("demo", env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    _check_demo_output(out)
    # The demo runs on the built-in defaults, whatever the environment says.
    assert "Ignoring GENAI_BASE_MAX_RETRIES, GENAI_BASE_RETRY_POLICY" in out
    _check_fits(out, 120)
    assert not ANSI.search(out), "no colour when the output is not a terminal"
    assert elapsed < 20, f"the demo took {elapsed:.1f} s"
    summary = next(line for line in out.splitlines() if line.startswith("Summary:"))
    for index in range(5):
        assert out.count(f'{{"index":{index},"text":"event {index}"}}') == 2
    assert "10 events" in summary
    assert out.count("items [##############################] 300/300") == 2
    # The listing waits for the server (about 150 ms a page), long enough to watch the progress.
    times = [float(t) for t in re.findall(r"300 items in 6 pages, ([0-9.]+) s", out)]
    assert len(times) == 2 and all(t >= 0.8 for t in times), times
    assert out.count("300 items in 6 pages") == 2
    assert "600 items" in summary
    offered = [info for info in _plugins.discover()["serializers"] if info.name == "msgpack"]
    if not offered:
        assert out.count("not installed: no distribution offers a 'msgpack' serializer") == 2
    else:  # e.g. plugins/genai-base-msgpack
        assert out.count(f"serializer 'msgpack' is {offered[0].value} from {offered[0].distribution}") == 2
        assert out.count("the plugin decodes the bytes back to the same data") == 2


def test_a_part_failing_with_an_attribute_error_is_reported_as_failed_not_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The stream and listing parts once took an ImportError/AttributeError for "not landed yet" and
    # skipped; every feature has landed, so such an error is a failure the demo must show (exit 1).
    from genai_base.cli import _demo_sections
    from genai_base.cli._demo import run_demo

    def broken(*_: object) -> None:
        raise AttributeError("'Stream' object has no attribute 'decoder'")

    async def abroken(*_: object) -> None:
        broken()

    monkeypatch.setattr(_demo_sections, "_streamed", broken)
    monkeypatch.setattr(_demo_sections, "_astreamed", abroken)
    monkeypatch.setattr(_demo_sections, "LISTING", "/items/cursor?total=2&limit=1")  # no need to wait here
    monkeypatch.setattr(_demo_sections, "LISTING_TOTAL", 2)
    out = io.StringIO()
    assert run_demo(out, tty=False) == 1
    text = out.getvalue()
    assert text.count("FAILED: AttributeError: 'Stream' object has no attribute 'decoder'") == 2
    assert "FAILED: sync: a streamed response, async: a streamed response." in text
    assert "not available yet" not in text


def _check_fits(out: str, width: int) -> None:
    too_wide = [line for line in out.splitlines() if len(line) > width]
    assert not too_wide, f"wider than {width} columns: {too_wide}"


def _words(out: str) -> str:
    return " ".join(out.split())


def test_demo_fits_the_terminal_width_wrapping_at_word_boundaries() -> None:
    width = 40  # 60 is checked with the msgpack plugin below, 120 with the whole demo above
    result = cli("demo", env=_clean_env(COLUMNS=str(width)))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    _check_fits(out, width)
    text = _words(out)
    # Wrapped lines are whole words: read without the line breaks, the sentences are intact.
    for sentence in ("the plugin decodes the bytes back to the same data",
                     "waiting 0.050 s before retry 1: as the server asked (retry-after-ms: 50)",
                     '200 after 2 retries: {"ok":true,"answer":42}',
                     "the server saw GET /echo with User-Agent:"):
        assert text.count(sentence) == 2, sentence
    # Continuation lines are indented under their first line.
    lines = out.splitlines()
    wrapped = [b for a, b in itertools.pairwise(lines) if a.startswith("  the server saw GET /echo")]
    assert wrapped and all(line.startswith("      ") for line in wrapped)
    # The hex dump is cut to the width, and says so.
    dumps = [line for line in lines if line.strip().startswith("bytes: ")]
    assert len(dumps) == 2 and all(line.endswith(" ...") for line in dumps), dumps
    assert all(re.fullmatch(r"    bytes: ([0-9a-f]{2} )+\.\.\.", line) for line in dumps), dumps
    # The progress lines (plain ones here: not a terminal) fit too, with the bar shrunk.
    progress = [line for line in lines if line.startswith("  items [")]
    assert progress and progress[-1].startswith("  items [#") and "] 300/300" in progress[-1]


def test_demo_says_how_to_install_a_missing_plugin() -> None:
    # No distribution offering 'msgpack' (the entry points found are filtered, after discovery).
    code = (
        "import sys, genai_base; "
        "from genai_base import _plugins; found = _plugins.discover(); "
        "_plugins.discover = lambda: {g: tuple(p for p in i if p.name != 'msgpack') for g, i in found.items()}; "
        "from genai_base.cli import main; sys.exit(main(['demo']))"
    )
    env = _clean_env(COLUMNS="200")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("not installed: no distribution offers a 'msgpack' serializer (installed "
                     "serializers: json); 'pip install genai-base-msgpack' adds it") == 2
    assert "sync: a plugin chosen by name" in out.split("Not shown here:")[1]


def _write_msgpack_plugin(root: Path) -> None:
    """A real (if tiny) third-party distribution offering the 'msgpack' serializer."""
    (root / "demo_msgpack_plugin.py").write_text(
        textwrap.dedent(
            """
            import msgpack

            class MsgpackSerializer:
                media_types = ("application/msgpack",)

                def dumps(self, data):
                    return msgpack.packb(data, use_bin_type=True)

                def loads(self, raw):
                    return msgpack.unpackb(raw, raw=False)
            """
        )
    )
    info = root / "demo_msgpack_plugin-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-msgpack-plugin\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(
        "[genai_base.serializers]\nmsgpack = demo_msgpack_plugin:MsgpackSerializer\n"
    )


def test_demo_uses_the_msgpack_serializer_chosen_by_name(tmp_path: Path) -> None:
    pytest.importorskip("msgpack")
    _write_msgpack_plugin(tmp_path)
    env = _clean_env(COLUMNS="60")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = cli("demo", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    _check_fits(result.stdout, 60)
    out = _words(result.stdout)
    if any(info.name == "msgpack" for info in _plugins.discover()["serializers"]):
        # A real distribution offers it too: the demo picks one explicitly as distribution:name.
        assert out.count("choosing 'demo-msgpack-plugin:msgpack'") == 2
    shown = "serializer 'msgpack' is demo_msgpack_plugin:MsgpackSerializer from demo-msgpack-plugin 0.3"
    assert out.count(shown) == 2
    assert out.count("bytes of application/msgpack") == 2
    assert out.count("the plugin decodes the bytes back to the same data") == 2


def test_demo_says_which_variable_disables_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_base.cli._demo import NotAvailable
    from genai_base.cli._demo_sections import _plugin_info

    if not any(info.name == "msgpack" for info in _plugins.discover()["serializers"]):
        pytest.skip("needs a distribution offering 'msgpack' (plugins/genai-base-msgpack)")
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "*")
    with pytest.raises(NotAvailable) as said:
        _plugin_info()
    assert str(said.value).startswith("installed but disabled by GENAI_BASE_DISABLE_PLUGINS: serializers:msgpack")
    assert str(said.value).endswith("take it out of GENAI_BASE_DISABLE_PLUGINS to see this part")


def _run_on_a_terminal(args: list[str], **env: str) -> tuple[int, str]:
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_base.cli", *args], stdout=slave, stderr=slave, env=_clean_env(**env)
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(10), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_demo_progress_is_redrawn_in_place_on_a_terminal() -> None:
    code, out = _run_on_a_terminal(["demo"], COLUMNS="40", TERM="xterm")
    assert code == 0, out
    # The progress line is redrawn in place as the pages arrive, each drawing within the 40 columns (a
    # wider one would wrap, and the next redraw would leave the wrapped part behind).
    redraws = re.findall(r"\r(  items \[[#.]+\] +\d+/300[^\r\n]*)", out)
    assert len({r.strip() for r in redraws}) >= 6, redraws  # seen at least once a page
    assert all(len(r) <= 39 for r in redraws), redraws
    assert "\r  items [#############] 300/300" in out
    # Colour on a terminal: headings in bold, the 503s in yellow, the 200s in green.
    assert "\x1b[1m== sync: SyncAPIClient on requests ==\x1b[0m" in out
    assert "\x1b[33m  attempt 1: 503" in out and "\x1b[32m  attempt 3: 200" in out
    plain = ANSI.sub("", out.replace("\r\n", "\n"))
    assert all(len(line) <= 40 for line in plain.split("\n") if "\r" not in line), plain


def test_progress_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, "items", 300, tty=False, step=100)
    for count in range(1, 301):
        progress.update(count)
    progress.finish("done")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split("] ")[1] for line in lines] == ["100/300", "200/300", "300/300", "300/300  done"]


def test_progress_redraws_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, "items", 4, tty=True, interval=0)
    for count in range(1, 5):
        progress.update(count, f"page {count}")
    progress.finish()
    text = out.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "\ritems [" + "#" * 30 + "] 4/4  page 4" in text




def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert wants_color(True, {})
    assert not wants_color(True, {"NO_COLOR": "1"})
    assert wants_color(True, {"NO_COLOR": ""})  # no-color.org: set and not empty
    assert not wants_color(True, {"TERM": "dumb"})
    assert not wants_color(False, {})
    out = io.StringIO()
    Terminal(out, tty=True, width=80, color=False).line("FAILED: x", style="red")
    Terminal(out, tty=True, width=80, color=True).line("FAILED: x", style="red")
    assert out.getvalue() == "FAILED: x\n\x1b[31mFAILED: x\x1b[0m\n"


@pytest.mark.parametrize(("no_color", "expected"), [(None, "\x1b[1m== sync ==\x1b[0m\n"), ("1", "== sync ==\n")])
def test_the_demo_on_a_terminal_honours_no_color(monkeypatch: pytest.MonkeyPatch, no_color: str | None,
                                                 expected: str) -> None:
    from genai_base.cli._demo import UI

    monkeypatch.delenv("TERM", raising=False)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    out = io.StringIO()
    ui = UI(out, tty=True, width=80)
    ui.heading("sync")
    assert out.getvalue() == "\n" + expected


@pytest.mark.parametrize("width", [40, 60, 120])
def test_wrap_breaks_at_spaces_and_long_words_at_separators(width: int) -> None:
    term = Terminal(io.StringIO(), width=width)
    text = ("GET /items/cursor?total=300&limit=50&delay_ms=150 with serializer genai_base_msgpack:MsgpackSerializer "
            "and words")
    lines = term.wrap(text, indent=2)
    assert all(len(line) <= width for line in lines), lines
    assert lines[0].startswith("  GET") and all(line.startswith("      ") for line in lines[1:])
    # Joined back, nothing is lost or changed; breaks inside a word come only after ? & / : = ,
    joined = "".join(line.strip() + ("" if line.rstrip()[-1] in "?&/:=," else " ") for line in lines)
    assert " ".join(joined.split()) == text


def test_progress_fits_narrow_terminals() -> None:
    for width, expected in [(80, "  items [##############################] 300/300  page 6"),
                            (40, "  items [#############] 300/300  page 6"),
                            (30, "  items [###########] 300/300"),
                            (20, "  items 300/300")]:
        progress = Progress(io.StringIO(), "items", 300, tty=True, width=width, indent="  ")
        progress.update(300, "page 6")
        assert progress.text() == expected, width
        assert len(progress.text()) < width
    # The bar keeps its length as the count grows (so the count does not jump about).
    progress = Progress(io.StringIO(), "items", 300, tty=True, width=40, indent="  ")
    lengths = set()
    for count in (5, 50, 300):
        progress.update(count, "page 1")
        lengths.add(progress.text().index("]"))
    assert len(lengths) == 1


def test_a_word_that_cannot_be_broken_keeps_a_line_of_its_own() -> None:
    term = Terminal(io.StringIO(), width=20)
    assert term.wrap("serializer genai_base_msgpack:MsgpackSerializer here", indent=2) == [
        "  serializer",
        "      genai_base_msgpack:",  # too wide, but never cut inside a name
        "      MsgpackSerializer",
        "      here",
    ]
