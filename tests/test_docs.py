"""The docs keep up with the code: every command is in the README, every code is registered."""

from __future__ import annotations

import re

from conftest import REPO_ROOT
from newscorpus.cli import main
from newscorpus.errors import CODES

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SOURCES = {
    path.relative_to(REPO_ROOT).as_posix(): path.read_text(encoding="utf-8")
    for path in (REPO_ROOT / "src" / "newscorpus").rglob("*.py")
}


def test_every_command_is_documented_in_the_readme() -> None:
    undocumented = [name for name in main.commands if f"newscorpus {name}" not in README]
    assert undocumented == []


def test_every_command_has_help() -> None:
    assert all(command.help for command in main.commands.values())


def test_every_code_used_is_registered_and_every_registered_code_is_used() -> None:
    used = set()
    for text in SOURCES.values():
        used |= set(re.findall(r"\"([EW]\d{3})\"", text))
    registered = set(CODES)
    assert used - registered == set()
    assert registered - used == set()


def test_codes_follow_the_stage_ranges() -> None:
    assert all(re.fullmatch(r"[EW][0-4]\d\d", code) for code in CODES)
