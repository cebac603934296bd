"""``layers``, ``doctor`` and ``fetch-weights``: what is installed and how to get the rest."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import __version__
from .common import EXIT_OK

__all__ = ["register"]


def _cmd_layers(args: argparse.Namespace) -> int:
    from ..pipeline.models import backbone_report

    report, = backbone_report(args.backbone)
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return EXIT_OK
    for name in report["layers"]:
        print(name + ("  (mix default)" if report["mix_default"] == name else ""))
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace) -> int:
    from ..pipeline.models import (backbone_names, backbone_status, devices, environment,
                                   forget_precision_verdicts, precision_verdicts)

    if args.recalibrate:
        forgot = forget_precision_verdicts()
        if not args.json:
            print(f"--precision auto: forgot {forgot} measured verdict(s); "
                  "each backbone is measured again on its next run")
    if args.json:
        from ..pipeline.models import machine_report

        print(json.dumps({"version": __version__, **machine_report()}, sort_keys=True))
        return EXIT_OK
    env = environment()
    print(f"prisma_abu {__version__}  python {env['python']}  numpy {env['numpy']}  "
          f"torch {env['torch']}  torchvision {env['torchvision']}")
    print(f"threads {env['threads']}  bf16 {'yes' if env['bf16'] else 'no'}  "
          f"cuda {'yes' if env['cuda'] else 'no'}")
    print(f"devices: {devices()} (--device auto takes the first CUDA device that works, else the CPU)")
    for name in backbone_names():
        status = backbone_status(name)
        state = "ready" if status["weights_present"] else "missing"
        print(f"{name:20s} {state:8s} {status['source']}")
    verdicts = precision_verdicts()
    if verdicts:
        print("--precision auto, as measured here (fp32 / bf16 seconds per step):")
        for key, entry in sorted(verdicts.items()):
            unsettled = "" if entry.get("settled", True) else ", inside the noise: measured again next run"
            print(f"  {key}: {entry['verdict']}  ({entry.get('fp32_s')} / {entry.get('bf16_s')}, "
                  f"{entry.get('measured')}{unsettled})")
    elif not env["bf16"]:
        print("--precision auto: fp32 (this CPU has no native bf16; nothing to measure)")
    from ..pipeline.stylize import auto_precision_note

    print(auto_precision_note())
    return EXIT_OK


def _cmd_completion(args: argparse.Namespace) -> int:
    import shtab

    from . import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def _cmd_fetch_weights(args: argparse.Namespace) -> int:
    from ..pipeline.models import fetch_weights

    path = fetch_weights(args.backbone)
    print(json.dumps({"backbone": args.backbone, "path": str(path)}, sort_keys=True) if args.json else path)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the information commands to ``prisma-abu``'s sub-commands."""
    p = sub.add_parser("layers", help="the layers of a backbone, in network order")
    p.add_argument("--backbone", default="efficientnet_lite0", metavar="NAME",
                   help="the network whose layers to list (see `prisma-abu doctor`); default: efficientnet_lite0")
    p.add_argument("--json", action="store_true", help="one JSON object: the layers, the weights' status, "
                                                       "mix's default layer")
    p.set_defaults(func=_cmd_layers)

    p = sub.add_parser("doctor", help="backbones, weights, versions, threads, bf16")
    p.add_argument("--recalibrate", action="store_true",
                   help="forget the measured --precision auto verdicts, so each backbone is timed again")
    p.add_argument("--json", action="store_true", help="one JSON object: versions, threads, bf16, devices, "
                                                       "backbones, the precision verdicts")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("completion", help="the shell completion script (bash, zsh, tcsh), made by shtab",
                       description="Print a completion script for every command and option: "
                                   "`prisma-abu completion bash > ~/.local/share/bash-completion/completions/"
                                   "prisma-abu`, or `eval \"$(prisma-abu completion bash)\"` in ~/.bashrc.")
    p.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell to complete in")
    p.set_defaults(func=_cmd_completion)

    p = sub.add_parser("fetch-weights", help="download torchvision weights once (needs the network)")
    p.add_argument("backbone", choices=("googlenet", "vgg19", "bvlc_googlenet"),
                   help="googlenet, vgg19: download once; bvlc_googlenet: convert the .caffemodel in the model folder")
    p.add_argument("--json", action="store_true", help="one JSON object: the backbone and its weights file")
    p.set_defaults(func=_cmd_fetch_weights)
