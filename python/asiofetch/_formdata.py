"""aiohttp's FormData: form fields and files as a urlencoded or a multipart/form-data body."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

from ._multipart import MultipartWriter
from ._payload import BytesPayload, Payload, get_payload

__all__ = ("FormData",)


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name and not (name.startswith("<") and name.endswith(">")):
        return os.path.basename(name)
    return default


class FormData:
    """Fields and files; `form()` gives the body: urlencoded, or multipart/form-data as soon as
    a field is a file, bytes, or has a content type or a filename."""

    def __init__(
        self,
        fields: Any = (),
        quote_fields: bool = True,
        charset: str | None = None,
        boundary: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._boundary = boundary
        self._fields: list[tuple[dict[str, str], dict[str, str], Any]] = []
        self._is_multipart = default_to_multipart
        self._is_processed = False
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, Mapping) and not isinstance(fields, (MultiDict, MultiDictProxy)):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        return self._is_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        if isinstance(value, io.IOBase):
            self._is_multipart = True
        elif (
            isinstance(value, (bytes, bytearray, memoryview))
            and filename is None
            and content_transfer_encoding is None
        ):
            filename = name
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"filename must be an instance of str. Got: {filename}")
        if filename is None and isinstance(value, io.IOBase):
            filename = guess_filename(value, name)
        disposition = {"name": name}
        if filename is not None:
            disposition["filename"] = filename
            self._is_multipart = True
        headers: dict[str, str] = {}
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type}")
            headers["Content-Type"] = content_type
            self._is_multipart = True
        if content_transfer_encoding is not None:
            if not isinstance(content_transfer_encoding, str):
                raise TypeError(
                    "content_transfer_encoding must be an instance of str. "
                    f"Got: {content_transfer_encoding}"
                )
            headers["Content-Transfer-Encoding"] = content_transfer_encoding
            self._is_multipart = True
        self._fields.append((disposition, headers, value))

    def add_fields(self, *fields: Any) -> None:
        pending = list(fields)
        while pending:
            rec = pending.pop(0)
            if isinstance(rec, io.IOBase):
                self.add_field(guess_filename(rec, "unknown") or "unknown", rec)
            elif isinstance(rec, (MultiDictProxy, MultiDict)):
                pending.extend(rec.items())
            elif isinstance(rec, (list, tuple)) and len(rec) == 2:
                self.add_field(*rec)
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, use .add_field() "
                    f"for passing more complex parameters, got {rec!r}"
                )

    def _urlencoded(self) -> Payload:
        charset = self._charset or "utf-8"
        data = [(disp["name"], value) for disp, _, value in self._fields]
        ctype = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            ctype += f"; charset={charset}"
        return BytesPayload(
            urlencode(data, doseq=True, encoding=charset).encode(), content_type=ctype
        )

    def _multipart(self) -> MultipartWriter:
        if self._is_processed:
            raise RuntimeError("Form data has been processed already")
        writer = MultipartWriter("form-data", boundary=self._boundary)
        for disp, headers, value in self._fields:
            try:
                part = get_payload(
                    value,
                    headers=headers,
                    encoding=self._charset,
                    content_type=headers.get("Content-Type"),
                )
            except Exception as exc:
                raise TypeError(
                    f"Can not serialize value type: {type(value)!r}\n "
                    f"headers: {headers!r}\n value: {value!r}"
                ) from exc
            part.set_content_disposition("form-data", quote_fields=self._quote_fields, **disp)
            part.headers.popall("Content-Length", None)
            writer.append_payload(part)
        self._is_processed = True
        return writer

    def __call__(self) -> Payload:
        return self._multipart() if self._is_multipart else self._urlencoded()
