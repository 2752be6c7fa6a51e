"""The top layer: the commands that span parts (`globmed` CLI, demo, release, validate).

It imports the parts; no part and nothing in the kernel (`globmed/`) imports it. See docs/ARCHITECTURE.md.
"""
