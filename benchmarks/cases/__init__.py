"""Importing this package registers every case. Add a module (e.g. ``models.py`` for W1–W4) and import it here."""

from . import cnn, models, ops, sequence  # noqa: F401 - registers the cases
