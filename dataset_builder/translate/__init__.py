"""Agentic machine translation of GlobMed items (`globmed translate`).

Terminology matched against a glossary, an LLM translation of one JSON unit per item, automatic checks and an
LLM reviewer, revised for up to K rounds, then accepted or flagged; results are cached so a killed run resumes.
"""
