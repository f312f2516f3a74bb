"""Answers as prose, code as proof: what a worked example prints, shown as wrapped text.

A Markdown extension. A Python example on this site ends its output lines with ``#>`` comments,
which the tests check; in a code block those lines (a reason is a long sentence) run off the
right edge. Each such block is shown instead as the text it prints, wrapped and easy to copy,
followed by the code itself folded away under a summary that says it runs as a test. The page's
Markdown is unchanged, so the tests still run every example.
"""

from __future__ import annotations

import re

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

CODE_BLOCK = re.compile(r'<div class="highlight"><pre>.*?</pre></div>', re.DOTALL)
OUTPUT_LINE = re.compile(r'<span class="c1">#&gt; ?(.*?)</span>')
SUMMARY = "The Python that proves it (it runs as a test on every change)"


def with_output_shown(block: re.Match[str]) -> str:
    """A code block with ``#>`` lines as its printed text, then the code, folded."""
    code = block.group(0)
    printed = OUTPUT_LINE.findall(code)
    if not printed:
        return code
    lines = "\n".join(printed)
    return (
        # Out of the search index: a result's preview shows answers, not an example's output.
        '<div class="proof-output" data-search-exclude>'
        '<p class="proof-output__label">It prints:</p>'
        f"<samp>{lines}</samp></div>"
        f'<details class="proof"><summary>{SUMMARY}</summary>{code}</details>'
    )


class _ShowOutputs(Postprocessor):
    def run(self, text: str) -> str:
        return CODE_BLOCK.sub(with_output_shown, text)


class ProofsExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # After the raw HTML (where the highlighted blocks wait) is put back, at priority 30.
        md.postprocessors.register(_ShowOutputs(md), "proofs", 5)


def makeExtension(**kwargs: object) -> ProofsExtension:
    return ProofsExtension(**kwargs)
