"""Every code block of the README runs verbatim (slow: the real model on the seeds).

``python`` and ``sh`` blocks are run as written, in a scratch folder holding copies of
``seeds/`` and ``eval/``, with the project's virtual environment first on PATH and the default
index pointed at a temporary folder. The ``make run`` / ``make test`` block is what
``../shared/checks/fresh-clone.sh`` runs in a fresh clone; ``text`` blocks are command
synopses, not commands.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MODEL_CACHE, REPO

pytestmark = pytest.mark.slow
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
SERVER_PORT = 7860  # the README's gradio_client example names this port


def readme_blocks() -> list[tuple[str, str]]:
    return BLOCK.findall((REPO / "README.md").read_text())


def runnable() -> list[tuple[str, str]]:
    return [(lang, code) for lang, code in readme_blocks()
            if lang in ("python", "sh") and not code.lstrip().startswith("make run")]


def test_the_readme_has_no_block_of_another_kind():
    kinds = {lang for lang, _ in readme_blocks()}
    assert kinds <= {"python", "sh", "text"}
    assert sum(code.lstrip().startswith("make run") for _, code in readme_blocks()) == 1


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "seeds", folder / "seeds")
    shutil.copytree(REPO / "eval", folder / "eval")
    env = {**os.environ, "NEWSQA_CACHE_DIR": str(MODEL_CACHE), "NEWSQA_INDEX_DIR": str(folder / "default-index"),
           "NEWSQA_LLM": "off",  # quoted answers keep these fast; tests/test_local_llm.py covers written ones
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO)}
    return folder, env


@pytest.fixture(scope="module")
def page_server(scratch):
    folder, env = scratch
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", SERVER_PORT)) == 0:
            pytest.fail(f"port {SERVER_PORT} is taken; the README's example needs it free")
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(SERVER_PORT)], cwd=folder,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", SERVER_PORT)) == 0:
                break
        assert server.poll() is None, "qa serve exited"
        time.sleep(0.5)
    yield
    server.terminate()
    assert server.wait(30) == 0  # SIGTERM, as a service manager sends it, stops the page cleanly


@pytest.mark.parametrize("lang,code", runnable(), ids=lambda v: v.split("\n")[0][:40] if "\n" in str(v) else v)
def test_readme_block_runs_verbatim(lang, code, scratch, request):
    folder, env = scratch
    if "127.0.0.1:7860" in code:
        request.getfixturevalue("page_server")
    command = [sys.executable, "-c", code] if lang == "python" else ["bash", "-euo", "pipefail", "-c", code]
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{lang} block failed:\n{code}\n--- stderr ---\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
