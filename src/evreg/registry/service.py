"""The registry: its context (store, caches, settings) with every use case bound to it.

No HTTP here: callers pass plain values and get dataclasses back, or a
:class:`~evreg.registry.errors.RegistryError`. Every write runs in one database transaction that
holds the subject's lock, and the compatibility check against the subject's live versions runs
inside that same transaction, so two registry processes can never both append a version that
was only checked against a stale latest.

Where each use case lives (:mod:`evreg.registry.usecases`):

- ``register``: :mod:`~evreg.registry.usecases.register`;
- ``list_subjects``, ``list_versions``, ``get_version``, ``get_schema``, ``list_schemas``,
  ``schema_versions``, ``schema_subjects``, ``referenced_by``, ``lookup``, ``ping``:
  :mod:`~evreg.registry.usecases.reads`;
- ``get_config``, ``set_config``, ``delete_config``, ``get_mode``, ``set_mode``,
  ``delete_mode``: :mod:`~evreg.registry.usecases.config`;
- ``test_compatibility``, ``check_against``: :mod:`~evreg.registry.usecases.compatibility`;
- ``delete_subject``, ``delete_version``: :mod:`~evreg.registry.usecases.deletes`;
- ``consumer_check``, ``can_i_deploy``, ``flow_map``, ``get_consumer_checks``,
  ``set_consumer_checks``, ``delete_consumer_checks``: :mod:`~evreg.registry.usecases.consumers`;
- :class:`Views` (diffs, the AsyncAPI view, search, the audit log):
  :mod:`~evreg.registry.usecases.views`.
"""

from __future__ import annotations

from typing import Unpack

from evreg.registry.store import Store
from evreg.registry.usecases.compatibility import Compatibility
from evreg.registry.usecases.config import ConfigAndMode
from evreg.registry.usecases.consumers import ConsumerChecks
from evreg.registry.usecases.context import Context, Settings
from evreg.registry.usecases.deletes import Deletes
from evreg.registry.usecases.reads import Lookups
from evreg.registry.usecases.register import Registration


class RegistryService(Context):
    """Use cases over one :class:`Store`. Thread-safe; share one per process."""

    def __init__(self, store: Store, **settings: Unpack[Settings]) -> None:
        super().__init__(store, **settings)
        reads = Lookups(self)
        self.ping = reads.ping
        self.schema_types = reads.schema_types
        self.list_subjects = reads.list_subjects
        self.list_versions = reads.list_versions
        self.get_version = reads.get_version
        self.get_schema = reads.get_schema
        self.list_schemas = reads.list_schemas
        self.schema_versions = reads.schema_versions
        self.schema_subjects = reads.schema_subjects
        self.referenced_by = reads.referenced_by
        self.lookup = reads.lookup
        self.latest_with_metadata = reads.latest_with_metadata
        self.list_contexts = reads.list_contexts

        config = ConfigAndMode(self)
        self.get_config = config.get_config
        self.set_config = config.set_config
        self.delete_config = config.delete_config
        self.get_mode = config.get_mode
        self.set_mode = config.set_mode
        self.delete_mode = config.delete_mode

        checks = Compatibility(self)
        self.test_compatibility = checks.test_compatibility
        self.check_against = checks.check_against

        consumers = ConsumerChecks(self)
        self.consumer_check = consumers.consumer_check
        self.can_i_deploy = consumers.can_i_deploy
        self.flow_map = consumers.flow_map
        self.get_consumer_checks = consumers.get_consumer_checks
        self.set_consumer_checks = consumers.set_consumer_checks
        self.delete_consumer_checks = consumers.delete_consumer_checks

        self.register = Registration(self, checks, consumers).register

        deletes = Deletes(self)
        self.delete_subject = deletes.delete_subject
        self.delete_version = deletes.delete_version


__all__ = ["RegistryService"]
