import pytest
from django.db import connection

from booking import holds


@pytest.fixture(params=["rule-in-sql", "rule-in-python"])
def either_hold_rule(request, monkeypatch):
    """Run the test with holds decided by the SQL function (PostgreSQL's way) and by the Python
    rule (SQLite's way, and a replacement's). On SQLite only the Python rule exists."""
    if request.param == "rule-in-sql" and connection.vendor != "postgresql":
        pytest.skip("the SQL rule is PostgreSQL's")
    monkeypatch.setattr(holds, "IN_DATABASE", request.param == "rule-in-sql")
    return request.param
