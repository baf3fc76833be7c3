"""The event-flow map: which application sends and receives on which channel, and whether each
consumer can read what its producers send.

An AsyncAPI contract describes one application (``x-evreg-application``, else ``info.title``,
else the subject name). Its operations say on which channel addresses it sends and receives,
and with which message payloads. The map is computed on read from the latest live version of
every AsyncAPI subject; the endpoints of a contract are cached by its fingerprint.

Consumer-aware checks pair a sender's message (the writer) with each receiver's message of the
same name on the same address (else the receiver's only message there), and ask whether the
receiver's schema (the reader) accepts every event the sender's allows.
"""

from evreg.registry.flow.consumers import (
    CONSUMER_CHECK_MODES,
    DEFAULT_CONSUMER_CHECKS,
    ConsumerCheck,
    ConsumerFinding,
    check_endpoints,
    describe_consumer_finding,
    message_pairs,
)
from evreg.registry.flow.endpoints import (
    Action,
    Endpoint,
    EndpointMessage,
    application_of,
    application_parameter,
    endpoints,
)
from evreg.registry.flow.graph import Edge, EdgeKey, FlowMap, edge_findings, sender_receiver_pairs

__all__ = [
    "CONSUMER_CHECK_MODES",
    "DEFAULT_CONSUMER_CHECKS",
    "Action",
    "ConsumerCheck",
    "ConsumerFinding",
    "Edge",
    "EdgeKey",
    "Endpoint",
    "EndpointMessage",
    "FlowMap",
    "application_of",
    "application_parameter",
    "check_endpoints",
    "describe_consumer_finding",
    "edge_findings",
    "endpoints",
    "message_pairs",
    "sender_receiver_pairs",
]
