"""``tapecheck --help`` lists every command without importing the heavy libraries, and the
listing says what the commands themselves say."""

from __future__ import annotations

import subprocess
import sys

import typer

from analysis import cli

PROBE = """
import sys
sys.argv = ["tapecheck", *sys.argv[1:]]
from analysis.cli import main
try:
    main()
except SystemExit:
    pass
heavy = ("polars", "ibis", "duckdb", "deltalake", "altair", "pyarrow")
heavy = [m for m in heavy if m in sys.modules]
print("HEAVY", heavy)
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_command_without_heavy_imports():
    out = run("--help")
    assert out.returncode == 0, out.stderr
    for name in ("log", "fsck", "compact", *cli.PLUGINS):
        assert f" {name} " in out.stdout, name
    assert "HEAVY []" in out.stdout


def test_a_command_loads_only_its_own_group():
    out = run("replay", "--help")
    assert out.returncode == 0, out.stderr
    assert "--known-at" in out.stdout
    assert "altair" not in out.stdout.split("HEAVY")[1]


def test_listed_help_is_the_commands_own_first_paragraph():
    app = typer.Typer()
    for module in dict.fromkeys(m for m, _ in cli.PLUGINS.values()):
        if module == "analysis.replay":
            from analysis.replay import replay_command

            app.command("replay")(replay_command)
        else:
            __import__(module, fromlist=["register"]).register(app)
    real = {
        c.name: (c.help or c.callback.__doc__ or "").strip().split("\n\n")[0]
        for c in app.registered_commands
    }
    assert set(real) == set(cli.PLUGINS)
    for name, (_module, listed) in cli.PLUGINS.items():
        assert " ".join(real[name].split()) == listed, name
