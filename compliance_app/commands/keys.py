"""`keys rotate` / `keys new`: move the database's secrets to new keys; `keys rotate-signing` /
`keys new-signing`: add a snapshot-signing key (DESIGN.md §6)."""

from __future__ import annotations

import typer

from compliance_app.commands._common import print_json
from compliance_app.db import check_database
from compliance_app.schema_version import require_current_schema
from compliance_app.services import key_rotation, keys, signing


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="Encryption keys of integration secrets.", no_args_is_help=True)

    @keys_app.command("rotate")
    def rotate(
        legacy_secret_key: list[str] = typer.Option(
            [], "--legacy-secret-key", envvar="LEGACY_SECRET_KEY",
            help="SECRET_KEY an earlier version stored secrets under (read once; may repeat)"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Re-encrypt every stored secret under this process's newest key and make these keys
        the database's (run it with the keys every process will use from now on)."""
        check_database()
        require_current_schema()
        result = key_rotation.rotate_encrypted_columns(legacy_secret_key)
        if as_json:
            print_json({"reencrypted": result.reencrypted, "from_legacy": result.from_legacy,
                        "fingerprint": result.fingerprint})
            return
        typer.echo(f"re-encrypted {result.reencrypted} secret(s) ({result.from_legacy} from the legacy key); "
                   f"the database now expects keys with fingerprint {result.fingerprint[:12]}")

    @keys_app.command("new")
    def new() -> None:
        """Print a fresh random key to put first in ENCRYPTION_KEYS before `keys rotate`."""
        typer.echo(keys.new_fernet_key())

    @keys_app.command("rotate-signing")
    def rotate_signing(as_json: bool = typer.Option(False, "--json", help="Print one JSON document")) -> None:
        """Make a new key the installation's snapshot-signing key; old public keys stay published.

        One machine: generates it into DATA_DIR/signing_key. Several: put a new SIGNING_KEY
        (`keys new-signing`) in every process's environment, then run this once."""
        check_database()
        require_current_schema()
        result = signing.rotate_signing_key()
        if as_json:
            print_json({"keyid": result.keyid, "previous_keyid": result.previous_keyid})
            return
        where = f" (written to {result.wrote_file})" if result.wrote_file else " (from SIGNING_KEY)"
        typer.echo(f"snapshots are now signed with key {result.keyid}{where}; restart the web and worker "
                   "processes. Earlier keys stay published at /api/public/keys.")

    @keys_app.command("new-signing")
    def new_signing() -> None:
        """Print a fresh Ed25519 key for SIGNING_KEY before `keys rotate-signing`."""
        typer.echo(signing.new_signing_key())

    app.add_typer(keys_app, name="keys")
