"""Test helpers shared by several test folders and the benchmarks under bench/: synthetic results and release
roots (`cards`, `synthetic_runs`) and a scripted OpenAI-compatible server (`mock_openai_server`).

They live here, not in the product packages, so neither the wheel nor the Space ships them. `tests/` is on
sys.path during pytest (the root conftest.py sits in it); bench scripts add it themselves.
"""
