"""Every command README.md shows runs as written from the repository root.

The rule: each line of a ``sh`` code block that starts with ``lowalp`` is run through
:func:`lowalp.cli.main` from the repository root and must exit 0 (the README's "work was
done"). Lines of the subcommands in ``LONG_RUNNING`` are not run: ``serve`` does not return,
and ``synth``/``screen`` generate and screen about a million rows (their own tests run them on
small data). Files a command writes (``-o``, ``--out``, ``--rejects``) go to a temporary folder
instead of the repository. The ``python`` blocks are run too, in order, as one session.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from lowalp.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LONG_RUNNING = frozenset({"serve", "synth", "screen"})
WRITES = frozenset({"-o", "--output", "--out", "--rejects"})
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _blocks(language: str) -> list[str]:
    return [
        body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == language
    ]


def _commands() -> list[list[str]]:
    commands = []
    for body in _blocks("sh"):
        for line in body.splitlines():
            if line.startswith("lowalp "):
                commands.append(shlex.split(line, comments=True)[1:])
    return commands


COMMANDS = _commands()
RUN = [c for c in COMMANDS if c[0] not in LONG_RUNNING]


def test_the_readme_shows_commands_and_the_rule_leaves_most_to_run() -> None:
    assert len(RUN) >= 12, RUN
    assert {c[0] for c in COMMANDS} - {c[0] for c in RUN} == LONG_RUNNING
    # every sample file the README names is in the repository
    for args in RUN:
        for arg in args:
            if "/" in arg and not arg.startswith("-"):
                assert (ROOT / arg).exists(), arg


@pytest.mark.parametrize("args", RUN, ids=[" ".join(c) for c in RUN])
def test_a_readme_command_runs_as_written(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    shown = list(args)
    for i, arg in enumerate(shown[:-1]):
        if arg in WRITES:
            shown[i + 1] = str(tmp_path / Path(shown[i + 1]).name)
    assert main(shown) == 0
    for i, arg in enumerate(shown[:-1]):
        if arg in WRITES:
            assert Path(shown[i + 1]).exists(), shown[i + 1]


def test_the_readme_python_examples_run_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    blocks = _blocks("python")
    assert blocks
    namespace: dict[str, object] = {}  # one session: a later block uses an earlier import
    for n, body in enumerate(blocks, 1):
        exec(compile(body, f"README.md python block {n}", "exec"), namespace)
