"""Every registered route (rule × method) has a row in some domain's access matrix."""

import importlib
import pkgutil

import tests


def _all_cases():
    cases = []
    for module_info in pkgutil.walk_packages(tests.__path__, "tests."):
        if module_info.name.rsplit(".", 1)[-1].startswith("test_access") and module_info.name != __name__:
            cases += importlib.import_module(module_info.name).CASES
    return cases


def test_every_route_is_in_the_access_matrix(app):
    covered = {(c.method, c.rule) for c in _all_cases()}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert not missing, "routes without an access-matrix entry:\n" + "\n".join(missing)


def test_matrix_has_no_stale_rows(app):
    registered = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
    stale = [f"{c.method} {c.rule}" for c in _all_cases() if (c.method, c.rule) not in registered]
    assert not stale, f"matrix rows for routes that do not exist: {stale}"
