"""The rule language (groups.rules) is plain Python: no module of it loads Django, the ORM or the
portal's models, so it can be read, tested and reused without a database (DESIGN.md, layers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import dateparse
from hypothesis import given
from hypothesis import strategies as st

import groups.rules
from groups.rules import dates

RULES_DIR = Path(groups.rules.__file__).parent
MODULES = sorted(
    "groups.rules" if path.stem == "__init__" else f"groups.rules.{path.stem}"
    for path in RULES_DIR.glob("*.py")
)
REPO = RULES_DIR.parent.parent

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(",".join(loaded[:5]))
"""


@pytest.mark.parametrize("module", MODULES)
def test_a_rules_module_imports_no_django(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} loads Django: {result.stdout.strip()}"


# groups.rules.dates reads date-time literals as django.utils.dateparse did when the parser used it.
LITERALS = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.from_regex(
        r"\A\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{1,2}(:\d{1,2}([.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?\Z"
    ),
    st.text(alphabet="0123456789-:TZ+. ,", max_size=30),
)


def _outcome(parse, text):
    try:
        value = parse(text)
    except (ValueError, OverflowError) as exc:
        return type(exc)
    return value, getattr(value, "utcoffset", lambda: None)()


@given(LITERALS)
def test_date_literals_read_as_djangos_dateparse(text):
    assert _outcome(dates.parse_datetime, text) == _outcome(dateparse.parse_datetime, text)
    assert _outcome(dates.parse_date, text) == _outcome(dateparse.parse_date, text)
