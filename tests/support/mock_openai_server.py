"""A scripted OpenAI-compatible chat server for tests, benchmarks and dry runs (loopback only).

It answers the pipeline's own prompts (it reads the "### Task:" line and the JSON unit) with a plausible
translation built from a small per-language phrasebook, keeping numbers, units and glossary terms, or misbehaves
on purpose: per item (matched on the English question) it can reply with malformed JSON, HTTP 500, HTTP 429,
a slow reply, an HTTP 200 whose body is not JSON, text in the wrong language, or a reviewer that never accepts.
GET /stats counts requests per task and per item, which is how tests prove that a resumed run redoes nothing.

    python tests/support/mock_openai_server.py --port 0 --latency 0.2 --script script.json
    (prints "READY <port>" once listening)

Script JSON: {"default": "good", "rules": [{"match": "train-1 ", "mode": "malformed"}], "slow_s": 5, "fail_first": 2}
Modes: good, malformed, bad_then_good, error500, flaky500, flaky429, slow, garbage_http, wrong_language,
review_revise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PHRASES = {
    "en": "the patient has had severe chest pain for three days with fever and a persistent cough",
    "fr": "le patient présente une douleur thoracique aiguë depuis trois jours avec une fièvre et une toux persistante",
    "es": "el paciente presenta un dolor torácico agudo desde hace tres días con fiebre y tos persistente",
    "de": "der Patient hat seit drei Tagen akute Brustschmerzen mit Fieber und anhaltendem Husten",
    "pt": "o paciente apresenta dor torácica aguda há três dias com febre e tosse persistente",
    "sw": "mgonjwa ana maumivu makali ya kifua kwa siku tatu pamoja na homa na kikohozi kisichoisha",
    "yo": "aláìsàn náà ní ìrora àyà tó le fún ọjọ́ mẹ́ta pẹ̀lú ibà àti ikọ́ tí kò dáwọ́ dúró",
    "zu": "isiguli sinobuhlungu obukhulu besifuba izinsuku ezintathu kanye nomkhuhlane nokukhwehlela okungapheli",
    "wo": "jarag ji am na metit bu tar ci dënn bi ñetti fan ak tàngaay ak sëqët bu dul taxaw",
    "zh": "患者胸部剧烈疼痛已经三天并伴有发烧和持续咳嗽医生建议立即检查",
    "ja": "患者は三日前から激しい胸の痛みがあり発熱と持続する咳を伴っています",
    "ko": "환자는 사흘 전부터 심한 가슴 통증이 있으며 발열과 지속적인 기침을 동반합니다",
}
NO_SPACES = {"zh", "ja"}
_QTY = re.compile(r"\d[\d.,]*(?:\s*(?:mg/dL|mmol/L|mmHg|mcg|mg|mL|kg|IU|bpm|cm|mm|g|L|%|°C)(?![A-Za-z]))?")
_TASK = re.compile(r"^### Task: (\w+)", re.MULTILINE)
_LANG = re.compile(r"^(?:Target|Source) language: .*\((\w+)\)", re.MULTILINE)
_TERM = re.compile(r"^- (.+?) -> (.+)$", re.MULTILINE)


def fake_text(source: str, lang: str, offset: int = 0) -> str:
    """Target-language filler about as long as `source`, followed by the source's numbers with their units."""
    qty = _QTY.findall(source)
    phrase = PHRASES[lang]
    if lang in NO_SPACES:
        n = max(4, int(len(source) * 0.45))
        body = "".join(phrase[(offset + i) % len(phrase)] for i in range(n))
    else:
        words = phrase.split()
        target = max(12, int(len(source) * 0.9))
        out: list[str] = []
        i = offset
        while sum(len(w) + 1 for w in out) < target:
            out.append(words[i % len(words)])
            i += 1
        body = " ".join(out)
    return " ; ".join([body, *qty]).strip()  # ";" so "4" and "112" never read as the number "4 112"


