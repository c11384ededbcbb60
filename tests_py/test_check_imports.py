"""scripts/check_imports.py: the import-cycle check `make lint` runs, on tiny packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_imports.py"


def make_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = pkg / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pkg


def check(pkg: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *flags, str(pkg)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_module_level_cycle_fails(tmp_path: Path) -> None:
    pkg = make_package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": "from .c import thing\n",
            "c.py": "import pkg.a\nthing = 1\n",
            "d.py": "from . import a\n",  # depends on the cycle, is not part of it
        },
    )
    done = check(pkg)
    assert done.returncode == 1
    assert done.stderr.strip() == "import cycle: pkg.a <-> pkg.b <-> pkg.c"


def test_acyclic_package_passes_and_prints_its_graph(tmp_path: Path) -> None:
    pkg = make_package(
        tmp_path,
        {
            "a.py": "import os\nfrom .b import x\n",
            "b.py": "x = 1\n",
            "sub/__init__.py": "from .. import a\n",
            "sub/leaf.py": "from ..b import x\nfrom . import sibling\n",
            "sub/sibling.py": "",
        },
    )
    done = check(pkg, "--graph")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:-1] == [
        "pkg -> (none)",
        "pkg.a -> pkg.b",
        "pkg.b -> (none)",
        "pkg.sub -> pkg.a",
        "pkg.sub.leaf -> pkg.b, pkg.sub.sibling",
        "pkg.sub.sibling -> (none)",
    ]


def test_type_checking_imports_are_not_edges(tmp_path: Path) -> None:
    pkg = make_package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": """\
                from typing import TYPE_CHECKING
                import typing
                if TYPE_CHECKING:
                    from .a import A
                if typing.TYPE_CHECKING:
                    from . import a
                """,
        },
    )
    assert check(pkg, "--deferred").returncode == 0


@pytest.mark.parametrize(
    ("body", "module_level"),
    [
        ("def f():\n    from .a import A\n", False),
        ("class C:\n    def m(self):\n        from . import a\n", False),
        ("try:\n    from . import a\nexcept ImportError:\n    a = None\n", True),
    ],
)
def test_deferred_imports_count_only_with_the_flag(
    tmp_path: Path, body: str, module_level: bool
) -> None:
    pkg = make_package(tmp_path, {"a.py": "from . import b\n", "b.py": body})
    assert check(pkg).returncode == (1 if module_level else 0)
    assert check(pkg, "--deferred").returncode == 1


def test_compiled_module_with_a_stub_is_a_module(tmp_path: Path) -> None:
    # `from . import _core` names the extension module, not the package's __init__.
    pkg = make_package(
        tmp_path,
        {
            "__init__.py": "from .a import x\n",
            "a.py": "from . import _core\nx = 1\n",
            "_core.pyi": "",
        },
    )
    done = check(pkg, "--graph")
    assert done.returncode == 0, done.stderr
    assert "pkg.a -> pkg._core" in done.stdout.splitlines()


def test_the_package_has_no_import_cycle() -> None:
    done = check(ROOT / "python" / "asiofetch", "--deferred")
    assert done.returncode == 0, done.stderr
