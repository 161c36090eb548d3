"""Multipart bodies built in memory, for uploads sent through the test client or over a socket
(werkzeug's test client spools a large body of its own making to a file that it leaves open
when the app refuses the body unread)."""

from __future__ import annotations

import uuid


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    """``fields`` and one file part ``file``: the body and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
