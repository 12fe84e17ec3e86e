"""Start Rasa's own command line with a few fixes applied in-process.

- The API token comes from the environment, not argv, so it never shows in
  `ps` or shell history.
- Rasa warns that the retrieval intent `guidance` is "duplicated across
  domain files" whenever a retrieval intent is listed in domain.yml, which
  its own story reader requires: a false alarm, silenced for that intent only.
- `rasa shell` under uvloop breaks prompt_toolkit (rasa issue 11575): for
  the shell, uvloop is made unimportable so Sanic falls back to asyncio.
- An unreachable action server is said out loud, and a form's answer typed
  meanwhile is kept (bot/outage.py), instead of a silent empty reply.
- Work Rasa repeats for nothing is done once (bot/speedups.py): the action
  server's replies checked with a validator built once, models loaded
  without a warm-up training step, a conversation's applied events kept until
  it changes, JAX (imported by TensorFlow, unused) not loaded, no garbage
  collection until the model is loaded, then what it loaded frozen, the
  forms' questions said without a second action-server call, the models'
  prediction graphs called directly, the NLU and policy graphs run in the
  order dask chose the first time, without dask's scheduling on every message.
  `rasa test` runs with them too, so the test stories check the predictions
  the server makes.
"""
from __future__ import annotations

import os
import sys
import warnings


DUPLICATE_RETRIEVAL_INTENT = r"The following duplicated intents have been found across multiple domain files: guidance$"


# We run on the CPU, where Rasa's deterministic ops are supported.
DETERMINISTIC_OPS_ON_CPU = r"You have set 'TF_DETERMINISTIC_OPS' to 1"


def main() -> None:
    args = sys.argv[1:]
    command = args[0] if args else ""
    if command == "shell":
        sys.modules["uvloop"] = None  # type: ignore[assignment]
    token = os.environ.get("RASA_API_TOKEN")
    if command in ("run", "shell") and "--enable-api" in args and token and "--auth-token" not in args:
        args += ["--auth-token", token]
    sys.argv = ["rasa", *args]
    if command == "run":
        from bot.speedups import pause_garbage_collection

        pause_garbage_collection()  # until the model is loaded (speedups.collect_garbage_once_loaded)
    if command in ("run", "shell"):
        from bot.speedups import block_jax

        block_jax()
    import rasa.__main__ as rasa_cli

    if command in ("run", "shell"):
        from bot import outage, speedups

        outage.install()
        speedups.install()
        if command == "run":
            speedups.collect_garbage_once_loaded()
    elif command == "test":
        from bot import speedups

        speedups.install()  # the test stories check the predictions the server makes, speed-ups included

    configure = rasa_cli.configure_logging_and_warnings

    def configure_then_silence(*a, **kw):
        configure(*a, **kw)  # resets the warning filters, so ours goes after it
        warnings.filterwarnings("ignore", message=DUPLICATE_RETRIEVAL_INTENT)
        warnings.filterwarnings("ignore", message=DETERMINISTIC_OPS_ON_CPU)

    rasa_cli.configure_logging_and_warnings = configure_then_silence
    rasa_cli.main()


if __name__ == "__main__":
    main()
