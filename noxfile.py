"""nox sessions for tapecheck.

Every session installs the project with pip into its own virtualenv, and passes
``TAPECHECK_DATA`` / ``TAPECHECK_STORE`` through (defaulting them as the CLI does), and
``TAPECHECK_REQUIRE_DATA`` (set by CI: tests that need the real data fail instead of skipping).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
ROOT = Path(__file__).parent.resolve()
# JupyterLab defaults shipped with the project: .py notebooks open as notebooks
JUPYTER_CONFIG = ROOT / "jupyter-config"
CHROMIUM = "/usr/bin/chromium"


def _env() -> dict[str, str]:
    env = {}
    data = os.environ.get("TAPECHECK_DATA") or str((ROOT.parent / "shared" / "data").resolve())
    env["TAPECHECK_DATA"] = data
    for name in ("TAPECHECK_STORE", "TAPECHECK_REQUIRE_DATA"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The default suite: everything but the slow, spark and notebook suites and the longer
    fault-injection tests (marker `faults`; `nox -s faults` runs the whole fault suite)."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-m",
        "not slow and not spark and not notebooks and not faults and not browser",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env=_env(),
    )


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """Crash and concurrency stress at full size (more kills, more writers)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "slow", *session.posargs, env=_env())


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Fault injection: forged and deleted log entries, flipped bytes, kill -9 and races
    during store creation, a full disk (a small tmpfs where `unshare` allows it), a read-only
    store, markup in names, devices and FIFOs."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_faults_*.py")),
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env=_env(),
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff lint and format check, and mypy on the packages (config in pyproject.toml)."""
    # mypy needs the project's own dependencies to see their types
    session.install("-e", ".[lint,notebooks]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHON)
def verify(session: nox.Session) -> None:
    """The main job: ingest the real data into an empty store, verify every article, write
    reports/claims.json and reports/claims.md (with charts), print the call scorecard."""
    session.install("-e", ".")
    env = _env()
    store = env.get("TAPECHECK_STORE") or str(ROOT / ".tapecheck" / "store")
    env["TAPECHECK_STORE"] = store
    if "TAPECHECK_STORE" not in os.environ:
        # the main job starts from an empty store; a store the user pointed us at is theirs,
        # so it is only ever appended to (ingest and verify are idempotent)
        shutil.rmtree(store, ignore_errors=True)
    session.run("tapecheck", "ingest", env=env)
    session.run(
        "tapecheck",
        "verify",
        "--json",
        str(ROOT / "reports" / "claims.json"),
        "--md",
        str(ROOT / "reports" / "claims.md"),
        env=env,
    )
    session.run("tapecheck", "calls", env=env)
    session.run("tapecheck", "fsck", env=env)


@nox.session(python=PYTHON)
def notebooks(session: nox.Session) -> None:
    """Execute every notebook headlessly (nbclient), failing on any error, the article
    notebook once per article; render each to HTML under reports/notebooks/ with its charts
    as PNG. Writes nothing under version control."""
    session.install("-e", ".[notebooks]")
    env = _env()
    env.setdefault("TAPECHECK_STORE", str(ROOT / ".tapecheck" / "store"))
    session.run("tapecheck", "ingest", env=env)  # idempotent: a no-op on a full store
    session.run(
        "python",
        "-m",
        "analysis.notebook_runner",
        "--out",
        str(ROOT / "reports" / "notebooks"),
        *session.posargs,
        env=env,
    )


@nox.session(python=PYTHON)
def readme_chart(session: nox.Session) -> None:
    """Regenerate docs/c07_breakout.png, the README's chart, from the store (on request only;
    the same store and code give the same bytes)."""
    session.install("-e", ".[notebooks]")
    env = _env()
    env.setdefault("TAPECHECK_STORE", str(ROOT / ".tapecheck" / "store"))
    session.run("tapecheck", "ingest", env=env)
    session.run(
        "python",
        "-m",
        "analysis.notebook_runner",
        "--readme-chart",
        str(ROOT / "docs" / "c07_breakout.png"),
        env=env,
    )


def _lab_env() -> dict[str, str]:
    env = _env()
    env.setdefault("TAPECHECK_STORE", str(ROOT / ".tapecheck" / "store"))
    extra = os.environ.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(JUPYTER_CONFIG), extra) if p)
    return env


@nox.session(python=PYTHON)
def lab(session: nox.Session) -> None:
    """Open JupyterLab on notebooks/ with this project's kernel: a double-click on a .py
    notebook opens it as a notebook (jupyter-config/), and charts work offline."""
    session.install("-e", ".[notebooks]")
    env = _lab_env()
    session.run("tapecheck", "ingest", env=env)  # idempotent: a no-op on a full store
    # containers run as root; Jupyter refuses root unless told it is intended
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    session.run("jupyter", "lab", str(ROOT / "notebooks"), *root, *session.posargs, env=env)


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """JupyterLab in headless Chromium (Debian's chromium, driven by Playwright): open the
    article notebook by double-click, run all cells, fail on any script or cell error or any
    chart not drawn; screenshots in reports/browser/. Installs only pip packages."""
    if not Path(CHROMIUM).is_file():
        session.error(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    session.install("-e", ".[test,notebooks,browser]")
    env = _lab_env()
    session.run("tapecheck", "ingest", env=env)
    session.run(
        "pytest",
        "-m",
        "browser",
        "-p",
        "no:cacheprovider",
        "tests/test_browser.py",
        *session.posargs,
        env=env,
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks on the synthetic universe (default sizes S,M; `-- --sizes S,M,L`) and the
    real-data commands: reports/bench.json and reports/bench.md, ratios against baselines
    measured in the same run."""
    session.install("-e", ".[test,bench]")
    session.run("python", "-m", "benchmarks", *session.posargs, env=_env())


JAVA_INSTALL = (
    "install Java 17 (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew "
    "install openjdk@17; conda: conda install -c conda-forge openjdk=17), then check that "
    "`java -version` prints 17 or 21, or point JAVA_HOME at it"
)


def java_problem() -> str | None:
    """Why PySpark 4 cannot start here (it needs Java 17 or 21), or None."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None or not Path(java).exists():
        return "no Java found (no `java` on PATH, JAVA_HOME unset or wrong)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{java} -version failed: {exc}"
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if out.returncode != 0 or found is None:
        return f"{java} -version failed: {(out.stderr or out.stdout).strip()[:200]}"
    major = int(found.group(2) if found.group(1) == "1" else found.group(1))
    if major < 17:
        return f"{java} is Java {major}; PySpark 4 needs Java 17 or later"
    return None


@nox.session(python=PYTHON)
def spark(session: nox.Session) -> None:
    """PySpark parity suite on local[2]: every signal, the screen, Delta versions and
    `verify --backend pyspark` against DuckDB. Needs Java 17 (checked first)."""
    problem = java_problem()
    if problem is not None:
        session.error(f"the Spark suite needs Java: {problem}. To run it, {JAVA_INSTALL}.")
    session.install("-e", ".[test,spark]")
    env = _env()
    env["TAPECHECK_SPARK_MASTER"] = "local[2]"
    session.run("pytest", "-m", "spark", "-p", "no:cacheprovider", *session.posargs, env=env)
