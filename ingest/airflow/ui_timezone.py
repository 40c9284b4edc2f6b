"""The Airflow UI opens on the city's clock: a root middleware of the api-server that gives each
HTML page a tiny script choosing the city's zone in the UI's time-zone picker, unless the viewer
chose one already.

Airflow 3 has no server-side default zone for its UI: the React UI keeps the chosen zone in
the browser's localStorage under ``timezone`` (JSON-encoded, as its useLocalStorage hook writes
it) and falls back to the browser's own zone, so a browser on UTC reads every run eight hours
off. The zone is Airflow's [core] default_timezone as the environment sets it
(ingest.airflow.local_runner.airflow_env, docker-compose.yml), else ingest.config.city_timezone().

Registered through the entry point ``airflow.plugins`` in pyproject.toml, so every install of
the project (`make install`, the docker image) loads it.
"""

from __future__ import annotations

import json
import os
import re

from airflow.plugins_manager import AirflowPlugin

from ingest.config import city_timezone

STORAGE_KEY = "timezone"  # the UI's localStorage key (airflow/ui: useLocalStorage("timezone", browser zone))
_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)  # not <header>


def ui_timezone() -> str:
    return os.environ.get("AIRFLOW__CORE__DEFAULT_TIMEZONE") or city_timezone()


def timezone_script(zone: str) -> bytes:
    """Sets the UI's zone before its bundle runs; a choice already stored is left alone."""
    key, value = json.dumps(STORAGE_KEY), json.dumps(json.dumps(zone))
    body = f"try{{if(localStorage.getItem({key})===null)localStorage.setItem({key},{value})}}catch(e){{}}"
    return b"<script>" + body.replace("</", "<\\/").encode() + b"</script>"


class CityTimezoneMiddleware:
    """ASGI middleware: HTML responses (uncompressed, with a <head>) get the script first thing in
    their head; every other response passes through untouched and unbuffered."""

    def __init__(self, app, zone: str | None = None):
        self.app = app
        self.script = timezone_script(zone or ui_timezone())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def intercept(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                is_html = headers.get(b"content-type", b"").startswith(b"text/html")
                if is_html and b"content-encoding" not in headers:
                    start = message  # held until the whole body is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = _HEAD.sub(lambda m: m.group(0) + self.script, b"".join(chunks), count=1)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, intercept)


class CityTimezonePlugin(AirflowPlugin):
    name = "swdw_ui_timezone"
    fastapi_root_middlewares = [{"middleware": CityTimezoneMiddleware, "name": "swdw: the UI on the city's clock"}]
