"""GlobMed release kit: the small core every part shares (languages, record schema, CLI, release glue)."""

__version__ = "0.1.0"
