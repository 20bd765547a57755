"""Benchmark: ``customers import`` of 10,000 rows, on SQLite and on PostgreSQL.

Writes a CSV of ``--rows`` distinct customers, imports it through the CLI command (the same
code the console's import page runs) into a scratch database, and prints the wall time.
Usage: ``.venv/bin/python bench/import_10k.py [--rows 10000] [--pg postgresql+psycopg://…]``
"""

from __future__ import annotations

import argparse
import tempfile
import time

from console import make_app, scratch_database


def write_csv(path: str, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("name,email,phone,type\n")
        for i in range(rows):
            f.write(f"Customer {i},c{i}@example.com,+9198{i:08d},Household\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        write_csv(csv.name, args.rows)
        for kind in ("sqlite", "postgresql"):
            with scratch_database(kind, args.pg) as url:
                app = make_app(url)
                started = time.perf_counter()
                result = app.test_cli_runner().invoke(args=["customers", "import", csv.name])
                took = time.perf_counter() - started
                print(f"{kind:<10} {args.rows} rows: {took:.2f} s  ({result.output.strip()[-40:]})")
                with app.app_context():
                    from otpauth.platform.extensions import db

                    db.engine.dispose()


if __name__ == "__main__":
    main()
