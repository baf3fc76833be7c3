"""Alembic environment and versions, shipped inside the package and run on startup."""
