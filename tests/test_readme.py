from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_it_installs_only_the_portal_in_the_quick_start_and_the_dev_extra_for_the_tests():
    blocks = _shell_blocks((ROOT / "README.md").read_text())
    quick_start, tests = blocks[0].strip(), blocks[1].strip()
    assert "pip install -e . " in quick_start and "[dev]" not in quick_start
    assert "runserver" in quick_start
    assert '".[dev]"' in tests and tests.endswith("-m pytest")


def test_it_keeps_the_ci_test_command_in_step_with_the_readme():
    readme_command = _shell_blocks((ROOT / "README.md").read_text())[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    (ci_command,) = re.findall(r"^TEST_COMMAND='(.*)'$", ci, flags=re.M)
    assert ci_command == readme_command
