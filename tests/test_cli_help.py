"""Every command documents itself: help text with an example, and `--help` works for each."""

from __future__ import annotations

import typer

from qualcode.cli.main import app


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield path, command
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_command_has_help_and_leaf_commands_show_an_example(cli):
    root = typer.main.get_command(app)
    seen = list(_commands(root))
    assert len(seen) > 30
    for path, command in seen:
        assert (command.help or "").strip(), f"`qualcode {' '.join(path)}` has no help text"
        if not hasattr(command, "commands") and not command.hidden:
            assert "Example:" in command.help, f"`qualcode {' '.join(path)}` has no example"


def test_help_of_each_command_exits_0(cli):
    root = typer.main.get_command(app)
    for path, _command in _commands(root):
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout


def test_help_says_what_to_type_not_python_types(cli):
    """`--code CODE`, `DOC:N`, `FILE`: never `<list[str]>` or `<str>`."""
    import re

    root = typer.main.get_command(app)
    for path, _command in _commands(root):
        out = cli(*path, "--help").stdout
        assert not re.search(r"<(list|str|int|float|Path|tuple|bool|path)\b", out), (path, out)
    apply = cli("code", "apply", "--help").stdout
    assert "Usage: qualcode code apply [OPTIONS] {DOC:N} {CODE}..." in apply
    assert "--coder CODER" in apply and "--span START:END" in apply
    assert "{FILE}" in cli("code", "import", "--help").stdout
    assert "--code CODE" in cli("segments", "--help").stdout
    assert "{DOC[:N]}" in cli("docs", "show", "--help").stdout
