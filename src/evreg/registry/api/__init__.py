"""HTTP: the Confluent-compatible routes (and, later, evreg's own ``/api`` routes)."""
