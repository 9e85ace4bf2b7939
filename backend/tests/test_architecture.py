"""The import direction of STYLE.md holds: the import-linter contracts of pyproject.toml
are kept by the app, and they do catch an import that breaks them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]
PYPROJECT = BACKEND / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# A package named like the app, with one module in every layer and only allowed imports.
FAKE_APP: dict[str, str] = {
    "__init__.py": "",
    "cli.py": "import app.main\nimport app.seed.data\n",
    "main.py": "import app.api.routes\nimport app.web.pages\nimport app.providers.sms\n",
    "seed/__init__.py": "",
    "seed/data.py": "import app.services.flow\n",
    "api/__init__.py": "",
    "api/deps.py": "import app.crud.thing\n",
    "api/routes.py": "import app.api.deps\nimport app.services.flow\n",
    "web/__init__.py": "",
    "web/pages.py": "import app.api.deps\nimport app.services.flow\n",
    "services/__init__.py": "",
    "services/flow.py": "import app.crud.thing\nimport app.providers.sms\n",
    "providers/__init__.py": "",
    "providers/sms.py": "import app.core.config\n",
    "crud/__init__.py": "",
    "crud/thing.py": "import app.schema.thing\nimport app.models.thing\nimport app.core.config\n",
    "schema/__init__.py": "",
    "schema/thing.py": "import app.models.thing\nimport app.core.config\n",
    "models/__init__.py": "",
    "models/thing.py": "import app.core.config\n",
    "core/__init__.py": "",
    "core/config.py": "",
    "core/helpers.py": "import app.core.config\n",
}


def lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fake_app(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """The fake package under tmp_path, checked against the real contracts."""
    files = dict(FAKE_APP)
    for name, code in (extra or {}).items():
        files[name] = files.get(name, "") + code
    for name, code in files.items():
        path = tmp_path / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.read_text())
    return tmp_path


def test_the_app_keeps_every_import_contract() -> None:
    result = lint_imports(BACKEND)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_package_that_follows_the_layers_passes(tmp_path: Path) -> None:
    """The fake package is sound, so each failure below is the one import added to it."""
    root = fake_app(tmp_path)
    result = lint_imports(root, pythonpath=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# One import against the direction in each layer, and what the check must report for it.
VIOLATIONS = [
    ("crud/thing.py", "app.services.flow"),
    ("schema/thing.py", "app.services.flow"),
    ("core/helpers.py", "app.models.thing"),
    ("core/config.py", "app.crud.thing"),
    ("services/flow.py", "app.api.deps"),
    ("seed/data.py", "app.api.routes"),
    ("api/routes.py", "app.providers.sms"),
    ("models/thing.py", "app.providers.sms"),
    ("providers/sms.py", "app.crud.thing"),
]


def test_every_import_against_the_direction_is_reported(tmp_path: Path) -> None:
    """(One run for all of them: the check is a subprocess of a few seconds.)"""
    extra: dict[str, str] = {}
    for module, target in VIOLATIONS:
        extra[module] = extra.get(module, "") + f"import {target}\n"
    root = fake_app(tmp_path, extra)
    result = lint_imports(root, pythonpath=root)
    assert result.returncode != 0
    for module, target in VIOLATIONS:
        importer = "app." + module.removesuffix(".py").replace("/", ".")
        assert f"{importer} -> {target}" in result.stdout, result.stdout
