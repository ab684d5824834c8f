"""A webhook receiver for the benchmarks, in a process of its own: answers every POST with 200 and
appends "<Idempotency-Key> <unix time>" to the file it is given. Prints its port, then serves.

    python -m bench.receiver ARRIVALS_FILE
"""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def main() -> None:
    lock = threading.Lock()
    out = Path(sys.argv[1]).open("a", buffering=1)  # noqa: SIM115 - open for the life of the process

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                out.write(f"{self.headers.get('Idempotency-Key', '-')} {time.time():.6f}\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
