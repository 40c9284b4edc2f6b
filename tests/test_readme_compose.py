"""The README's compose steps as a newcomer follows them: every file they name exists, and the
`up` command, with the copied env file read from the example it was copied from, passes
`config`. The compose client is a system package of the tests (scripts/system-packages.sh)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Production shape (docker-compose)"


def _section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else None]


def _steps() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", _section(), flags=re.S)
    assert blocks, "the compose section shows no commands"
    return [shlex.split(line, comments=True) for block in blocks for line in block.splitlines() if line.strip()]


def _copies() -> dict[str, str]:
    """copy target -> source, for the `cp` steps: the target exists only once the newcomer copied it."""
    return {words[2]: words[1] for words in _steps() if words[0] == "cp"}


def _compose_client() -> list[str]:
    plugin = shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True)
    if plugin and plugin.returncode == 0:
        return ["docker", "compose"]
    client = shutil.which("docker-compose")
    assert client, "no compose client: `make test` installs docker-compose (scripts/system-packages.sh)"
    return [client]


def test_every_path_the_compose_section_names_exists():
    copies = _copies()
    named = set(re.findall(r"`([\w./-]+\.(?:yml|yaml|example|sh|py|Dockerfile)|[\w.-]+/[\w./-]+)`", _section()))
    for words in _steps():
        named |= {w for w in words if "/" in w or w.startswith(".env")}
    named = {path.rstrip("/") for path in named} - set(copies)
    assert "docker/.env.example" in named  # the example secrets, the copy's source
    missing = sorted(path for path in named if not (REPO_ROOT / path).exists())
    assert not missing, f"the README's compose section names paths that do not exist: {missing}"


@pytest.mark.parametrize("step", [s for s in _steps() if s[:2] == ["docker", "compose"] and "up" in s])
def test_the_compose_up_step_passes_config(step):
    copies = _copies()
    options = step[2 : step.index("up")]
    assert "--env-file" in options, "compose reads docker/.env only when --env-file names it"
    options = [copies.get(word, word) for word in options]  # the copy holds the example's values
    result = subprocess.run(
        [*_compose_client(), *options, "config", "-q"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
