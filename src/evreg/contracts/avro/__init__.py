"""Avro schemas: parsed and checked by fastavro, their named types located in the text.

``parse_avro`` reads one (``AvroSchema``: the document, fastavro's parsed form, its Parsing
Canonical Form, ``validate`` for a datum); the compatibility engine compares two by Avro's
schema resolution (``evreg.contracts.compat.diff.avro``).
"""

from evreg.contracts.avro.schema import AvroSchema, Named, Node, parse_avro

__all__ = ["AvroSchema", "Named", "Node", "parse_avro"]
