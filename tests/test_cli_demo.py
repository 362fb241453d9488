# -- demo -----------------------------------------------------------------------


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
    result = cli("demo")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    _check_demo_output(out)
    assert elapsed < 20, f"the demo took {elapsed:.1f} s"
    summary = next(line for line in out.splitlines() if line.startswith("Summary:"))
    if missing_feature("streaming") is None:
        for index in range(5):
            assert out.count(f'{{"index":{index},"text":"event {index}"}}') == 2
        assert "10 events" in summary
    else:
        assert out.count("not available yet: streaming") == 2
    if missing_feature("pagination") is None:
        assert out.count("items [##############################] 300/300") == 2
        assert out.count("300 items in 6 pages") == 2
        assert "600 items" in summary
    else:
        assert out.count("not available yet: pagination") == 2
    offered = [info for info in _plugins.discover()["serializers"] if info.name == "msgpack"]
    if not offered:
        assert out.count("not installed: no distribution offers a 'msgpack' serializer") == 2
    else:  # e.g. plugins/genai-base-msgpack
        assert out.count(f"serializer 'msgpack' is {offered[0].value} from {offered[0].distribution}") == 2
        assert out.count("the plugin decodes the bytes back to the same data") == 2


def test_demo_ignores_configuration_from_the_environment() -> None:
    result = cli("demo", env=_clean_env(GENAI_BASE_MAX_RETRIES="0", GENAI_BASE_RETRY_POLICY="none"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ignoring GENAI_BASE_MAX_RETRIES, GENAI_BASE_RETRY_POLICY" in result.stdout
    _check_demo_output(result.stdout)


def test_demo_says_not_available_yet_for_missing_features() -> None:
    # The features' modules made unimportable (after genai_base itself is imported), as before they landed.
    code = (
        "import sys, genai_base; sys.modules['genai_base._streaming'] = None; "
        "sys.modules['genai_base._pagination'] = None; from genai_base.cli import main; sys.exit(main(['demo']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("not available yet: streaming has not landed") == 2
    assert out.count("not available yet: pagination has not landed") == 2
    assert "0 events, 0 items" in out
    assert "Not shown here: sync: a streamed response, sync: a paginated listing" in out


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
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = cli("demo", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    if any(info.name == "msgpack" for info in _plugins.discover()["serializers"]):
        # A real distribution offers it too: the demo picks one explicitly as distribution:name.
        assert out.count("choosing 'demo-msgpack-plugin:msgpack'") == 2
    shown = "serializer 'msgpack' is demo_msgpack_plugin:MsgpackSerializer from demo-msgpack-plugin 0.3"
    assert out.count(shown) == 2
    assert out.count("bytes of application/msgpack") == 2
    assert out.count("the plugin decodes the bytes back to the same data") == 2

    disabled = cli("demo", env={**env, "GENAI_BASE_DISABLE_PLUGINS": "*"})
    assert disabled.returncode == 0
    assert disabled.stdout.count("installed but disabled by GENAI_BASE_DISABLE_PLUGINS") == 2


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_base.cli", *args], stdout=slave, stderr=slave, env=_clean_env()
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
    if missing_feature("pagination") is not None:
        pytest.skip("pagination has not landed")
    code, out = _run_on_a_terminal(["demo"])
    assert code == 0, out
    redraws = re.findall(r"\r  items \[[#.]+\] \d+/300", out)
    assert redraws, out
    assert "\r  items [##############################] 300/300" in out


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


