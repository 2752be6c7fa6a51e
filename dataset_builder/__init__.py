"""GlobMed dataset builder: declarative sources -> normalised, screened, deduplicated records -> dataset folder.

The pipeline (see `dataset_builder.pipeline.build`) runs: read (per file) -> adapt (per source) -> normalise ->
quality filters (keep, or drop with a reason) -> splits -> exact dedup -> near-dup + decontamination -> writer.
"""
