"""Files only where a form takes one.

A multipart POST may carry a file under any field name; a text field handed a file
(``FileStorage``) breaks the code that expects a string (``.strip()``, ``len()``, hashing)
with a 500. So, before any view, a file under a name its view did not declare with
``accepts_files`` answers 400: every form, customer or console, present or future.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, abort, current_app, request

log = logging.getLogger(__name__)
FILE_FIELDS = "file_fields"  # attribute of a view: the field names that may carry a file


def accepts_files(*names: str) -> Callable[[Callable], Callable]:
    """Let ``names`` carry files on this view (put it under ``@bp.route``)."""

    def mark(view: Callable) -> Callable:
        setattr(view, FILE_FIELDS, frozenset(names))
        return view

    return mark


def refuse_stray_files() -> None:
    """400 for a file under a field name the view does not take files in."""
    if not request.files:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    stray = set(request.files) - getattr(view, FILE_FIELDS, frozenset())
    if stray:
        log.info("upload: %s %s refused: a file where text belongs", request.method, request.path)
        abort(400)


def init_app(app: Flask) -> None:
    """Check every request before its view."""
    app.before_request(refuse_stray_files)
