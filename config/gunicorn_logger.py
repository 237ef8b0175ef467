"""gunicorn's own log lines (its error log and its access log) as the same JSON lines as the
app's, so one log pipeline reads them all.

The access line is built from chosen fields, not from gunicorn's atoms, which hold every
request header (``Authorization`` included): nothing but method, path, query, status, size,
duration, client, user agent and the request id is ever written.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.logs import JsonFormatter


class JsonLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        fields = {
            "request_id": request_id,
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info("%s %s %s", method, path, status, extra={"fields": fields})
        except Exception:
            self.exception("Could not write the access log line")
