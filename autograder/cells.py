"""What each cell of a source notebook is, and which names it defines and reads.

Kinds (from nbgrader's cell metadata):
    answer  the student writes it (solution, not graded): runs in the student's process
    test    graded and locked: runs in the judge only (its hidden part never reaches the student)
    given   locked, neither answer nor test (setup, data, helpers): runs in both places
    plain   everything else the student may edit (text, demos, plots): the student's process only
    text    markdown and raw cells

A test cell may read the names it defines itself, names defined by given
cells, and the names the student is asked to write: the names an answer cell
of the source binds at its top level (functions, classes, variables) or whose
attributes it assigns (`NN.forward_pass = forward_pass` makes `NN` one).
`check_test_cells` enforces this, so that the same cell runs unchanged in
JupyterLab, under nbgrader and in the judge.
"""
import ast
import builtins
import symtable
from dataclasses import dataclass
from functools import lru_cache

from .notebooks import nbgrader_meta


def kind(cell):
    if cell.get("cell_type") != "code":
        return "text"
    meta = nbgrader_meta(cell)
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    if meta.get("locked"):
        return "given"
    return "plain"


@lru_cache(maxsize=4096)
def python_source(source):
    """The cell as plain Python: IPython's magics and shell escapes turned into calls."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


@lru_cache(maxsize=4096)
def bound_names(source):
    """Names the cell binds at its top level, plus names whose attributes or items it assigns."""
    tree = ast.parse(python_source(source))
    names = set()
    for statement in tree.body:
        for node in _top_level_nodes(statement):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
                base = node.value
                while isinstance(base, (ast.Attribute, ast.Subscript)):
                    base = base.value
                if isinstance(base, ast.Name):
                    names.add(base.id)
    return frozenset(names)


@lru_cache(maxsize=4096)
def imported_names(source):
    """Names the cell binds by an import statement (modules and what it takes from them)."""
    names = set()
    for node in ast.walk(ast.parse(python_source(source))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


def _top_level_nodes(statement):
    """The statement's nodes outside nested function and class bodies (their names are local)."""
    stack = [statement]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(node.decorator_list if not isinstance(node, ast.Lambda) else [])
            continue
        stack.extend(ast.iter_child_nodes(node))


@lru_cache(maxsize=4096)
def global_reads(source):
    """Global names the cell reads anywhere (its top level, functions and lambdas), builtins excluded."""
    table = symtable.symtable(python_source(source), "<cell>", "exec")
    names = set()
    stack = [(table, True)]
    while stack:
        current, top = stack.pop()
        for symbol in current.get_symbols():
            if symbol.is_referenced() and (top or symbol.is_global()):
                names.add(symbol.get_name())
        stack.extend((child, False) for child in current.get_children())
    return frozenset(n for n in names if not hasattr(builtins, n))


def student_names(nb):
    """The names the student is asked to write: bound or attribute-assigned by answer cells."""
    names = set()
    for cell in nb.cells:
        if kind(cell) == "answer":
            names |= bound_names(cell.source)
    return sorted(names)


@dataclass
class Problem:
    grade_id: str
    message: str


def check_test_cells(nb):
    """[Problem] for every test cell that reads a name it may not rely on (see the module docstring)."""
    student = set(student_names(nb))
    given, problems = set(), []
    plain_names = {}
    for cell in nb.cells:
        cell_kind = kind(cell)
        try:
            defined = bound_names(cell.source) if cell_kind != "text" else frozenset()
        except SyntaxError as exc:
            problems.append(Problem(nbgrader_meta(cell).get("grade_id", "?"), f"does not parse: {exc}"))
            continue
        if cell_kind == "given":
            given |= defined
        elif cell_kind == "plain":
            plain_names.update({name: True for name in defined})
        elif cell_kind == "test":
            grade_id = nbgrader_meta(cell).get("grade_id", "?")
            for name in sorted(global_reads(cell.source) - defined - given - student):
                where = "an ordinary cell" if name in plain_names else "no cell before it"
                problems.append(Problem(grade_id, f"reads `{name}`, which is defined by {where}; a test may only "
                                                  f"read names of given cells, of answer cells and its own"))
            for name in sorted(defined & (student | given)):
                problems.append(Problem(grade_id, f"assigns `{name}`, a name of the notebook: a test must not "
                                                  f"change what other cells see (use a name starting with _)"))
    return problems
