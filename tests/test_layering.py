"""The core packages stay a library: no web framework or database in them (DESIGN §2)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "huey", "uvicorn", "api")


@pytest.mark.parametrize("package", ["transcribe", "analyze", "models"])
def test_core_package_source_imports_no_service_code(package: str) -> None:
    offenders = []
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_the_core_loads_no_engine_or_service() -> None:
    code = (
        "import sys, transcribe, analyze, models\n"
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'faster_whisper', 'ctranslate2', 'torch',"
        " 'spacy', 'simplemma') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
