"""Drop repeated inline scripts from each page.

Jupyter Book 1 and sphinx-thebe both add the same inline ``THEBE_JS_URL``
declaration, and the second copy is a JavaScript error on every page
("Identifier 'THEBE_JS_URL' has already been declared"). This keeps the first
copy of any script that appears twice.
"""

from __future__ import annotations


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body", "")
        # An inline script is known by its body (its filename is None or "").
        key = ("inline", body) if body else ("file", str(script))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
