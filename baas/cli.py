"""The ``baas`` command line, shaped like the ``pocketbase`` one.

    baas serve [--http 127.0.0.1:8090] [--workers N]
    baas superuser upsert EMAIL PASSWORD | baas superuser delete EMAIL
    baas migrate | baas worker | baas --version
    baas export OUT_DIR | baas import IN_DIR | baas import-pocketbase PB_DATA

Every command takes ``--dir`` (and ``--hooksDir``); they become ``BAAS_DIR`` and
``BAAS_HOOKS_DIR`` before Django reads its settings, so every command sees the
same data. Errors are one line on stderr and a non-zero exit, never a traceback
(set ``BAAS_DEBUG=1`` to get the traceback of an unexpected error).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from baas import __version__

DEFAULT_HTTP = "127.0.0.1:8090"


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line, not usage plus an error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # --dir/--hooksDir may come before or after the command; SUPPRESS keeps a
    # subcommand's parser from overwriting a value given before it.
    if getattr(args, "dir", None):
        os.environ["BAAS_DIR"] = args.dir
    if getattr(args, "hooksDir", None):
        os.environ["BAAS_HOOKS_DIR"] = args.hooksDir
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return _report(exc)


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--dir", default=argparse.SUPPRESS, help="the data directory (default ./baas_data)"
    )
    common.add_argument("--hooksDir", default=argparse.SUPPRESS, help="the hooks directory")
    parser = Parser(
        prog="baas", description="A self-hostable Backend-as-a-Service.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"baas {__version__}")
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", required=True, parser_class=Parser
    )

    serve = commands.add_parser(
        "serve", parents=[common], help="apply migrations and serve the API"
    )
    serve.add_argument(
        "--http",
        type=_address,
        default=_address(DEFAULT_HTTP),
        metavar="HOST:PORT",
        help=f"address to listen on (default {DEFAULT_HTTP})",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=_cores(),
        metavar="N",
        help="worker processes (default: the number of cores)",
    )
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", parents=[common], help="apply pending migrations")
    migrate.add_argument("direction", nargs="?", choices=["up"], default="up")
    migrate.set_defaults(handler=cmd_migrate)

    worker = commands.add_parser(
        "worker", parents=[common], help="run the Celery worker (with beat)"
    )
    worker.add_argument("--concurrency", type=_positive, default=None, metavar="N")
    worker.set_defaults(handler=cmd_worker)

    _add_superuser(commands, common)
    _add_transfer(commands, common)
    return parser


def _add_superuser(commands: argparse._SubParsersAction, common: Parser) -> None:
    superuser = commands.add_parser("superuser", parents=[common], help="manage superusers")
    actions = superuser.add_subparsers(
        title="actions", metavar="ACTION", required=True, parser_class=Parser
    )
    upsert = actions.add_parser("upsert", parents=[common], help="create or update a superuser")
    upsert.add_argument("email")
    upsert.add_argument("password")
    upsert.set_defaults(handler=cmd_superuser_upsert)
    delete = actions.add_parser("delete", parents=[common], help="delete a superuser")
    delete.add_argument("email")
    delete.set_defaults(handler=cmd_superuser_delete)


def _add_transfer(commands: argparse._SubParsersAction, common: Parser) -> None:
    export = commands.add_parser(
        "export",
        parents=[common],
        help="write collections, records, files and settings to a directory (it holds secrets: "
        "password hashes, token keys, token/SMTP/S3/TOTP/webhook secrets)",
    )
    export.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty directory")
    export.set_defaults(handler=cmd_export)
    load = commands.add_parser(
        "import", parents=[common], help="load a `baas export` directory (upsert by id)"
    )
    load.add_argument("in_dir", metavar="IN_DIR")
    load.set_defaults(handler=cmd_import)
    pocketbase = commands.add_parser(
        "import-pocketbase",
        parents=[common],
        help="load a PocketBase 0.23+ pb_data directory (read-only; upsert by id)",
    )
    pocketbase.add_argument("pb_data", metavar="PB_DATA")
    pocketbase.set_defaults(handler=cmd_import_pocketbase)


def _transfer(run: str, path: str) -> int:
    """Run ``baas.transfer.<run>`` on ``path`` with a report; its summary goes to stderr."""
    from importlib import import_module
    from pathlib import Path

    _setup_django()
    _prepare_data(announce=False)
    from baas.transfer.report import Report

    module, function = run.rsplit(".", 1)
    report = Report()
    getattr(import_module(f"baas.transfer.{module}"), function)(Path(path), report)
    sys.stderr.write(report.summary() + "\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    return _transfer("export.export", args.out_dir)


def cmd_import(args: argparse.Namespace) -> int:
    return _transfer("importer.import_directory", args.in_dir)


def cmd_import_pocketbase(args: argparse.Namespace) -> int:
    return _transfer("pocketbase.import_pocketbase", args.pb_data)


def cmd_serve(args: argparse.Namespace) -> int:
    host, port = args.http
    # The checks and migrations run in a child process, so this one (granian's main
    # process, which only watches the workers) never imports Django: it stays at a
    # tenth of a worker's memory. Each worker loads Django itself (baas.server).
    failed = _in_child(lambda: _prepare_serve(host, port))
    if failed:
        return failed

    from baas.server import run

    shown = f"[{host}]" if ":" in host else host
    print(
        f"Server started at http://{shown}:{port}\n└─ REST API: http://{shown}:{port}/api/",
        flush=True,
    )
    run(host, port, args.workers)
    return 0


def _prepare_serve(host: str, port: int) -> None:
    from baas import checks

    _setup_django()
    checks.check_listen(host, port)
    _prepare_data(announce=False)
    _close_connections()


def _in_child(work: Callable[[], None]) -> int:
    """Run ``work`` in a forked child; its exit code (0, or what ``_report`` gives)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1  # unless work() returns
        try:
            work()
            code = 0
        except KeyboardInterrupt:
            code = 130
        except SystemExit as exc:  # a configuration error in settings: exit 2, said already
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:  # reported as the command's error
            try:
                code = _report(exc)
            except BaseException:  # BAAS_DEBUG: _report re-raises to show the traceback
                import traceback

                traceback.print_exc()
                code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    # A stop asked of this process during the preparation stops the child too.
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: os.kill(pid, signum))
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGTERM, previous)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    _prepare_data(announce=True)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from baas import checks

    _setup_django()
    from django.conf import settings

    if not settings.BAAS_REDIS_URL:
        raise checks.StartupError(
            "REDIS_URL: required by `baas worker` (without it, background tasks run inside `baas serve`)."
        )
    checks.check_redis(settings.BAAS_REDIS_URL)
    checks.check_database()
    _close_connections()
    from baas.celery import app

    argv = [
        "worker",
        "--beat",
        "--loglevel=INFO",
        f"--schedule={settings.BAAS_DATA_DIR / 'celerybeat-schedule'}",
    ]
    if args.concurrency:
        argv.append(f"--concurrency={args.concurrency}")
    app.worker_main(argv)
    return 0


