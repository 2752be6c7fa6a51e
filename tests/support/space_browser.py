"""The Space as a visitor meets it: a real server process, timed in real Chromium from the trusted event.

Shared by the browser tests (tests/space_app/) and `make bench-space` (bench/bench_space.py), so the test and the
benchmark time the same thing:

- `serve_space(results, data)`: `python space_app/app.py` (the Space's own entry point) in a child process on a
  free loopback port; yields its URL and pid, so the server's memory is its own, not the test's (`rss_mb`).
- `TIMING_JS`, installed before the page's own scripts: it records every trusted click, input and keydown with
  its `event.timeStamp`, every long main-thread task (PerformanceObserver "longtask"), and lets a caller arm a
  predicate whose first true moment is stamped by a MutationObserver (`arm`/`finished_at`). An interaction's
  time is that stamp minus the trusted event's, both on the page's own clock; the first row's is the stamp itself
  (performance.now() counts from the navigation).
- `ApiTraffic`: the bytes the server sends to the page on its API routes (the SSE stream and the queue calls),
  counted by the Chrome DevTools Protocol as they arrive.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support.processes import stop

CHROMIUM = Path(os.environ.get("GLOBMED_CHROMIUM", "/usr/bin/chromium"))  # Debian's; tests point it elsewhere
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
REPO_ROOT = Path(__file__).resolve().parents[2]
# A leaderboard row that a person can read: its model cell has text and the row has a box on screen.
FIRST_ROW_JS = """() => Array.from(document.querySelectorAll('#leaderboard-table tbody tr')).some((row) => {
  const cell = row.querySelectorAll('td')[1];
  return cell && cell.textContent.trim() && row.getBoundingClientRect().height > 0;
})"""

# The first row's model name, and a predicate: the table ranks by the low-resource mean (its Overall header says
# so) and its first row is the model `want`; used by the browser tests and the benchmark alike.
FIRST_MODEL_JS = ("() => { const c = document.querySelector('#leaderboard-table tbody tr td:nth-child(2)');"
                  " return c ? c.textContent.trim() : null; }")
HEADERS_JS = "() => Array.from(document.querySelectorAll('#leaderboard-table thead th')).map(h => h.textContent.trim())"
LOW_FIRST_JS = f"(want) => ({HEADERS_JS})().some(h => h.includes('Overall (low)')) && ({FIRST_MODEL_JS})() === want"

TIMING_JS = """
(() => {
  const g = window.__globmed = {events: [], longtasks: [], waits: {}};
  for (const type of ['click', 'input', 'keydown']) {
    addEventListener(type, (e) => { if (e.isTrusted) g.events.push([type, e.timeStamp]); }, true);
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) g.longtasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask', buffered: true});
  // arm(name, predicate, arg): g.waits[name] resolves to performance.now() at the first moment predicate(arg)
  // holds, checked after every DOM change (and every 50 ms, for changes no observer sees); fails after 60 s.
  g.arm = (name, predicate, arg) => {
    g.waits[name] = new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error(`${name}: the expected state did not appear in 60 s`)), 60000);
      let observer = null, timer = null;
      const check = () => {
        let ok = false;
        try { ok = predicate(arg); } catch (e) { ok = false; }
        if (!ok) return;
        const at = performance.now();
        if (observer) observer.disconnect();
        clearInterval(timer);
        resolve(at);
      };
      observer = new MutationObserver(check);
      observer.observe(document, {childList: true, subtree: true, characterData: true, attributes: true});
      timer = setInterval(check, 50);
      check();
    });
  };
  g.arm('first-row', FIRST_ROW);
})();
""".replace("FIRST_ROW", FIRST_ROW_JS)


@dataclass
class Server:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_space(results: Path, data: Path, log: Path, timeout_s: float = 180) -> Iterator[Server]:
    """The Space (`space_app/app.py`, settings from GLOBMED_* as on a Hub Space) in a child process."""
    import httpx

    port = free_port()
    env = {**os.environ, "GLOBMED_RESULTS_DIR": str(results), "GLOBMED_DATA_DIR": str(data),
           "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as handle:
        proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "space_app" / "app.py")], stdout=handle,
                                stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the Space exited ({proc.returncode}): {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Space did not answer in {timeout_s:g} s: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield Server(url, proc.pid)
    finally:
        stop(proc)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def new_page(browser, viewport: dict | None = None):
    """A page in a cold browser context (no cache, no storage) with TIMING_JS installed before any script."""
    context = browser.new_context(viewport=viewport or DESKTOP)
    context.add_init_script(TIMING_JS)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def arm(page, name: str, predicate: str, arg: object = None) -> None:
    """Start watching for `predicate` (JS source of a one-argument function) before the action that should
    make it true, so that a fast answer is not missed."""
    page.evaluate(f"([name, arg]) => window.__globmed.arm(name, {predicate}, arg)", [name, arg])


def finished_at(page, name: str) -> float:
    """The page-clock time (ms) at which the armed predicate first held; waits for it."""
    return page.evaluate("name => window.__globmed.waits[name]", name)


def last_event(page, kind: str) -> float:
    """The page-clock time stamp of the latest trusted event of a kind ("click", "input", "keydown")."""
    stamps = page.evaluate("kind => window.__globmed.events.filter(e => e[0] === kind).map(e => e[1])", kind)
    if not stamps:
        raise RuntimeError(f"no trusted {kind} event was seen")
    return stamps[-1]


def events_since(page, kind: str, since: float) -> list[float]:
    return page.evaluate("([kind, since]) => window.__globmed.events.filter(e => e[0] === kind && e[1] >= since)"
                         ".map(e => e[1])", [kind, since])


def now(page) -> float:
    return page.evaluate("() => performance.now()")


def long_tasks(page, start: float, end: float) -> list[float]:
    """Durations (ms) of the main-thread tasks over 50 ms that overlap [start, end] on the page clock."""
    return page.evaluate("([s, e]) => window.__globmed.longtasks.filter(t => t[0] <= e && t[0] + t[1] >= s)"
                         ".map(t => t[1])", [start, end])


class ApiTraffic:
    """Bytes received on the page's Gradio API routes (the event stream and the queue calls), via CDP."""

    def __init__(self, page):
        self.bytes = 0
        self._api: set[str] = set()
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent", self._request)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.send("Network.enable")

    def _request(self, event: dict) -> None:
        if "/gradio_api/" in event["request"]["url"]:
            self._api.add(event["requestId"])

    def _data(self, event: dict) -> None:
        if event["requestId"] in self._api:
            self.bytes += event["dataLength"]

    def heap_mb(self) -> float:
        """JS heap in use after a full garbage collection, in MB."""
        self.cdp.send("HeapProfiler.collectGarbage")
        self.cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        return metrics["JSHeapUsedSize"] / 2**20
