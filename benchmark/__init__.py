"""GlobMed-Bench: evaluate any LLM per language and task on the dataset folder the builder writes."""
