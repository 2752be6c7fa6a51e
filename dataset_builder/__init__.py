"""Dataset builder: sources, normalisation, quality filters, dedup, splits, writer, translation and review."""
