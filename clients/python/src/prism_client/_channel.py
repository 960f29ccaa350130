"""What the sync and asyncio clients share: channel credentials and options, replicas, call settings."""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from ._proto.prism.v1 import example_service_pb2_grpc, explain_service_pb2_grpc, model_service_pb2_grpc

# Compact responses of large global jobs pass gRPC's 4 MiB default (10,000 instances x 64 features x
# 10 outputs is 51 MB of attributions). round_robin spreads calls over every address a name resolves
# to (a headless Service's pods); gRPC's default, pick_first, would send them all to one.
DEFAULT_OPTIONS = {"grpc.max_receive_message_length": 1 << 30, "grpc.lb_policy_name": "round_robin"}

# Target schemes whose address part may itself hold commas (ipv4:a:1,b:2), so never split.
_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")

Pem = bytes | str | os.PathLike


def targets(target: str | Sequence[str]) -> list[str]:
    """The replicas to call: a list of targets, a comma-separated string of them, or one target
    (e.g. "dns:///prism-headless:8001", which round_robin spreads over the addresses it resolves to)."""
    if isinstance(target, str):
        names = [target] if target.startswith(_SCHEMES) else target.split(",")
    else:
        names = list(target)
    names = [n.strip() for n in names]
    if not names or not all(names):
        raise ValueError(f"target must name at least one server, with no empty entries; got {target!r}")
    return names


@dataclass
class Replica:
    """One target's channel (grpc's or grpc.aio's) and its stubs."""

    target: str
    channel: Any
    models: model_service_pb2_grpc.ModelServiceStub
    explain: explain_service_pb2_grpc.ExplainServiceStub
    examples: example_service_pb2_grpc.ExampleServiceStub

    @classmethod
    def of(cls, target: str, channel: Any) -> "Replica":
        return cls(target, channel, model_service_pb2_grpc.ModelServiceStub(channel),
                   explain_service_pb2_grpc.ExplainServiceStub(channel),
                   example_service_pb2_grpc.ExampleServiceStub(channel))


def credentials(*, credentials: grpc.ChannelCredentials | None, tls: bool | None, root_certificates: Pem | None,
                certificate_chain: Pem | None, private_key: Pem | None) -> grpc.ChannelCredentials | None:
    """The channel's credentials, or None for a plaintext channel."""
    files = {"root_certificates": root_certificates, "certificate_chain": certificate_chain,
             "private_key": private_key}
    given = [name for name, value in files.items() if value is not None]
    if credentials is not None:
        if given or tls is not None:
            raise ValueError(f"pass either credentials or TLS options ({', '.join(given) or 'tls'}), not both")
        return credentials
    if (certificate_chain is None) != (private_key is None):
        raise ValueError("a client certificate needs both certificate_chain and private_key")
    if tls is False and given:
        raise ValueError(f"tls=False contradicts {', '.join(given)}")
    if not tls and not given:
        return None
    return grpc.ssl_channel_credentials(root_certificates=_pem(root_certificates),
                                        private_key=_pem(private_key), certificate_chain=_pem(certificate_chain))


def _pem(value: Pem | None) -> bytes | None:
    """PEM bytes as they are, a PEM string, or the path of a PEM file."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    with open(value, "rb") as f:
        return f.read()


def options(extra: Sequence[tuple[str, Any]] | None) -> list[tuple[str, Any]]:
    merged = dict(DEFAULT_OPTIONS)
    merged.update(extra or ())
    return list(merged.items())


class CallSettings:
    """The default deadlines and the metadata of every call.

    `timeout` bounds ListModels, GetModel, Predict and ExplainByExample; `explain_timeout` bounds
    Explain, StreamExplain and Evaluate, whose length grows with the job. A call's own timeout overrides either.
    """

    def __init__(self, timeout: float | None, explain_timeout: float | None,
                 metadata: Mapping[str, str] | Sequence[tuple[str, str]] | None):
        self.timeout = timeout
        self.explain_timeout = explain_timeout
        self.metadata = tuple(metadata.items() if isinstance(metadata, Mapping) else metadata or ())

    def __call__(self, timeout: float | None, *, explaining: bool = False) -> dict[str, Any]:
        default = self.explain_timeout if explaining else self.timeout
        return {"timeout": default if timeout is None else timeout, "metadata": self.metadata or None}
