"""``kiosk plans [--carrier NAME]``: the catalog as the provider offers it."""

from __future__ import annotations

import argparse

from kiosk.cli import EXIT_OK, CliContext, summary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("plans", parents=[parent], help=summary("plans"))
    p.add_argument("--carrier", help="only this carrier's plans (case-insensitive)")
    p.set_defaults(func=cmd_plans)


def cmd_plans(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.app import make_provider
    from kiosk.receipt import format_amount
    from kiosk.topup import plan_to_json

    provider = make_provider(ctx.settings, ctx.data_dir)
    try:
        plans = provider.catalog(args.carrier)
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()
    text = "\n".join(f"{p.id:<16} {p.carrier:<18} {p.name:<32} {format_amount(p.price_cents, p.currency)}"
                     for p in plans) or "no plans"
    ctx.emit({"plans": [plan_to_json(p) for p in plans]}, text)
    return EXIT_OK
