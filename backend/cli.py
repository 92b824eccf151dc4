"""``kiosk-backend``: serve the reference backend, register kiosks and operators.

    kiosk-backend serve [--db URL] [--read-db URL] [--host 127.0.0.1] [--port N] [--workers N]
    kiosk-backend add-kiosk ID [--location TEXT] [--rotate] [--secret-out FILE]
    kiosk-backend add-operator NAME [--reset]      (password from stdin or a prompt)
    kiosk-backend migrate
    kiosk-backend serve --provider dtone|reloadly|simulated [--provider-env sandbox|production]
                        [--provider-credentials FILE] [--provider-url URL]
    kiosk-backend providers check [--provider NAME ...]   reachability, authentication, balance
    kiosk-backend topups pending [--provider NAME ...]    top-ups still pending, oldest first
    kiosk-backend topups settle KEY --failed --reason TEXT --operator NAME [--provider NAME ...]
                        settle a pending key the aggregator, asked again now, has no transaction for

Every subcommand takes ``--db URL`` (env ``SIMKIOSK_BACKEND_DB``; default SQLite in the
data directory), ``--data-dir DIR`` and ``--master-key-file FILE``. Failures print one
line on stderr (``{"error", "message"}`` on stdout with ``--json``) and exit 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from backend.keys import derive_secret, load_master_key
from backend.settings import BackendSettings
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", help="database URL: sqlite:///FILE or postgresql://... (env SIMKIOSK_BACKEND_DB)")
    parent.add_argument("--data-dir", help="where the default SQLite file and master key live")
    parent.add_argument("--master-key-file", help="server master key (created 0600 when missing)")
    parent.add_argument("--json", action="store_true", help="machine-readable output")
    return parent


def _provider_options(parser: argparse.ArgumentParser) -> None:
    from backend.providers import PROVIDERS

    parser.add_argument("--provider", choices=sorted(PROVIDERS),
                        help="aggregator adapter (env SIMKIOSK_BACKEND_PROVIDER; default simulated)")
    parser.add_argument("--provider-env", choices=("sandbox", "production"),
                        help="aggregator environment (env SIMKIOSK_BACKEND_PROVIDER_ENV; default sandbox)")
    parser.add_argument("--provider-credentials", metavar="FILE",
                        help="aggregator credentials JSON, mode 0600 (env SIMKIOSK_BACKEND_PROVIDER_CREDENTIALS_FILE)")
    parser.add_argument("--provider-url", metavar="URL",
                        help="override the aggregator's base URL (env SIMKIOSK_BACKEND_PROVIDER_BASE_URL)")


def build_parser() -> argparse.ArgumentParser:
    parent = _common()
    parser = argparse.ArgumentParser(prog="kiosk-backend", description="simkiosk reference backend")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", parents=[parent], help="run the HTTP server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--read-db", metavar="URL",
                       help="PostgreSQL read replica for the operator views (env SIMKIOSK_BACKEND_READ_DB)")
    serve.add_argument("--workers", type=_positive, default=1,
                       help="worker processes (uvicorn); every state they share lives in the database")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    _provider_options(serve)
    serve.set_defaults(func=cmd_serve)

    providers = sub.add_parser("providers", help="the aggregator behind the backend")
    providers_sub = providers.add_subparsers(dest="providers_command", metavar="ACTION", required=True)
    check = providers_sub.add_parser("check", parents=[parent],
                                     help="print reachability, authentication and prepaid balance")
    _provider_options(check)
    check.set_defaults(func=cmd_providers_check)

    topups = sub.add_parser("topups", help="top-up records: the pending list, an operator's settlement")
    topups_sub = topups.add_subparsers(dest="topups_command", metavar="ACTION", required=True)
    pending = topups_sub.add_parser("pending", parents=[parent], help="list top-ups still pending (numbers masked)")
    pending.set_defaults(func=cmd_topups_pending)
    settle = topups_sub.add_parser(
        "settle", parents=[parent],
        help="settle a pending key as failed after the aggregator, asked again now, has no transaction for it")
    settle.add_argument("key")
    settle.add_argument("--failed", action="store_true", required=True,
                        help="the outcome (the only settlement there is): not performed, the kiosk reverses")
    settle.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    settle.add_argument("--operator", required=True, help="who settles it: a registered operator name")
    _provider_options(settle)
    settle.set_defaults(func=cmd_topups_settle)

    add_kiosk = sub.add_parser("add-kiosk", parents=[parent], help="register a kiosk; prints its secret once")
    add_kiosk.add_argument("kiosk_id")
    add_kiosk.add_argument("--location", default="")
    add_kiosk.add_argument("--rotate", action="store_true", help="issue a new secret to an existing kiosk")
    add_kiosk.add_argument("--secret-out", help="also write the secret to this file (mode 0600)")
    add_kiosk.set_defaults(func=cmd_add_kiosk)

    add_op = sub.add_parser("add-operator", parents=[parent], help="create a web login (password from stdin)")
    add_op.add_argument("name")
    add_op.add_argument("--reset", action="store_true", help="set a new password for an existing operator")
    add_op.set_defaults(func=cmd_add_operator)

    migrate = sub.add_parser("migrate", parents=[parent], help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)
    return parser


def _settings(args: argparse.Namespace) -> BackendSettings:
    provider = {"name": getattr(args, "provider", None), "environment": getattr(args, "provider_env", None),
                "credentials_file": getattr(args, "provider_credentials", None),
                "base_url": getattr(args, "provider_url", None)}
    settings = BackendSettings.resolve(db=args.db, read_db=getattr(args, "read_db", None), data_dir=args.data_dir,
                                       master_key_file=args.master_key_file, provider=provider)
    settings.secure_data_dir()
    return settings


def _emit(args: argparse.Namespace, obj: dict[str, object], text: str) -> None:
    print(json.dumps(obj) if args.json else text, flush=True)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be within 1..64")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    """One process, or ``--workers N`` uvicorn worker processes on one socket. Workers share
    nothing but the database (nonces, login attempts, each kiosk's row lock for ingest), so
    they may equally be spread over several machines behind a load balancer."""
    import uvicorn

    from backend.app import SERVE_OPTIONS_ENV, app_from_environment
    from backend.store import Store

    settings = _settings(args)
    options = {"db": settings.db_url, "read_db": settings.read_db_url, "data_dir": args.data_dir,
               "master_key_file": str(settings.master_key_file),
               "provider": {"name": args.provider, "environment": args.provider_env,
                            "credentials_file": args.provider_credentials, "base_url": args.provider_url}}
    os.environ[SERVE_OPTIONS_ENV] = json.dumps(options)
    log.info("serving", extra={"host": args.host, "port": args.port, "workers": args.workers})
    common = {"host": args.host, "port": args.port, "access_log": args.access_log, "log_level": args.log_level,
              "timeout_graceful_shutdown": 5}
    if args.workers == 1:
        uvicorn.run(app_from_environment(), **common)
        return 0
    load_master_key(settings.master_key_file, create=True)  # once, before the workers race to create it
    Store.open(settings.db_url, pool_size=1).close()  # migrate once; a worker that finds it done goes on
    uvicorn.run("backend.app:app_from_environment", factory=True, workers=args.workers, **common)
    return 0


def cmd_providers_check(args: argparse.Namespace) -> int:
    """One check of the configured aggregator; exit 1 when it is not reachable or refuses us."""
    from backend.provider import load_provider

    settings = _settings(args)
    config = settings.provider_config
    adapter = load_provider(config.name, config)
    try:
        health = adapter.health()
    finally:
        adapter.close()
    low = health.balance_cents is not None and health.balance_cents < config.low_balance_cents
    balance = ("unknown" if health.balance_cents is None
               else f"{health.balance_cents / 100:.2f} {health.currency or ''}".strip())
    lines = [f"provider       {health.provider} ({health.environment})",
             f"reachable      {'yes' if health.reachable else 'no'}",
             f"authenticated  {'yes' if health.authenticated else 'no'}",
             f"balance        {balance}" + (f"  LOW (under {config.low_balance_cents / 100:.2f})" if low else ""),
             f"detail         {health.detail}"]
    _emit(args, {**health.as_dict(), "low_balance": low, "low_balance_cents": config.low_balance_cents},
          "\n".join(lines))
    return 0 if health.ok else 1


def cmd_topups_pending(args: argparse.Namespace) -> int:
    from backend.provider_api import pending_row
    from backend.store import Store

    with Store.open(_settings(args).db_url) as store:
        rows = [pending_row(r) for r in store.pending_topups()]
    lines = [f"{r['key']}  {r['kiosk_id']}  since {r['created_at']}  {r['msisdn']}  {r['plan_id']}  "
             f"{r['amount_cents'] / 100:.2f} {r['currency']}  {r['message']}" for r in rows]
    _emit(args, {"pending": rows}, "\n".join(lines) or "no top-up is pending")
    return 0


def cmd_topups_settle(args: argparse.Namespace) -> int:
    """The operator page's "settle as failed", from a shell: same rules, same audit row."""
    from backend.errors import ApiError
    from backend.provider import load_provider
    from backend.store import Store
    from backend.topups import TopUps

    settings = _settings(args)
    with Store.open(settings.db_url) as store:
        if store.operator_hash(args.operator) is None:
            raise KioskError(f"no operator named {args.operator!r} (kiosk-backend add-operator)", code="bad_argument")
        config = settings.provider_config
        adapter = load_provider(config.name, config)
        try:
            result = TopUps(store, adapter).settle_unseen(args.key, args.operator, args.reason)
        except ApiError as exc:
            if args.json:
                print(json.dumps(exc.body()), flush=True)
            print(f"kiosk-backend: {exc.message}", file=sys.stderr, flush=True)
            return 1
        finally:
            adapter.close()
    record = result["record"]
    _emit(args, result, f"top-up {record['key']} settled {record['status']}/{record['failure_kind']} by "
                        f"{args.operator}; the kiosk reverses the charge at its next status check")
    return 0


def cmd_add_kiosk(args: argparse.Namespace) -> int:
    from backend.store import Store

    settings = _settings(args)
    master = load_master_key(settings.master_key_file, create=True)
    if not args.kiosk_id or len(args.kiosk_id) > 64 or not args.kiosk_id.isprintable() or "/" in args.kiosk_id:
        raise KioskError(f"bad kiosk id {args.kiosk_id!r}", code="bad_argument")
    with Store.open(settings.db_url) as store:
        secret = store.add_kiosk(args.kiosk_id, args.location,
                                 lambda kid, gen: derive_secret(master, kid, gen), rotate=args.rotate)
    if args.secret_out:
        path = Path(args.secret_out)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret + b"\n")
        os.chmod(path, 0o600)
    _emit(args, {"kiosk_id": args.kiosk_id, "secret": secret.decode("ascii")},
          f"{secret.decode('ascii')}\n(store it in the kiosk's [upstream] secret_file, mode 0600; "
          "it is not shown again)")
    return 0


def cmd_add_operator(args: argparse.Namespace) -> int:
    from backend.operators import hash_password
    from backend.store import Store

    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise KioskError("passwords differ", code="bad_argument")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise KioskError(str(exc), code="bad_argument") from exc
    with Store.open(_settings(args).db_url) as store:
        store.add_operator(args.name, hashed, replace=args.reset)
    _emit(args, {"operator": args.name}, f"operator {args.name} can log in")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from backend.store import Store

    with Store.open(_settings(args).db_url) as store:
        revision = store.schema_revision()
    _emit(args, {"revision": revision}, f"schema at {revision}")
    return 0


def quiet_http_clients() -> None:
    """httpx logs every request's URL at INFO, and Reloadly's auto-detect URL carries the full
    phone number (``/operators/auto-detect/phone/{number}/...``): only their warnings are kept.
    Our own lines name numbers masked (``kiosk.privacy.mask_msisdn``)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    quiet_http_clients()
    try:
        return int(args.func(args))
    except KioskError as exc:
        if args.json:
            print(json.dumps(exc.as_json()), flush=True)
        print(f"kiosk-backend: {exc.message}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