def fake_unit(unit: dict[str, Any], lang: str, terms: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in unit.items():
        if key == "options":
            out[key] = [fake_text(o, lang, offset=3 * i + 1) for i, o in enumerate(value)]
        elif isinstance(value, str):
            out[key] = fake_text(value, lang)
    if "options" in unit and "answer" in unit and unit["answer"] in unit["options"]:
        out["answer"] = out["options"][unit["options"].index(unit["answer"])]
    if terms and "question" in out:
        out["question"] += " " + " ".join(terms)
    return out


def _json_after(text: str, marker: str) -> dict[str, Any]:
    start = text.index("{", text.index(marker))
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj


class MockChatServer:
    """The ASGI app: routes, scripted behaviour, counters."""

    def __init__(self, script: dict[str, Any], latency: float = 0.0) -> None:
        self.default = script.get("default", "good")
        self.rules = script.get("rules", [])
        self.slow_s = float(script.get("slow_s", 5.0))
        self.fail_first = int(script.get("fail_first", 2))
        self.latency = latency
        self.by_task: Counter[str] = Counter()
        self.by_key: Counter[str] = Counter()
        self.attempts: Counter[tuple[str, str]] = Counter()
        self.auth: Counter[str] = Counter()  # Authorization header values seen (tests check the key is sent)

    def mode_for(self, key: str) -> str:
        return next((r["mode"] for r in self.rules if r["match"] in key), self.default)

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | bytes, float]:
        """(status, JSON body or raw bytes, delay) for one chat request."""
        user = body["messages"][-1]["content"]
        task = (_TASK.search(user) or [None, "unknown"])[1]
        lang = (_LANG.search(user) or [None, "fr"])[1]
        if task == "backtranslate":
            unit, key = _json_after(user, "Item (JSON):"), "backtranslate"
        else:
            unit = _json_after(user, "Item (JSON):" if task == "translate" else "English item (JSON):")
            key = unit.get("question", "")
        self.by_task[task] += 1
        self.by_key[key] += 1
        mode = self.mode_for(key)
        self.attempts[(key, task)] += 1
        attempt = self.attempts[(key, task)]
        delay = self.latency
        if mode == "error500":
            return 500, {"error": {"message": "scripted failure"}}, delay
        if mode in ("flaky500", "flaky429") and attempt <= self.fail_first:
            return (500 if mode == "flaky500" else 429), {"error": {"message": "scripted"}}, delay
        if mode == "garbage_http":
            return 200, b"<html>upstream proxy error</html>", delay
        if mode == "slow":
            delay = self.slow_s
        if task == "review":
            if mode == "review_revise":
                content = json.dumps(
                    {
                        "verdict": "revise",
                        "score": 0.2,
                        "issues": [{"field": "question", "problem": "term mistranslated"}],
                    }
                )
            else:
                content = json.dumps({"verdict": "accept", "score": 0.95, "issues": []})
        elif mode == "malformed" or (mode == "bad_then_good" and task == "translate"):
            content = "I am sorry, here is the translation: question -> swali, options unchanged"
        elif task == "backtranslate":
            content = json.dumps(fake_unit(unit, "en", []), ensure_ascii=False)
        else:
            terms = [t.split(" / ")[0] for _, t in _TERM.findall(user)]
            out_lang = ("en" if lang == "fr" else "fr") if mode == "wrong_language" else lang
            content = json.dumps(fake_unit(unit, out_lang, terms), ensure_ascii=False)
        return (
            200,
            {
                "id": "mock",
                "object": "chat.completion",
                "model": body.get("model", "mock"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(content) // 4},
            },
            delay,
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        headers = dict(scope.get("headers") or [])
        if path.endswith("/chat/completions"):
            self.auth[headers.get(b"authorization", b"").decode()] += 1
        if scope["method"] == "GET" and path == "/stats":
            status, payload, delay = (
                200,
                {
                    "requests": sum(self.by_task.values()),
                    "by_task": self.by_task,
                    "by_key": self.by_key,
                    "auth": self.auth,
                },
                0.0,
            )
        elif scope["method"] == "POST" and path.endswith("/chat/completions"):
            try:
                status, payload, delay = self.reply(json.loads(b"".join(chunks)))
            except (ValueError, KeyError, IndexError) as err:
                status, payload, delay = 400, {"error": {"message": f"bad request: {err}"}}, 0.0
        else:
            status, payload, delay = 404, {"error": {"message": "not found"}}, 0.0
        if delay:
            await asyncio.sleep(delay)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ctype = b"text/html" if isinstance(payload, bytes) else b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(data)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every reply")
    parser.add_argument("--script", help="JSON file with the scripted behaviour")
    args = parser.parse_args(argv)
    script = json.loads(Path(args.script).read_text(encoding="utf-8")) if args.script else {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets: no Nagle stalls
    sock.bind((args.host, args.port))
    sock.listen(2048)
    config = uvicorn.Config(
        MockChatServer(script, args.latency),
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=2048,
        timeout_keep_alive=30,
    )
    print(f"READY {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
