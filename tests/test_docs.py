"""The documentation's examples run, and print what the pages say they print.

Each page's ``python`` blocks run in order in one namespace, as a reader would type
them. A ``text`` block that directly follows a ``python`` block is that block's
output, and must match it exactly.
"""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n(\s*(?=```text\n))?", re.S | re.M)


def _examples(page):
    """(code, expected output or None) for each python block of the page."""
    blocks = list(BLOCK.finditer(page.read_text()))
    examples = []
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        if block.group(1) != "python":
            continue
        adjacent = following is not None and following.start() == block.end()
        expected = (
            following.group(2) if adjacent and following.group(1) == "text" else None
        )
        examples.append((block.group(2), expected))
    return examples


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_examples_print_what_the_page_shows(page):
    namespace = {"__name__": "__main__"}
    for number, (code, expected) in enumerate(_examples(page)):
        output = io.StringIO()
        with contextlib.redirect_stdout(output), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, f"{page.name} example {number}", "exec"), namespace)
        if expected is not None:
            assert output.getvalue() == expected, f"{page.name} example {number}"
