"""SQL identifiers (tables, columns, roles) enter a statement only through here, quoted by psycopg2.

Values always travel as bound parameters; identifiers cannot, so every
statement that names a table, column or role from a variable is built with
:func:`statement` (``psycopg2.sql.Identifier`` does the quoting), never with
an f-string.
"""
from __future__ import annotations

from psycopg2 import sql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def composed(template: str, **names: str | tuple[str, ...]) -> sql.Composed:
    """Return ``template`` with each ``{name}`` replaced by the quoted identifier (a tuple: ``schema.table``).

    Literal braces in the template are written ``{{`` and ``}}``.
    """
    return sql.SQL(template).format(**{key: sql.Identifier(*value) if isinstance(value, tuple) else
                                       sql.Identifier(value) for key, value in names.items()})


def statement(bind: Connection | Session, template: str, **names: str | tuple[str, ...]) -> str:
    """Return :func:`composed` as text for SQLAlchemy's ``text()``, quoted for ``bind``'s connection."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    return composed(template, **names).as_string(connection.connection.dbapi_connection)
