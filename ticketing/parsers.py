"""The API's JSON body parser: DRF's, with a body nested too deeply for Python's parser
answered 400 like any other malformed body (the stock parser lets RecursionError out: a 500)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
