"""``kiosk plans [--carrier NAME]``: the catalog as the provider offers it.

While upstream cannot be reached, the last good catalog (kept in the data
directory) is shown instead, said so on stderr and with ``cached_at`` in the JSON.
"""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import EXIT_OK, CliContext, summary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("plans", parents=[parent], help=summary("plans"))
    p.add_argument("--carrier", help="only this carrier's plans (case-insensitive)")
    p.set_defaults(func=cmd_plans)


def cmd_plans(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.app import make_provider
    from kiosk.receipt import format_amount
    from kiosk.topup import plan_to_json
    from kiosk.topup.cache import CachingProvider, CatalogCache

    provider = CachingProvider(make_provider(ctx.settings, ctx.data_dir), CatalogCache(ctx.data_dir))
    try:
        plans = provider.catalog(args.carrier)
    finally:
        provider.close()
    text = "\n".join(f"{p.id:<16} {p.carrier:<18} {p.name:<32} {format_amount(p.price_cents, p.currency)}"
                     for p in plans) or "no plans"
    out: dict[str, object] = {"plans": [plan_to_json(p) for p in plans]}
    if provider.stale_since is not None:
        out["cached_at"] = provider.stale_since
        print(f"kiosk: upstream unreachable ({provider.stale_reason}); the catalog saved at "
              f"{provider.stale_since} is shown", file=sys.stderr, flush=True)
    ctx.emit(out, text)
    return EXIT_OK