def cmd_superuser_upsert(args: argparse.Namespace) -> int:
    _setup_django()
    _prepare_data(announce=False)
    from baas.auth.superusers import upsert_superuser

    upsert_superuser(args.email, args.password)
    print(f'Successfully saved superuser "{args.email}"!')
    return 0


def cmd_superuser_delete(args: argparse.Namespace) -> int:
    _setup_django()
    _prepare_data(announce=False)
    from baas.auth.superusers import delete_superuser

    if delete_superuser(args.email):
        print(f'Successfully deleted superuser "{args.email}"!')
    else:
        print(f'Superuser "{args.email}" is missing or already deleted.')
    return 0


def _setup_django() -> None:
    """Load settings (a configuration error exits 2 with one line) and the apps."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baas.settings")
    import django

    django.setup()


def _prepare_data(announce: bool) -> None:
    """Every command that touches data applies pending migrations first, like pocketbase."""
    from django.conf import settings

    from baas import checks

    checks.check_database()
    if settings.BAAS_REDIS_URL:  # migrations may already use the cache
        checks.check_redis(settings.BAAS_REDIS_URL)
    applied = checks.apply_migrations()
    for name in applied if announce else ():
        print(f"Applied {name}")
    if announce and not applied:
        print("No new migrations to apply.")


def _close_connections() -> None:
    """Before granian or Celery forks: no child may share a socket with another."""
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    caches.close_all()


def _report(exc: Exception) -> int:
    from baas.checks import StartupError, one_line

    if isinstance(exc, StartupError):
        sys.stderr.write(f"baas: {exc}\n")
        return 1
    if _debug():
        raise exc
    messages = getattr(exc, "messages", None)  # Django's ValidationError
    text = "; ".join(messages) if messages else one_line(exc)
    details = getattr(exc, "data", None)  # baas.api.errors.ApiError's field errors
    if isinstance(details, dict) and details:
        text = f"{text} {json.dumps(details, default=str)}"
    sys.stderr.write(f"baas: error: {text}\n")
    return 1


def _debug() -> bool:
    try:
        from django.conf import settings

        return bool(settings.DEBUG)
    except BaseException:
        return False


def _cores() -> int:
    """Cores this process may run on (respects CPU affinity, unlike os.cpu_count())."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. {DEFAULT_HTTP}, got {value!r}")
    return host, int(port)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


if __name__ == "__main__":
    sys.exit(main())
