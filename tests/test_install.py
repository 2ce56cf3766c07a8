"""``pip install .`` works: the installed package answers from outside the checkout and never writes into itself.

The project is installed (no dependencies, no network, no build isolation) into a temporary folder that
comes first on ``PYTHONPATH``; its dependencies come from the running virtual environment. Each run is
``python -m qa ask`` from a temporary working folder, with the real built-in model, so its first use builds
the index (30-60 s each).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "今年新增就业目标是多少?"
EXPECTED = "新增就业1万人以上"
SOURCE = ("pyproject.toml", "README.md", "qa")  # what setuptools needs to build the wheel


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed with pip into a fresh folder (built from a copy, so the checkout gets no build/)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    target = tmp_path_factory.mktemp("site")
    offline = ("--quiet", "--no-deps", "--no-build-isolation", "--no-index")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", *offline, "--target", str(target), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return target


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: (size, mtime in ns)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def run_installed(site: Path, cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``cwd`` with the installed package first on the path and no QA_* but ``QA_HOME``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_") and k != "PYTHONPATH"}
    env |= {"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "HF_HUB_OFFLINE": "1"}
    if home is not None:
        env["QA_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env, check=False
    )


def test_the_wheel_holds_the_report_and_the_checkout_is_not_imported(site: Path, tmp_path: Path) -> None:
    package = site / "qa"
    assert (package / "data" / "corpus" / "liwan-2025-government-work-report.txt").read_bytes() == (
        ROOT / "corpus" / "liwan-2025-government-work-report.txt"
    ).read_bytes()
    code = "import qa, qa.settings as s; print(qa.__file__); print(s.is_checkout()); print(s.settings().index_root)"
    r = run_installed(site, tmp_path, "-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str(package / "__init__.py"), "False", str(tmp_path / "index")]


@pytest.mark.model
@pytest.mark.parametrize("with_home", [True, False], ids=["QA_HOME", "cwd"])
def test_the_installed_package_answers_from_outside_the_checkout(site: Path, tmp_path: Path, with_home: bool) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    home = tmp_path / "home" if with_home else None
    before = snapshot(site)
    r = run_installed(site, cwd, "-m", "qa", "ask", QUESTION, home=home)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("[answered]") and EXPECTED in r.stdout
    where = home if home is not None else cwd
    assert (where / "index" / "CURRENT").is_file()  # the index was written under QA_HOME, else the working folder
    manifest = (where / "index" / (where / "index" / "CURRENT").read_text().strip() / "manifest.json").read_text()
    assert "liwan-2025-government-work-report" in manifest
    if home is not None:
        assert list(cwd.iterdir()) == []  # with QA_HOME set, nothing lands in the working folder
    assert snapshot(site) == before  # nothing was written inside the installed package (or beside it)


def test_qa_train_refuses_to_write_into_an_installed_package(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    r = run_installed(site, tmp_path, "-m", "qa", "train")
    assert r.returncode == 2
    assert r.stderr.strip() == f"qa train: writes {site / 'qa' / 'data'}/, so it runs only in a checkout of the project"
    assert snapshot(site) == before
