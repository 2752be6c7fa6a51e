"""`globmed train` with spies that record what one process saw; for tests/training/test_distributed.py.

    accelerate launch --config_file CFG --num_processes 2 tests/support/train_probe.py PROBE_DIR ROOT train ...

runs `globmed train ...` on every rank and writes PROBE_DIR/rank<R>.json (outside ROOT) with: the distributed
type, backend and world size; the mixture's sample ids in order; a digest of every packed training row in order;
for each training micro-batch, the digests of the packed rows in it; and every path under ROOT this process
created, opened for writing, renamed or removed (a Python audit hook). The same spies (`install`) run in-process
for the 1-process reference run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

WRITE_EVENTS = {"os.mkdir": 0, "os.rename": 1, "os.remove": 0, "os.rmdir": 0, "shutil.rmtree": 0,
                "shutil.copytree": 1, "shutil.copyfile": 1}  # audit event -> index of the written path
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def digest(ids) -> str:
    return hashlib.sha256(json.dumps([int(i) for i in ids]).encode()).hexdigest()[:16]


def install(record: dict[str, Any], setattr: Callable[[object, str, object], None] = setattr) -> None:
    """Spy on the mixture and on the trainer's data (pass monkeypatch.setattr to undo it after an in-process run)."""
    import trl

    import training.data as data_module

    build_mixture = data_module.build_mixture

    def mixture_spy(*args, **kwargs):
        mixed = build_mixture(*args, **kwargs)
        record["mixture_ids"] = list(mixed["id"])
        return mixed

    class ProbeSFTTrainer(trl.SFTTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            state = self.accelerator.state
            record.update(distributed_type=str(state.distributed_type), backend=state.backend,
                          world_size=state.num_processes, rank=state.process_index, steps=[],
                          packed_rows=[digest(row) for row in self.train_dataset["input_ids"]])
            collate, self._probe_batches = self.data_collator, {}

            def collate_spy(examples):
                batch = collate(examples)
                self._probe_batches[digest(batch["input_ids"].flatten())] = [digest(e["input_ids"]) for e in examples]
                return batch

            self.data_collator = collate_spy

        def train(self, *args, **kwargs):
            output = super().train(*args, **kwargs)
            import torch

            with torch.no_grad():  # equal on every rank when the gradients were synchronised
                record["trained_weights"] = [float(p.double().sum()) for p in self.model.parameters()
                                             if p.requires_grad]
            return output

        def training_step(self, model, inputs, num_items_in_batch=None):
            record["wrapped"] = type(model).__name__
            record["steps"].append(self._probe_batches[digest(inputs["input_ids"].flatten())])
            return super().training_step(model, inputs, num_items_in_batch)

    setattr(data_module, "build_mixture", mixture_spy)
    setattr(trl, "SFTTrainer", ProbeSFTTrainer)


def audit_writes(root: Path, record: dict[str, Any]) -> None:
    """Record (event, path) for every write this process makes under `root`."""
    root = root.resolve()
    writes = record.setdefault("writes", [])

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            if isinstance(mode, str):
                writing = any(c in mode for c in "wax+")
            else:
                writing = isinstance(flags, int) and bool(flags & WRITE_FLAGS)
        elif event in WRITE_EVENTS:
            path, writing = args[WRITE_EVENTS[event]], True
        else:
            return
        if writing and isinstance(path, (str, os.PathLike)):
            full = os.path.abspath(os.fspath(path))
            if full == str(root) or full.startswith(str(root) + os.sep):
                writes.append([event, os.path.relpath(full, root)])

    sys.addaudithook(hook)


def main(argv: list[str]) -> int:
    probe_dir, root, command = Path(argv[0]), Path(argv[1]), argv[2:]
    record: dict[str, Any] = {}
    install(record)
    audit_writes(root, record)
    from globmed_kit.cli import main as globmed

    code = globmed(command)
    (probe_dir / f"rank{record.get('rank', 'unknown')}.json").write_text(json.dumps(record))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
