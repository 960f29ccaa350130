"""A live Prism server for the whole session, started from PRISM_JAR with the models in PRISM_MODELS,
and a fleet of three for a module."""

import contextlib

import pytest
from helpers import start_prism

from prism_client import Client


@pytest.fixture(scope="session")
def server():
    with start_prism() as s:
        yield s


@pytest.fixture(scope="session")
def client(server):
    with Client(server.target, timeout=120) as c:
        yield c



@pytest.fixture(scope="module")
def fleet():
    """Three servers of one test module's own, which its tests may kill."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(start_prism()) for _ in range(3)]
