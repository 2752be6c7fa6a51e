"""`globmed space`: serve the Space locally, and the maintainer's approve step for submissions."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from globmed.command import Command
from globmed.redact import redact_url

logger = logging.getLogger(__name__)


class SpaceCommand(Command):
    name = "space"
    help = "Serve the GlobMed Space (leaderboard, plots, model pages, submissions, chat) on a local port."
    examples = """  globmed space --results release/results
  globmed space --results release/results --chat-model release/globmed-llm-tiny --port 7861
  globmed space --chat-endpoint http://127.0.0.1:8000/v1 --chat-endpoint-model globmed-llm-8b
  globmed space --data-dir release/space-data --list-pending
  globmed space --data-dir release/space-data --approve 20261125T130000Z-0123456789ab
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from space_app.settings import DEFAULT_DATA_DIR, DEFAULT_RESULTS_DIR, ENV

        parser.add_argument("--results", type=Path, default=None,
                            help=f"folder of results JSON (default: ${ENV['results_dir']}, else {DEFAULT_RESULTS_DIR})")
        parser.add_argument("--results-repo", default=None,
                            help="Hub dataset repo of results JSON, used when no folder is given")
        parser.add_argument("--data-dir", type=Path, default=None,
                            help=f"the Space's writable folder: pending/, approved/ (default: ${ENV['data_dir']}, "
                                 f"else {DEFAULT_DATA_DIR}; `globmed demo --out ROOT` uses ROOT/"
                                 f"{DEFAULT_DATA_DIR.name})")
        parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
        parser.add_argument("--chat-model", type=Path, default=None, help="local model folder for the chat demo")
        parser.add_argument("--chat-endpoint", default=None,
                            help="OpenAI-compatible base URL for the chat demo, e.g. http://127.0.0.1:8000/v1 "
                                 "(API key from $GLOBMED_CHAT_API_KEY or $OPENAI_API_KEY)")
        parser.add_argument("--chat-endpoint-model", default=None, help="model name sent to the endpoint")
        admin = parser.add_mutually_exclusive_group()
        admin.add_argument("--list-pending", action="store_true", help="list pending submissions and exit")
        admin.add_argument("--approve", metavar="ID", help="approve a pending submission (moves it to approved/)")
        admin.add_argument("--reject", metavar="ID", help="reject a pending submission (moves it to rejected/)")

    def run(self, args: argparse.Namespace) -> int:
        from globmed.errors import GlobMedError
        from space_app.settings import DEFAULT_RESULTS_DIR, SpaceSettings

        settings = SpaceSettings.from_env(
            results_dir=args.results, results_repo=args.results_repo, data_dir=args.data_dir,
            chat_model=args.chat_model, chat_endpoint=args.chat_endpoint,
            chat_endpoint_model=args.chat_endpoint_model,
        )
        if args.list_pending or args.approve or args.reject:
            return self._admin(args, settings.data_dir)
        if settings.results_dir is None and not settings.results_repo:
            if not DEFAULT_RESULTS_DIR.is_dir():
                raise GlobMedError(f"no results: {DEFAULT_RESULTS_DIR} does not exist; pass --results DIR "
                                   "(written by `globmed bench --out DIR`) or --results-repo ORG/NAME")
            settings.results_dir = DEFAULT_RESULTS_DIR
        if settings.chat_model is not None and not settings.chat_model.is_dir():
            raise GlobMedError(f"--chat-model {settings.chat_model} is not a folder")
        check_port(args.host, args.port)  # before Gradio is imported: a bad port is one line, at once
        from space_app.app import create_app, launch

        logger.info("space: results=%s repo=%s data=%s chat_model=%s endpoint=%s", settings.results_dir,
                    settings.results_repo or "-", settings.data_dir, settings.chat_model,
                    redact_url(settings.chat_endpoint) or "-")
        launch(create_app(settings=settings), host=args.host, port=args.port)
        return 0

    @staticmethod
    def _admin(args: argparse.Namespace, data_dir: Path) -> int:
        from space_app import submission

        if args.list_pending:
            pending = submission.list_pending(data_dir)
            for submission_id, run in pending.runs:
                print(f"{submission_id}\t{run.run_id}\t{run.model.name}\t{run.model.type}")
            for name, reason in pending.skipped.items():
                print(f"skipped {name} (reject it or fix it): {reason}")
            if not pending.runs and not pending.skipped:
                print(f"no pending submissions in {data_dir / 'pending'}")
            return 0
        if args.approve:
            print(f"approved: {submission.approve(data_dir, args.approve)}")
        else:
            print(f"rejected: {submission.reject(data_dir, args.reject)}")
        return 0


def check_port(host: str, port: int) -> None:
    """The port is a TCP port number and nothing listens on it yet (SO_REUSEADDR, as the server binds, so a port
    in TIME_WAIT after a restart is not refused); Gradio would otherwise fail with a traceback."""
    import socket

    from globmed.errors import GlobMedError

    if not 1 <= port <= 65535:
        raise GlobMedError(f"--port {port}: not a port number; expected 1 to 65535 (default 7860)")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise GlobMedError(f"--port {port}: cannot listen on {host}:{port} ({err.strerror or err}); "
                               "is another server using it? pick another --port") from None
