"""``serve``: the web studio — a page for phones and an HTTP API — on uvicorn.

``prisma-abu serve`` listens on 127.0.0.1:8000; any other host needs an access
token (``--token``, or one generated and printed), checked on every request.
Renders run on ``--jobs`` worker processes (loky, or a Dask cluster with
``--backend dask --scheduler``) behind a bounded queue; the store folder keeps
every input, parameter set and picture, so a restarted server finishes what a
stopped one left.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from ..errors import InvalidParameterError
from .common import EXIT_OK

__all__ = ["register", "serve_config"]

_EPILOG = """\
examples:
  prisma-abu serve                                   # http://127.0.0.1:8000 (this machine only)
  prisma-abu serve --host 0.0.0.0 --jobs 2            # the local network; prints the access token
  prisma-abu serve --backend dask --scheduler tcp://HOST:8786 --store /srv/prisma
"""


def _web_missing() -> InvalidParameterError:
    return InvalidParameterError("serve: expected the web extra installed (pip install 'prisma_abu[web]': "
                                 "fastapi, uvicorn, python-multipart)")


def serve_config(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The studio's configuration from the options, and the token to print (generated when needed and not given)."""
    from ..web import WebConfig, needs_token, new_token

    printed = None
    token = args.token
    if needs_token(args.host) and not token:
        token = printed = new_token()
    if args.backend != "dask" and args.scheduler:
        raise InvalidParameterError("--scheduler: expected --backend dask with it")
    return WebConfig(store=args.store, jobs=args.jobs, queue=args.queue, backend=args.backend,
                     scheduler=args.scheduler, token=token, max_upload_bytes=args.max_upload_mb * 1024 * 1024,
                     max_pixels=args.max_pixels, max_size=args.max_size), printed


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..web import create_app
    except ImportError:
        raise _web_missing() from None
    config, printed = serve_config(args)
    app = create_app(config)
    where = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    if config.token:
        print(f"access token: {printed or '(the one given with --token)'}", file=sys.stderr)
        print(f"open {where}?token={config.token if printed else 'TOKEN'}", file=sys.stderr)
    else:
        print(f"open {where} (this machine only; --host 0.0.0.0 for the network, with a token)", file=sys.stderr)
    print(f"store {app.state.store.root}  workers {config.jobs} ({config.backend})  API docs {where}docs",
          file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def register(sub: Any) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="the web studio: a page for phones and an HTTP API (the web extra)",
                       description=textwrap.fill(
                           "Serve the web studio: pick or photograph a picture, choose the Prisma look, a style "
                           "network or a dream, follow the progress, download the PNG (replayable) or copy the "
                           "equivalent command. The HTTP API is documented at /docs (the schema at "
                           "/openapi.json).", 88),
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on; anything but 127.0.0.1 "
                                                       "requires an access token; default: 127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="the port; default: 8000")
    p.add_argument("--jobs", type=_positive, default=1, metavar="N", help="worker processes rendering at once; "
                                                                         "default: 1")
    p.add_argument("--queue", type=int, default=None, metavar="N",
                   help="jobs waiting beyond the running ones before new ones get 503; default: 4 x jobs")
    p.add_argument("--backend", choices=("loky", "dask"), default="loky",
                   help="loky: worker processes here (default); dask: a Dask cluster (--scheduler)")
    p.add_argument("--scheduler", metavar="ADDR", help="the Dask scheduler, tcp://HOST:8786 (default: a local "
                                                       "cluster of --jobs workers)")
    p.add_argument("--store", default="out/web", metavar="DIR",
                   help="where inputs, parameters and pictures are kept; default: out/web")
    p.add_argument("--token", metavar="TOKEN", help="the access token (default: generated and printed when "
                                                    "--host is not the loopback)")
    p.add_argument("--max-upload-mb", type=_positive, default=25, metavar="MB", help="largest upload; default: 25")
    p.add_argument("--max-pixels", type=_positive, default=25_000_000, metavar="N",
                   help="most pixels an uploaded picture may have; default: 25000000")
    p.add_argument("--max-size", type=_positive, default=2048, metavar="PIXELS",
                   help="largest --size a job may ask for; default: 2048")
    p.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    p.set_defaults(func=_cmd_serve)
