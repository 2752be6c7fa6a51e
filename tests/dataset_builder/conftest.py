"""Fixtures of the builder tests (helpers live in builder_fixtures.py so tests can import them)."""

from builder_fixtures import built, published  # noqa: F401  (pytest fixtures)
