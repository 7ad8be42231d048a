"""The command line: `python -m companion_app serve`, `chat` and `restore-number`."""

import argparse
import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from companion_app import create_app
from companion_app.app.store import DEFAULT_STORE_URL, describe_store
from companion_app.golive.live import go_live
from companion_app.golive.number import restore_by_hand
from companion_app.serving import production
from companion_app.settings import ENV_FILE_VARIABLE, find_env_file, read_environment
from companion_app.teaching.chat import chat, open_simulator

PRODUCTION_NEEDS_KEY = (
    "error: --production needs SECRET_KEY in the environment (or .env), shared by every worker; "
    'make one with: python -c "import secrets; print(secrets.token_hex(32))"'
)
REFUSE_UNSIGNED = (
    "error: {option} would answer requests from anyone, and without TWILIO_AUTH_TOKEN it cannot "
    "tell Twilio's signed requests from forged ones. Set TWILIO_AUTH_TOKEN (environment or .env; "
    "it is on your Twilio Console's home page), or add --allow-unsigned for a short demo."
)
#: A phone number as Twilio sends From and To: +, the country code, the number (15 digits at most).
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
NOT_E164 = (
    "error: {option} {number!r} is not a phone number as Twilio sends it (E.164: +, the country "
    "code, then the number, no spaces): write it like +14155550100."
)
UNSIGNED_WARNING = (
    "WARNING: --allow-unsigned: request signatures are NOT checked. Anyone who finds this "
    "server's URL can post to it as any phone number. Use it only for a short demo."
)


#: Libraries whose logs only --verbose shows (each failure is explained in one sentence).
LIBRARY_LOGGERS = ("pyngrok", "twilio", "urllib3")


def build_parser():
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="python -m companion_app", description=__doc__)
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the libraries' own logs (pyngrok, the twilio SDK, requests)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the counter webhook on a local port")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    serve.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    serve.add_argument(
        "--production",
        action="store_true",
        help="run under gunicorn with several workers (needs SECRET_KEY, and TWILIO_AUTH_TOKEN "
        "or --allow-unsigned); /sms/store keeps conversations where STORE_URL says "
        "(sqlite:///conversations.db by default, redis://HOST:6379/0 for several hosts)",
    )
    serve.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers (with --production)"
    )
    serve.add_argument(
        "--tunnel",
        action="store_true",
        help="open an ngrok tunnel (needs NGROK_AUTHTOKEN) and point your Twilio number at it",
    )
    serve.add_argument(
        "--number", help="with --tunnel: the Twilio number to point, like +14155550100"
    )
    serve.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="with --tunnel or --production: run even without TWILIO_AUTH_TOKEN (demo only)",
    )
    serve.set_defaults(handler=run_serve)

    restore = commands.add_parser(
        "restore-number",
        help="put back the SMS webhook of a number that a session left pointed at its tunnel",
    )
    restore.add_argument("--number", help="only this number, like +14155550100")
    restore.set_defaults(handler=run_restore_number)

    talk = commands.add_parser("chat", help="text the webhook from this terminal (no phone needed)")
    talk.add_argument(
        "--from", dest="from_", default="+14155550100", help="the phone number you text from"
    )
    talk.add_argument("--to", default="+14155550199", help="the Twilio number you text")
    talk.add_argument(
        "--url",
        help="a running server, as serve prints it: http://127.0.0.1:5000/sms, or its base URL "
        "http://127.0.0.1:5000 (default: the app in-process, no server needed)",
    )
    talk.set_defaults(handler=run_chat)
    return parser


