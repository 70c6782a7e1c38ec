"""Make the OpenAPI schema describe every error: each operation lists the problem-details
responses it can give, with one shared ``Problem`` schema."""

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details. Extension members give specifics: `seats` "
                   "(unavailable seats), `errors` (invalid fields), `field`, `reason`, "
                   "`retry_after`, `booking`.",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
    "additionalProperties": True,
}
ALWAYS = {"400": "Invalid request", "404": "Not found (or not yours)",
          "405": "Method not allowed",
          "406": "The Accept header allows no media type we answer in (always JSON)",
          "500": "Server error", "503": "Briefly unavailable; see Retry-After"}
WRITES = {"400": "Invalid request", "409": "Conflict", "413": "Request body too large",
          "422": "Idempotency-Key reused with another request",
          "429": "Rate limit or per-client cap; see Retry-After"}
CHECKOUT = {"402": "Payment declined", "410": "The hold has expired"}
STAFF = {"400": "Invalid request", "401": "A valid staff token is required",
         "403": "Not allowed"}


def add_problem_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            errors = dict(ALWAYS)
            if "/staff/" in path:
                errors |= STAFF
            if method in ("post", "put", "patch", "delete"):
                errors |= WRITES
            if path.endswith("/checkout"):
                errors |= CHECKOUT
            if method == "get" and "{" in path:
                errors["400"] = "Invalid request"
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(status, {"description": description, "content": ref})
    return result
