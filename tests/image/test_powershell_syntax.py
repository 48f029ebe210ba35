"""PowerShell read by a real parser: every `image/*.ps1` and the Windows build driver the program renders parse without
a syntax error in tree-sitter-powershell's grammar (issue 18).

No PowerShell runs here, so this is the check that a typo in a script fails `make test` rather than the builder's
first logon an hour into a build. Each ERROR or MISSING node of the parse is reported with its line and column. The
driver is checked as the VM gets it (`render_guest_setup`, placeholders filled in); a driver kept as an `image/*.ps1`
template is checked by the glob as well.

What the grammar (tree-sitter-powershell 0.26.4) gets wrong, found here and pinned by the strict xfails below, so that a
grammar update that fixes one shows up: it rejects some valid Windows PowerShell 5.1 (switch clauses on one line with
no `;` between them, begin/process/end blocks on the line of `param()`, `break`/`continue` with a loop label, a
script that is nothing but a param block), and it accepts `foreach ($i in ) {}`, which PowerShell refuses. The
scripts use none of these. It also rejects PowerShell 7's `? :` and `??`, which Windows PowerShell 5.1 (what the
builder runs) rejects too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from components.builder import render_guest_setup

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "image" / "setup.ps1"
DRIVER = "the Windows build driver (render_guest_setup)"
PARSER = Parser(Language(tree_sitter_powershell.language()))


def syntax_problems(source: str) -> list[str]:
    """`line L, column C: ...` for every ERROR and MISSING node of the parse (columns count characters, from 1)."""
    data = source.encode("utf-8")
    lines = data.split(b"\n")
    problems = []
    for node in _broken_nodes(PARSER.parse(data).root_node):
        row, byte_column = node.start_point
        column = len(lines[row][:byte_column].decode("utf-8", errors="replace")) + 1
        if node.is_missing:
            problems.append(f"line {row + 1}, column {column}: missing {node.type!r}")
        else:
            text = (node.text or b"").decode("utf-8", errors="replace").splitlines() or [""]
            problems.append(f"line {row + 1}, column {column}: syntax error at {text[0][:60]!r}")
    return problems


def _broken_nodes(node: Node) -> Iterator[Node]:
    if node.is_error or node.is_missing:
        yield node
        return
    if node.has_error:
        for child in node.children:
            yield from _broken_nodes(child)


def _scripts() -> dict[str, str]:
    """Every PowerShell file the image uses, and the driver rendered around the default setup script."""
    scripts = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8-sig") for path in _ps1_files()}
    scripts[DRIVER] = render_guest_setup("Windows", SETUP_SCRIPT.read_text(encoding="utf-8"), "1.0.0")
    return scripts


def _ps1_files() -> list[Path]:
    return sorted((ROOT / "image").glob("*.ps1"))


SCRIPTS = _scripts()


def _assert_parses(name: str, source: str) -> None:
    problems = syntax_problems(source)
    assert problems == [], f"{name} does not parse as PowerShell:\n  " + "\n  ".join(problems)


def test_the_check_covers_the_setup_script_and_the_driver() -> None:
    assert SETUP_SCRIPT in _ps1_files() and DRIVER in SCRIPTS
    assert "Set-StrictMode" in SCRIPTS["image/setup.ps1"] and "sysprep" in SCRIPTS[DRIVER]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_script_parses_as_powershell(name: str) -> None:
    _assert_parses(name, SCRIPTS[name])


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_broken_copy_of_each_script_fails_with_its_line_and_column(name: str, tmp_path: Path) -> None:
    lines = SCRIPTS[name].splitlines(keepends=True)
    end_of_function = lines.index("}\n")  # the first top-level function's closing brace
    broken = tmp_path / "broken.ps1"

    # A stray operator on a line of its own, just after the first function.
    broken.write_text("".join([*lines[: end_of_function + 1], "$sum = 1 +* 2\n", *lines[end_of_function + 1 :]]))
    with pytest.raises(AssertionError) as stray:
        _assert_parses(name, broken.read_text())
    assert f"line {end_of_function + 2}, column 11: syntax error at '*'" in str(stray.value)

    # That function's closing brace deleted: the parser reports the brace it misses.
    broken.write_text("".join(lines[:end_of_function] + lines[end_of_function + 1 :]))
    with pytest.raises(AssertionError) as unclosed:
        _assert_parses(name, broken.read_text())
    assert "missing '}'" in str(unclosed.value)


# --- the grammar reads the PowerShell the scripts use -----------------------------------------------------------

VALID_CASES = Path(__file__).with_name("valid_powershell.ps1")


def _valid_cases() -> dict[str, tuple[str, str]]:
    """The cases of valid_powershell.ps1 by name: (source, the node type its parse must contain). A case starts at a
    `#: <case> => <node>` line and runs to the next one."""
    cases = {}
    for block in re.split(r"^#: ", VALID_CASES.read_text(encoding="utf-8"), flags=re.M)[1:]:
        header, _, source = block.partition("\n")
        name, _, node = header.partition(" => ")
        cases[name] = (source.rstrip("\n") + "\n", node)
    return cases


VALID = _valid_cases()


def _nodes(source: str) -> set[str]:
    """Every node's type, and `type=text` for each node (`variable=@p`: a splatted argument)."""
    found: set[str] = set()
    pending = [PARSER.parse(source.encode()).root_node]
    while pending:
        node = pending.pop()
        found |= {node.type, f"{node.type}={(node.text or b'').decode()}"}
        pending.extend(node.children)
    return found


@pytest.mark.parametrize(("source", "node"), VALID.values(), ids=list(VALID))
def test_the_grammar_reads_valid_powershell_as_what_it_is(source: str, node: str) -> None:
    assert syntax_problems(source) == []
    assert node in _nodes(source)


# Valid Windows PowerShell 5.1 the grammar rejects (its false positives): none of it is in the scripts.
FALSE_POSITIVES = {
    "switch clauses on one line": 'switch ($x) { "a" { 1 } default { 2 } }\n',
    "begin/process/end after param() on one line": "function G { param() begin {} process { $_ } end {} }\n",
    "break with a loop label": ":outer foreach ($i in 1..3) { break outer }\n",
    "a script that is only a param block": "param($N = 3)\n",
}


@pytest.mark.xfail(strict=True, reason="tree-sitter-powershell 0.26.4 rejects this valid PowerShell")
@pytest.mark.parametrize("source", FALSE_POSITIVES.values(), ids=list(FALSE_POSITIVES))
def test_known_false_positives_of_the_grammar(source: str) -> None:
    assert syntax_problems(source) == []


@pytest.mark.xfail(strict=True, reason="tree-sitter-powershell 0.26.4 accepts this invalid PowerShell")
def test_known_false_negative_of_the_grammar() -> None:
    assert syntax_problems("foreach ($i in ) { }\n") != []  # PowerShell: "Missing expression after 'in'"
