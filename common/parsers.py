"""The API's JSON parser: DRF's, with a document nested past Python's recursion limit a 400.

``json.loads`` raises ``RecursionError`` on a 40 KB body of brackets; DRF lets that through as a
500, to anonymous callers too (the token login parses before any login).
"""

from __future__ import annotations

from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
