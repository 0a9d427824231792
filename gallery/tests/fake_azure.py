"""A fake Azure Computer Vision v3.2 server for tests, on 127.0.0.1.

It speaks the REST contract the SDK uses: ``POST /vision/v3.2/analyze`` with
``visualFeatures``, ``language`` and ``model-version`` in the query, the key in
``Ocp-Apim-Subscription-Key`` and the image as a (chunked) octet-stream body. It
validates the image the way Azure does (format, < 4 MB, > 50x50, < 16000x16000)
and answers with colours computed from the pixels. Tests can make it answer
429/5xx or stall for the next N requests, and inspect every request it got.

Register the fixture with ``pytest_plugins = ["gallery.tests.fake_azure"]``.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

ANALYZE_PATH = "/vision/v3.2/analyze"
MAX_BYTES = 4 * 1024 * 1024
FORMATS = {"JPEG": "Jpeg", "MPO": "Jpeg", "PNG": "Png", "GIF": "Gif", "BMP": "Bmp"}
FEATURES = {"categories", "tags", "description", "color", "faces", "imagetype"}
FEATURES |= {"adult", "objects", "brands"}
# Azure's twelve colour names, as it spells them in answers ("Grey", capitalised).
PALETTE = {
    "Black": (0, 0, 0),
    "Blue": (30, 60, 200),
    "Brown": (120, 70, 30),
    "Grey": (128, 128, 128),
    "Green": (40, 160, 40),
    "Orange": (250, 140, 20),
    "Pink": (240, 150, 190),
    "Purple": (120, 40, 150),
    "Red": (210, 30, 30),
    "Teal": (0, 128, 128),
    "White": (255, 255, 255),
    "Yellow": (240, 220, 40),
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    chunked: bool
    status: int = 0  # what the fake answered

    @property
    def body_length(self) -> int:
        return len(self.body)


@dataclass
class _Scripted:
    status: int = 0
    delay: float = 0.0
    retry_after: str | None = None


@dataclass
class FakeAzure:
    """The server's state; ``start()`` binds 127.0.0.1 on a free port."""

    key: str = field(default_factory=lambda: secrets.token_hex(16))
    requests: list[RecordedRequest] = field(default_factory=list)
    # Override the canned captions, e.g. to test choosing the most confident.
    captions: list[dict] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[_Scripted] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, times: int = 1, retry_after=None) -> None:
        """Answer ``status`` (with Azure's error JSON) to the next ``times`` calls."""
        hint = None if retry_after is None else str(retry_after)
        with self._lock:
            self._script += [_Scripted(status=status, retry_after=hint)] * times

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` before answering the next ``times`` calls."""
        with self._lock:
            self._script += [_Scripted(delay=seconds)] * times

    def _next_script(self) -> _Scripted:
        with self._lock:
            return self._script.pop(0) if self._script else _Scripted()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> FakeAzure:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _error_body(code: str, message: str, inner: str | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner, "message": message}
    return {"error": error}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked request bodies
    fake: FakeAzure

    def log_message(self, format, *args) -> None:  # quiet test output
        pass

    def _read_body(self) -> tuple[bytes, bool]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(1024).split(b";")[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks), True
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)  # CRLF after the chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length), False

    def _send_json(self, status: int, payload: dict, headers=None) -> None:
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("apim-request-id", str(uuid.uuid4()))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        body, chunked = self._read_body()
        record = RecordedRequest(
            "POST", url.path, query, dict(self.headers.items()), body, chunked
        )
        self.fake._record(record)
        status, payload, headers = self._answer(url.path, query, body)
        record.status = status
        self._send_json(status, payload, headers)

    def _answer(self, path: str, query: dict, body: bytes) -> tuple[int, dict, dict]:
        if path.rstrip("/") != ANALYZE_PATH:
            return 404, _error_body("404", "Resource not found"), {}
        if self.headers.get("Ocp-Apim-Subscription-Key") != self.fake.key:
            message = (
                "Access denied due to invalid subscription key or wrong API "
                "endpoint. Make sure to provide a valid key for an active "
                "subscription and use a correct regional API endpoint for your "
                "resource."
            )
            return 401, _error_body("401", message), {}
        script = self.fake._next_script()
        if script.delay and self.fake._stopping.wait(script.delay):
            return 503, _error_body("ServiceUnavailable", "shutting down"), {}
        if script.status == 429:
            wait = script.retry_after or "1"
            message = f"Rate limit is exceeded. Try again in {wait} seconds."
            return 429, _error_body("429", message), {"Retry-After": wait}
        if script.status:
            code = "InternalServerError" if script.status >= 500 else "InvalidRequest"
            headers = {"Retry-After": script.retry_after} if script.retry_after else {}
            return script.status, _error_body(code, "Scripted failure."), headers
        features = {
            f.strip().lower()
            for v in query.get("visualFeatures", [])
            for f in v.split(",")
        }
        if not features or not features <= FEATURES:
            message = f"Invalid visual features: {sorted(features)}"
            return 400, _error_body("InvalidRequest", message, "BadArgument"), {}
        if query.get("language", ["en"]) != ["en"]:
            message = "Only 'en' is supported by this fake."
            return (
                400,
                _error_body("InvalidRequest", message, "NotSupportedLanguage"),
                {},
            )
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip() != "application/octet-stream":
            message = "Unsupported media type."
            return (
                415,
                _error_body("InvalidRequest", message, "UnsupportedMediaType"),
                {},
            )
        return analyze_image(body, features, self.fake.captions)


def _invalid(inner: str, message: str) -> tuple[int, dict, dict]:
    return 400, _error_body("InvalidRequest", message, inner), {}


def analyze_image(
    body: bytes, features: set[str], captions: list[dict] | None = None
) -> tuple[int, dict, dict]:
    """Validate like Azure, then answer with pixel-derived colours."""
    if len(body) >= MAX_BYTES:
        return _invalid("InvalidImageSize", "Input image is too large.")
    try:
        with Image.open(io.BytesIO(body)) as im:
            fmt, (width, height) = im.format, im.size
            if fmt not in FORMATS:
                return _invalid(
                    "InvalidImageFormat", "Input data is not a valid image."
                )
            if min(width, height) <= 50:
                message = "Image must be at least 50 pixels in width and height."
                return _invalid("InvalidImageSize", message)
            if max(width, height) >= 16000:
                return _invalid("InvalidImageSize", "Image is too large in dimensions.")
            im.draft("RGB", (64, 64))
            small = im.convert("RGB")
            small.thumbnail((64, 64))
    except Exception:  # anything Pillow can't read is "not an image"
        return _invalid("InvalidImageFormat", "Input data is not a valid image.")
    color = color_block(small)
    bw = color["isBWImg"]
    tags = (
        [("black and white", 0.97), ("monochrome", 0.93), ("text", 0.41)]
        if bw
        else [
            ("colorful", 0.95),
            ("abstract", 0.88),
            (color["dominantColors"][0].lower(), 0.62),
        ]
    )
    caption = "a black and white photo" if bw else "a close up of a colorful background"
    captions = captions or [{"text": caption, "confidence": 0.4873}]
    result: dict = {
        "requestId": str(uuid.uuid4()),
        "metadata": {"width": width, "height": height, "format": FORMATS[fmt]},
        "modelVersion": "2021-05-01",
    }
    if "tags" in features:
        result["tags"] = [{"name": n, "confidence": c} for n, c in tags]
    if "description" in features:
        result["description"] = {"tags": [n for n, _ in tags], "captions": captions}
    if "color" in features:
        result["color"] = color
    return 200, result, {}


def _nearest(rgb: tuple[int, int, int]) -> str:
    return min(
        PALETTE,
        key=lambda n: sum((a - b) ** 2 for a, b in zip(PALETTE[n], rgb, strict=True)),
    )


def color_block(im: Image.Image) -> dict:
    """Azure's colour fields, roughly, from an RGB thumbnail."""
    width, height = im.size
    raw = im.tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    names = [_nearest(p) for p in pixels]
    border = [
        names[y * width + x]
        for y in range(height)
        for x in range(width)
        if x in (0, width - 1) or y in (0, height - 1)
    ]
    centre = [
        names[y * width + x]
        for y in range(height // 4, height - height // 4)
        for x in range(width // 4, width - width // 4)
    ] or names
    bw = all(max(p) - min(p) < 24 for p in pixels)
    # Accent: the commonest vivid pixel colour, as Azure's 6 upper-case hex digits.
    vivid = [p for p in pixels if max(p) - min(p) >= 24] or pixels
    accent = Counter(vivid).most_common(1)[0][0]
    return {
        "dominantColorForeground": Counter(centre).most_common(1)[0][0],
        "dominantColorBackground": Counter(border).most_common(1)[0][0],
        "dominantColors": [  # like Azure: only colours covering a fair share
            n for n, count in Counter(names).most_common(3) if count >= len(names) / 10
        ],
        "accentColor": "".join(f"{v:02X}" for v in accent),
        "isBwImg": bw,
        "isBWImg": bw,
    }


@pytest.fixture
def fake_azure():
    """A running FakeAzure; stopped (stalled handlers released) afterwards."""
    server = FakeAzure().start()
    try:
        yield server
    finally:
        server.stop()
