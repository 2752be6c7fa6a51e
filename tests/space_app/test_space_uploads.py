"""Uploads stay inside DATA_DIR and are deleted once checked: the app served on loopback, files sent through
Gradio's own upload route by gradio_client, the Submit callback answering them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from space_app import submission as sub


def files_under(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def test_uploads_land_in_data_dir_and_are_deleted_after_checking(results_dir, tmp_path, monkeypatch,
                                                                   free_port_factory, run_dict):
    from gradio_client import Client, handle_file

    from space_app.app import create_app, launch

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))  # what would go to /tmp goes here, to be seen
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "not-data"))  # restored after the test
    seen: list[str] = []
    check_upload = sub.submit_upload

    def spy(upload, *rest):
        seen.append(upload)  # the path Gradio handed to the callback
        return check_upload(upload, *rest)

    monkeypatch.setattr(sub, "submit_upload", spy)
    data_dir = tmp_path / "data"
    demo = create_app(results_dir, data_dir)
    port = free_port_factory()
    launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    sent = tmp_path / "sent"
    sent.mkdir()
    (sent / "bad.json").write_text('{"schema_version": 1, "model": {"name": 7}}')
    good = run_dict(14)
    good["run_id"] = "uploaded-run-14"
    (sent / "good.json").write_text(json.dumps(good))
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        for name, verdict in (("bad.json", "not accepted"), ("good.json", "pending review")):
            answer = client.predict(handle_file(str(sent / name)), api_name="/handle_submission")
            assert verdict in answer, answer
    finally:
        demo.close()
    uploads = (data_dir / "uploads").resolve()
    assert len(seen) == 2 and all(uploads in Path(path).resolve().parents for path in seen)
    assert not Path(seen[0]).exists() and not Path(seen[1]).exists()
    assert not files_under(uploads)  # the rejected upload and the accepted one are both gone
    stored = files_under(data_dir)
    assert len(stored) == 1 and stored[0].parent == Path("pending")  # only the accepted run, re-serialised
    assert not files_under(system_tmp) and not (tmp_path / "not-data").exists()  # nothing written elsewhere
    assert sorted(p.name for p in sent.iterdir()) == ["bad.json", "good.json"]  # the sender's files are untouched


def test_gradio_is_imported_with_its_temp_dir_in_data_dir(results_dir, tmp_path):
    """Gradio reads GRADIO_TEMP_DIR at import for some folders, so create_app sets it before importing Gradio."""
    code = ("import sys; from space_app.app import create_app; create_app(sys.argv[1], sys.argv[2]); "
            "import gradio.route_utils as r; print(r.DEFAULT_TEMP_DIR)")
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    out = subprocess.run([sys.executable, "-c", code, str(results_dir), str(tmp_path / "data")], env=env,
                         capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == str((tmp_path / "data" / "uploads").resolve())
