"""Importing this package registers every case. Add a module (e.g. ``models.py`` for W1–W4) and import it here."""

from . import models, ops  # noqa: F401 - registers the cases
