"""The registry's use cases, one module per concern; each step runs in a unit of work of the
store (:mod:`evreg.registry.store.work`) and :class:`~evreg.registry.service.RegistryService`
binds them together:

- :mod:`.context`: what they share (the store, the caches, the settings);
- :mod:`.prepare`: a schema input loaded once, its references pinned, stored contracts;
- :mod:`.register`: registering (with an AsyncAPI contract's payload subjects);
- :mod:`.reads`: subjects, versions, schemas by id, lookups;
- :mod:`.config`: compatibility config and mode;
- :mod:`.compatibility`: checks against earlier versions;
- :mod:`.deletes`: soft and permanent deletes, and deleting a per-subject setting;
- :mod:`.consumers`: consumer-aware checks and the event-flow map;
- :mod:`.views`: evreg's read-only views (diffs, the AsyncAPI view, search, the audit log).
"""
