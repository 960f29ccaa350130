"""A server that checks bearer tokens (--tokens-file): the error classes a client gets without the
right token, and the calls it gets through with one."""

import asyncio

import grpc
import pytest
from helpers import SETOSA, start_prism

from prism_client import AsyncClient, Client, PermissionDeniedError, PrismError, UnauthenticatedError

IRIS_TOKEN = "iris-only-5f0e8c2d7b1a4e6f9c3d2b1a0e9f8c7d"
EVERY_MODEL_TOKEN = "every-model-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def bearer(token):
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text(f"# token  models\n{IRIS_TOKEN}  iris\n{EVERY_MODEL_TOKEN}  *\n")
    with start_prism("--tokens-file", str(tokens)) as server:
        yield server


@pytest.mark.parametrize("metadata", [None, bearer("not-a-listed-token")], ids=["no token", "unknown token"])
def test_a_call_without_a_listed_token_is_unauthenticated(guarded, metadata):
    with Client(guarded.target, timeout=30, metadata=metadata) as client:
        with pytest.raises(UnauthenticatedError) as caught:
            client.models()
    error = caught.value
    assert isinstance(error, PrismError)
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert error.reason == "UNAUTHENTICATED"


def test_a_model_outside_the_tokens_list_is_permission_denied(guarded):
    with Client(guarded.target, timeout=30, metadata=bearer(IRIS_TOKEN)) as client:
        assert [m.name for m in client.models()] == ["iris"]
        assert client.explain("iris", SETOSA, "exact_shapley").values.shape == (1, 4, 3)
        for call in (lambda: client.model("breast_cancer"), lambda: client.predict("diabetes", [0.0] * 10),
                     lambda: client.explain("digits", [0.0] * 64, "saliency")):
            with pytest.raises(PermissionDeniedError) as caught:
                call()
            assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
            assert caught.value.reason == "PERMISSION_DENIED"


def test_a_token_for_every_model_reaches_every_model(guarded):
    with Client(guarded.target, timeout=30, metadata=bearer(EVERY_MODEL_TOKEN)) as client:
        assert [m.name for m in client.models()] == ["breast_cancer", "breast_cancer_xgb", "diabetes", "digits", "digits_cnn", "iris"]


def test_the_async_client_raises_the_same_classes(guarded):
    async def calls():
        async with AsyncClient(guarded.target, timeout=30) as anonymous:
            with pytest.raises(UnauthenticatedError):
                await anonymous.model("iris")
        async with AsyncClient(guarded.target, timeout=30, metadata=bearer(IRIS_TOKEN)) as client:
            with pytest.raises(PermissionDeniedError):
                await client.explain("breast_cancer", [0.0] * 30)
            return await client.explain("iris", SETOSA, "exact_shapley")

    assert asyncio.run(calls()).model == "iris"
