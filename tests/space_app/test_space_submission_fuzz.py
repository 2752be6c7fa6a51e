"""Property: whatever is uploaded, the Space's validator answers "accepted" or one line saying why not; it never
raises. Random JSON (recursive: any nesting of objects, arrays, strings with lone surrogates, huge integers,
NaN and infinities), mutations of a valid results file, and damaged bytes."""

from __future__ import annotations

import json
import math
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.synthetic_runs import make_run

from space_app import submission as sub

LIMIT = 2_000_000
VALID = make_run(4, random.Random(4))
VALID["results"]["sw-mcqa"]["by_source"] = {"medqa": {"acc": 0.5, "n": 10}}
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(exclude_categories=()), max_size=12)  # surrogates included
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(10**450), 10**450)
           | st.floats(allow_nan=True, allow_infinity=True) | text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=25)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a document: object keys and array positions, at every depth."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*prefix, i))
    return found


PATHS = paths(VALID)[1:]


def answer(raw: bytes) -> None:
    """Validate and check the answer's shape (the call itself must not raise)."""
    run, check = sub.validate_upload(raw, LIMIT, sub.Known())
    if run is not None:
        assert check.ok
        json.dumps(run.to_dict(), allow_nan=False)  # what would be stored is finite JSON
        assert all(math.isfinite(result.score) for result in run.results.values())
    else:
        assert not check.ok and check.message
        assert "\n" not in check.message and len(check.message) <= 320


@FUZZ
@given(json_values)
def test_random_json_gets_an_answer(value):
    answer(json.dumps(value).encode("utf-8"))


@FUZZ
@given(st.sampled_from(PATHS), st.sampled_from(["replace", "delete", "add"]), json_values, text)
def test_mutated_results_files_get_an_answer(path, operation, value, key):
    document = json.loads(json.dumps(VALID))
    node = document
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if operation == "replace":
        node[last] = value
    elif operation == "delete":
        del node[last]
    elif isinstance(node, dict):
        node[key] = value
    else:
        node.insert(last, value)
    answer(json.dumps(document).encode("utf-8"))


@FUZZ
@given(st.data())
def test_damaged_bytes_get_an_answer(data):
    raw = bytearray(json.dumps(VALID).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at + data.draw(st.integers(0, 3))] = data.draw(st.binary(max_size=3))
    answer(bytes(raw))


@FUZZ
@given(st.integers(1, 3000), st.sampled_from(['{"a":', "["]))
def test_deep_nesting_gets_an_answer(depth, opener):
    closer = "}" if opener.startswith("{") else "]"
    answer((opener * depth + "1" + closer * depth).encode("utf-8"))


def test_the_valid_file_is_accepted():
    """The mutations start from a file the validator accepts, so a refusal above is the mutation's doing."""
    run, check = sub.validate_upload(json.dumps(VALID).encode("utf-8"), LIMIT, sub.Known())
    assert check.ok and run is not None
