"""Webhook endpoints: https only; loopback only behind the development setting (issue 11)."""

from __future__ import annotations

import pytest

from qorgau.transfers.model import endpoint_problem


@pytest.mark.parametrize(
    "url",
    ["https://mfo.example/leads", "https://mfo.example:8443/hook", "https://8.8.8.8/x"],
)
def test_https_to_a_real_host_is_accepted(url: str) -> None:
    assert endpoint_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://mfo.example/leads",  # plain http
        "ftp://mfo.example/leads",
        "http://127.0.0.1:8000/api/v1/subjects",  # the server's own API
        "https://127.0.0.1:5432/",
        "http://localhost:6379/",
        "http://[::1]:8000/",
        "https://127.1.2.3/",
        "https://api.localhost/",
        "https://user:pw@mfo.example/",
        "https://mfo.example:99999/",
        "https://127.1/",
        "https://0.0.0.0/",
        "https://[::ffff:127.0.0.1]/",
        "https://localhost./",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/leads",
        "https://192.168.1.10/leads",
        "https://[fd00::1]/leads",
        "not a url",
        "",
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    assert endpoint_problem(url) is not None


def test_loopback_only_in_development() -> None:
    assert endpoint_problem("http://127.0.0.1:9000/leads", allow_loopback=True) is None
    assert endpoint_problem("http://localhost:9000/leads", allow_loopback=True) is None
    assert endpoint_problem("http://mfo.example/leads", allow_loopback=True) is not None
