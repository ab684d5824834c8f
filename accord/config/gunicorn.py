"""gunicorn settings for `accord serve` and production. Override with GUNICORN_CMD_ARGS."""

import multiprocessing
import os
from pathlib import Path

bind = f"{os.environ.get('ACCORD_HOST', '127.0.0.1')}:{os.environ.get('ACCORD_PORT', '8000')}"
workers = int(os.environ.get("ACCORD_WEB_WORKERS", str(max(2, multiprocessing.cpu_count()))))
threads = int(os.environ.get("ACCORD_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = os.environ.get("ACCORD_ACCESS_LOG", "-") or None  # empty: no access log
forwarded_allow_ips = os.environ.get("ACCORD_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (gunicornc) lives beside the data, one per installation, owner-only;
# the default (~/.gunicorn/gunicorn.ctl) would be shared by every gunicorn the same user starts.
control_socket = str(Path(os.environ.get("ACCORD_DATA_DIR", str(Path.cwd() / "var"))).resolve() / "gunicorn.ctl")
control_socket_mode = 0o600
control_socket_disable = os.environ.get("ACCORD_GUNICORN_CONTROL_SOCKET", "on").lower() in {"off", "false", "0", "no"}
