"""The type stubs in stubs/ replace only the `__init__` of the two Azure SDKs, and stay what the SDK's own `__init__`
is without its `if typing.TYPE_CHECKING:` block (stubs/README.md): the same star imports, and only subpackages the SDK
has. An SDK upgrade that changes its top level fails here instead of silently narrowing what mypy sees."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

STUBS = Path(__file__).resolve().parents[2] / "stubs"


def _installed_init(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, f"{package} is not installed"
    return Path(spec.origin)


def _is_type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) == "typing.TYPE_CHECKING"


def _top_level_imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(modules star-imported, names imported with `from . import`) at the module's top level."""
    stars, names = set(), set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if any(alias.name == "*" for alias in node.names):
                stars.add(node.module or "")
            elif node.module is None:
                names |= {alias.name for alias in node.names}
    return stars, names


def _type_checking_subpackages(tree: ast.Module, package: str) -> set[str]:
    found = set()
    for node in tree.body:
        if _is_type_checking_block(node):
            assert isinstance(node, ast.If)
            for statement in node.body:
                if isinstance(statement, ast.Import):
                    found |= {a.name.removeprefix(f"{package}.") for a in statement.names}
    return found


@pytest.mark.parametrize("package", sorted(p.name for p in STUBS.iterdir() if (p / "__init__.pyi").is_file()))
def test_stub_is_the_sdk_init_without_its_type_checking_imports(package):
    real = ast.parse(_installed_init(package).read_text())
    stub = ast.parse((STUBS / package / "__init__.pyi").read_text())
    real_stars, real_names = _top_level_imports(real)
    stub_stars, stub_names = _top_level_imports(stub)
    subpackages = _type_checking_subpackages(real, package)

    assert len(subpackages) > 50  # the block the stub leaves out: every service of the SDK
    assert stub_stars == real_stars  # the same top-level names (the provider, its args)
    assert real_names <= stub_names  # `_utilities`
    assert stub_names - real_names <= subpackages  # the subpackages it names exist in this SDK version
    assert not any(_is_type_checking_block(node) for node in stub.body)
