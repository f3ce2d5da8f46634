"""A bibliography whose labels read like the citations in the text.

The text cites author-year (``bibtex_reference_style: author_year``): "Hopfield,
1982", "Hinton and Sejnowski, 1983", "Ackley et al., 1985". pybtex's stock
styles label the bibliography [1], [2], ... or [Hop82], so a reader could not
find "Hinton and Sejnowski, 1983" in it. The style ``hinton`` (set as
``bibtex_default_style``) is pybtex's ``plain`` with labels built the way the
citations are, and entries sorted by author, then year.

Two works with the same label (Rumelhart et al., 1986, twice) make Sphinx warn
"duplicate label", which fails the build: give them years "1986a" and "1986b"
in references.bib, and the text and the bibliography both show the letter.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    text = " ".join(person.prelast_names + person.last_names) or " ".join(person.first_names)
    return Text.from_latex(text).render_as("text")


def author_year_label(entry) -> str:
    """'Hebb, 1949', 'Hinton and Sejnowski, 1983', 'Ackley et al., 1985'."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    if not names:
        who = Text.from_latex(entry.fields.get("title", entry.key)).render_as("text")
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year_label(entry)


class HintonStyle(PlainStyle):
    default_label_style = "hinton_author_year"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "hinton_author_year", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "hinton", HintonStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
