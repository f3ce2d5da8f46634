"""Number exercises and figures per chapter: "Exercise 10.2", "Figure 10.3".

Sphinx numbers enumerable nodes (figures, tables, sphinx-exercise's exercises)
within the section numbers of a *numbered* toctree (``numfig_secnum_depth``).
The book's table of contents is not numbered, and cannot be usefully: each part
opens with its own page (``book/part1`` ...), which a numbered toctree would
count as a chapter, so chapter 01 would become 2. Without section numbers
Sphinx counts across the whole book (chapter 04 had Exercises 10-12).

The chapter number is already in every chapter's file name (``NN_slug.ipynb``)
and title, so this extension renumbers after Sphinx: every enumerable node of
``notebooks/NN_*`` gets ``(NN, k)``, counted from 1 in document order within
its kind. sphinx-exercise reads these numbers for the box's title and for
``{ref}`` and ``{numref}`` links, so a link to ``:label: rbm-cd-bias`` reads
"Exercise 10.2" wherever it appears. Pages outside ``notebooks/`` keep
Sphinx's own numbers.
"""

from __future__ import annotations

import re

_CHAPTER = re.compile(r"^notebooks/(\d\d)_")


def chapter_of(docname: str) -> int | None:
    """The chapter number in a notebook's document name, or None for other pages."""
    match = _CHAPTER.match(docname)
    return int(match[1]) if match else None


def _renumber(app, env):
    changed = []
    for docname, by_type in env.toc_fignumbers.items():
        chapter = chapter_of(docname)
        if chapter is None:
            continue
        for figtype, numbers in by_type.items():
            order = sorted(numbers, key=lambda node_id: numbers[node_id])
            renumbered = {node_id: (chapter, k) for k, node_id in enumerate(order, start=1)}
            if renumbered != numbers:
                by_type[figtype] = renumbered
                changed.append(docname)
    return sorted(set(changed))


def setup(app):
    # TocTreeCollector assigns Sphinx's numbers on this event at the default
    # priority (500); this runs after it.
    app.connect("env-get-updated", _renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
