"""`python -m tests.support.prebuilt_web --host H --port P`: one more production web process that
serves a frontend another process already built (REFLEX_WEB_WORKDIR points at that build).

`reflex run --env prod` always rebuilds the frontend before starting its server: about 25 s
on an idle 2-core machine, minutes on a busy one. The scale-out tests need several web
processes of one build, so the second and later ones run exactly what `reflex run --env prod`
runs after its build step (Reflex's production server with the compiled frontend mounted,
compilation skipped), on the shared, read-only build.
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.environment import environment

    # What `reflex run --env prod` sets before starting its server (reflex.reflex._run/_run_prod).
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    os.environ.update({"REFLEX_FRONTEND_PORT": str(args.port), "REFLEX_BACKEND_PORT": str(args.port),
                       "REFLEX_BACKEND_HOST": args.host})
    reflex_exec.run_backend_prod(args.host, args.port, constants.LogLevel.WARNING,
                                 mount_frontend_compiled_app=True)


if __name__ == "__main__":
    main()
