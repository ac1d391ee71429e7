"""The dependency rule of DESIGN section 6, checked by import-linter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_domains_depend_one_way():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout


DOMAINS = ("marketplace", "consortium", "catalog", "contracts")
KERNEL_TRANSITIONS = ROOT / "marketplace" / "transitions.py"
# `notifications`: who is told what when the sub-package's lifecycle steps happen (DESIGN section 7's
# table, one module per lifecycle so the rule lives next to it; marketplace.notifications runs them).
VOCABULARY = {"__init__", "models", "validation", "services", "permissions", "queries", "documents", "forms",
              "views", "api", "cli", "notifications",
              # the kernel's hooks a sub-package plugs into, one name each: its demo data, its owners of
              # uploaded documents (`marketplace.documents`), its CSV/API columns (`marketplace.csvexport`),
              # and its CSV download routes where `views.py` is full
              "demo", "attachments", "columns", "exports"}


def _python_files():
    for domain in DOMAINS:
        yield from (ROOT / domain).rglob("*.py")


def _status_assignments(path: Path) -> list[str]:
    """Every place in `path` that assigns a `status` attribute: `x.status = …`, `x.status += …`,
    `setattr(x, "status", …)`, or a tuple assignment that includes `x.status`."""
    import ast

    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def targets(node):
        if isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                yield from targets(element)
        else:
            yield node

    for node in ast.walk(tree):
        assigned = []
        if isinstance(node, ast.Assign):
            assigned = [t for target in node.targets for t in targets(target)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            assigned = list(targets(node.target))
        for target in assigned:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_status_changes_outside_the_transition_mechanism():
    """A lifecycle state changes only in `marketplace.transitions.run` (locked re-read, state check,
    predicate, side effects, audit). A new row may be created with its initial state."""
    offenders = [hit for path in _python_files() if path != KERNEL_TRANSITIONS for hit in _status_assignments(path)]
    assert offenders == [], "status assigned outside marketplace/transitions.py: " + ", ".join(offenders)


def test_the_scan_finds_a_status_assignment(tmp_path):
    """The scan above would notice the bug it guards against."""
    sample = ROOT / "tests" / "marketplace" / "_status_sample.py"
    sample.write_text("def cancel(order):\n    order.status = 'cancelled'\n    a.status, b = 1, 2\n"
                      "    setattr(order, 'status', 'x')\n")
    try:
        assert len(_status_assignments(sample)) == 3
    finally:
        sample.unlink()


def test_no_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in _python_files() if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}, f"modules over 500 lines: {long}"


def test_sub_packages_use_the_file_vocabulary():
    """Inside catalog/ and contracts/, each sub-package's modules are named from DESIGN section 6's
    vocabulary, so a reader knows where a rule lives before opening anything."""
    # contracts.finance keeps its pure arithmetic (`schedules`, `repayments`) beside its Flask parts;
    # contracts.sourcing its RFI conversion (`conversion`) apart from the services; contracts.reporting its
    # admin-fee arithmetic (`fees`).
    allowed_extra = {("catalog", "search"), ("catalog", "listings"), ("contracts", "performance"),
                     ("contracts", "finance"), ("contracts", "sourcing"), ("contracts", "reporting")}
    odd = []
    for domain in ("catalog", "contracts"):
        for package in (ROOT / domain).iterdir():
            if not (package / "__init__.py").exists():
                continue
            for module in package.glob("*.py"):
                if module.stem not in VOCABULARY and (domain, package.name) not in allowed_extra:
                    odd.append(str(module.relative_to(ROOT)))
    assert odd == [], f"modules outside the file vocabulary: {odd}"


def test_views_and_api_modules_never_import_each_other():
    """HTML views and JSON API modules parse input and call services; what they share lives in
    `queries.py` (or the service), so neither depends on another page's or endpoint's module."""
    import re

    pattern = re.compile(r"^\s*from\s+(catalog|contracts|consortium)\.[\w.]*\b(views|api)\s+import|"
                         r"^\s*from\s+(catalog|contracts|consortium)(\.\w+)*\s+import\s+.*\b(views|api)\b", re.M)
    offenders = []
    for path in _python_files():
        if path.stem in ("views", "api"):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in pattern.finditer(path.read_text())]
    assert offenders == [], offenders
