"""The Segment-compatible endpoints through Django: POST /v1/<endpoint>. In production the lean
WSGI path (accord.tracking.wsgi) answers the same requests with less overhead; both call
`ingest.handle`."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accord.tracking.ingest import IngestRequest, cors, handle


@csrf_exempt
def endpoint(request: HttpRequest, name: str) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    headers = cors(origin)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
    elif request.method != "POST":
        response = HttpResponse(
            orjson.dumps({"success": False, "code": "method_not_allowed", "message": "use POST"}),
            status=405,
            content_type="application/json",
        )
        response["Allow"] = "POST, OPTIONS"
    else:
        answer = handle(
            IngestRequest(
                endpoint=name,
                body=request.body,
                authorization=request.headers.get("Authorization", ""),
                content_encoding=request.headers.get("Content-Encoding", ""),
                client_ip=request.META.get("REMOTE_ADDR", ""),
                origin=origin,
            )
        )
        response = HttpResponse(orjson.dumps(answer.body), status=answer.status, content_type="application/json")
        headers = answer.headers
    for header, value in headers.items():
        response[header] = value
    return response
