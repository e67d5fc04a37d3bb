"""The ``modal-sraal`` command: ``modal-sraal demo ...``, ``modal-sraal benchmark ...``,
``modal-sraal label ...``.

Each subcommand takes the arguments of its module, ``python -m modal_sraal.demo``,
``python -m modal_sraal.benchmark`` and ``python -m modal_sraal.label_folder``.
"""
from __future__ import annotations

import sys
from typing import List, Optional

#: Subcommand -> (module, one-line help).
COMMANDS = {
    "demo": ("modal_sraal.demo", "k-center start + SRAAL queries on digits or MNIST-5k"),
    "benchmark": ("modal_sraal.benchmark", "the paper's protocol: methods, seeds, tables, plots"),
    "label": ("modal_sraal.label_folder", "label a folder of images in Label Studio, SRAAL "
                                          "picking what comes next (init, query, pull, status)"),
}


def main(argv: Optional[List[str]] = None) -> None:
    """Dispatch ``modal-sraal COMMAND [ARGS]`` to the command's module."""
    import importlib

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = ["usage: modal-sraal {%s} [ARGS]  (ARGS: see modal-sraal COMMAND --help)"
                 % ",".join(COMMANDS), ""]
        lines += [f"  {name:10s} {text}" for name, (_, text) in COMMANDS.items()]
        print("\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            raise SystemExit(f"modal-sraal: unknown command {argv[0]!r}")
        return
    module = importlib.import_module(COMMANDS[argv[0]][0])
    module.main(argv[1:])


if __name__ == "__main__":
    main()