def run_serve(args):
    """Serve the webhook: werkzeug's development server, or gunicorn with --production."""
    if args.number and not args.tunnel:
        print(
            "error: --number needs --tunnel (Twilio can only reach a public URL).", file=sys.stderr
        )
        return 2
    if args.tunnel and args.production:
        print("error: --tunnel and --production do not go together.", file=sys.stderr)
        return 2
    if args.allow_unsigned and not (args.tunnel or args.production):
        print("error: --allow-unsigned goes with --tunnel or --production.", file=sys.stderr)
        return 2
    if args.tunnel or args.production:
        option = "--tunnel" if args.tunnel else "--production"
        settings = read_environment()
        problems = (
            [PRODUCTION_NEEDS_KEY] if args.production and "SECRET_KEY" not in settings else []
        )
        if "TWILIO_AUTH_TOKEN" not in settings and not args.allow_unsigned:
            problems.append(REFUSE_UNSIGNED.format(option=option))
        try:
            store = describe_store(settings.get("STORE_URL", DEFAULT_STORE_URL))
        except ValueError as error:
            problems.append(f"error: {error}")
        if problems:  # all of them at once, not one per attempt
            print("\n".join(problems), file=sys.stderr)
            return 2
        if "TWILIO_AUTH_TOKEN" not in settings:
            print(UNSIGNED_WARNING, file=sys.stderr)
        if args.production:
            print(f"/sms/store keeps conversations in {store} (STORE_URL)", file=sys.stderr)
    if args.tunnel:
        return run_live(args)
    if args.production:
        return run_production(args)
    app = create_app()
    print(f"Serving the counter webhook on http://{args.host}:{args.port}/sms (Ctrl-C to stop)")
    # Never the debugger or the reloader: FLASK_DEBUG (in .env too) must not turn them on here.
    app.run(
        host=args.host,
        port=args.port,
        debug=False,
        load_dotenv=False,
        use_debugger=False,
        use_reloader=False,
    )
    return 0


def run_production(args):
    """Serve under gunicorn until it stops; SIGTERM stops gunicorn and removes its temp folder."""
    reason = production.unavailable_reason()
    if reason:
        print(f"error: {reason} Or run without --production.", file=sys.stderr)
        return 2
    # The workers read the same .env as this process, whatever folder gunicorn works in.
    env_file = find_env_file()
    env = {**os.environ, ENV_FILE_VARIABLE: str(Path(env_file).resolve()) if env_file else ""}
    with tempfile.TemporaryDirectory(prefix="sms-cookies-") as folder:
        log_config = Path(folder) / "logging.json"
        log_config.write_text(json.dumps(production.LOG_CONFIG), encoding="utf-8")
        bind = f"{args.host}:{args.port}"
        command = production.gunicorn_command(
            production.APP, bind, args.workers, log_config, folder=folder
        )
        return production.run_in_foreground(command, env=env)


def run_live(args):
    """Serve, open the tunnel, point the number; print requests until Ctrl-C, then undo it all."""
    hint = "each request is shown below; Ctrl-C stops it all (and restores the number)."
    terminal = sys.stdin is not None and sys.stdin.isatty()
    how = {
        "ask": "run this command in a terminal, where it asks",
        "unsigned": "add --allow-unsigned",
    }
    with go_live(
        create_app(),
        args.number,
        ask=terminal,
        host=args.host,
        port=args.port,
        name="cli",
        watch_hint=hint,
        allow_unsigned=args.allow_unsigned,
        how=how,
    ) as session:
        session.watch()
    return 0


def run_restore_number(args):
    """Put back every number on record (or --number); exit 1 when one could not be."""
    lines, done = restore_by_hand(args.number)
    for line in lines:
        print(line)
    return 0 if done else 1


def run_chat(args):
    """Chat with the webhook: each line typed is a text message, each reply is printed."""
    for option, number in (("--from", args.from_), ("--to", args.to)):
        if not E164.fullmatch(number):
            print(NOT_E164.format(option=option, number=number), file=sys.stderr)
            return 2
    logger = logging.getLogger("companion_app")
    level = logger.level
    logger.setLevel(logging.WARNING)  # no INFO line per message
    try:
        try:
            simulator = open_simulator(args.url)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        conversation = simulator.conversation(from_=args.from_, to=args.to)
        prompt = "> " if sys.stdin.isatty() else ""
        return chat(conversation, sys.stdin, sys.stdout, prompt=prompt)
    finally:
        logger.setLevel(level)


def main(argv=None):
    """Entry point: parse the arguments and run the chosen command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if not args.verbose:  # the user's steps, not each library's request log (11 lines a call)
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
