"""The in-process simulator's overhead: messages per second through TwilioSimulator vs the same signed form posted with a bare Flask test client, to the same app, in one run.

Both sides drive the signed companion webhook (``benchmarks.apps.create_companion_app``) in-process,
with the same pairs and the same form fields. The bare side gets everything prepared before the clock
starts (form bodies and X-Twilio-Signature values) and keeps cookies in one test client per pair; the
simulator does all of its work inside the timing: SIDs, parameters, signing, the cookie jar, reading
the TwiML reply and recording the delivery. Rounds alternate which side goes first; the best round of
each side is kept. Run it with ``python -m benchmarks.simulator_overhead``.
"""

import argparse
import time
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from benchmarks.apps import AUTH_TOKEN, PUBLIC_URL, create_companion_app
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.simulator.params import message_params

WEBHOOK_URL = PUBLIC_URL + "/sms"
TWILIO_NUMBER = "+14155550199"
HEADERS = {"User-Agent": "TwilioProxy/1.1"}


def senders(round_no, pairs):
    """Distinct sender numbers for one round."""
    return [f"+1415{round_no:03d}{p:04d}" for p in range(pairs)]


def run_simulator(app, numbers, messages):
    """Seconds to deliver `messages` texts from each number through the simulator."""
    sim = TwilioSimulator(app, webhook_url=WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=FakeClock())
    conversations = [sim.conversation(number, TWILIO_NUMBER) for number in numbers]
    started = time.perf_counter()
    for conversation in conversations:
        for m in range(messages):
            conversation.send(f"message {m}")
    elapsed = time.perf_counter() - started
    last = conversations[-1].deliveries[-1].reply
    assert last.endswith(f"{messages} times."), last
    return elapsed


def prepare_bare(numbers, messages):
    """The bare side's requests, built before timing: [pair][message] -> (body, headers)."""
    validator = RequestValidator(AUTH_TOKEN)
    prepared = []
    for p, number in enumerate(numbers):
        conversation = []
        for m in range(messages):
            sid = f"SM{p:016x}{m:016x}"
            params = message_params(
                sid=sid,
                account_sid="AC" + "0" * 32,
                service_sid=None,
                from_=number,
                to=TWILIO_NUMBER,
                body=f"message {m}",
                media=(),
            )
            headers = dict(HEADERS)
            headers["X-Twilio-Signature"] = validator.compute_signature(WEBHOOK_URL, params)
            conversation.append((urlencode(params), headers))
        prepared.append(conversation)
    return prepared


def run_bare(app, prepared):
    """Seconds to post the prepared forms with one Flask test client (one cookie jar) per pair."""
    clients = [app.test_client() for _ in prepared]
    started = time.perf_counter()
    for client, conversation in zip(clients, prepared, strict=True):
        for body, headers in conversation:
            response = client.post(
                "/sms",
                data=body,
                headers=headers,
                content_type="application/x-www-form-urlencoded",
            )
    elapsed = time.perf_counter() - started
    last = response.get_data(as_text=True)
    assert f"{len(prepared[-1])} times." in last, last
    return elapsed


def measure(pairs=50, messages=10, rounds=5):
    """Messages per second through the simulator and the bare client, best of `rounds`, and their ratio."""
    app = create_companion_app(signed=True)
    total = pairs * messages
    best = {"simulator": float("inf"), "bare": float("inf")}
    for round_no in range(rounds):
        numbers = senders(round_no, pairs)
        prepared = prepare_bare(numbers, messages)
        sides = [
            ("simulator", lambda n=numbers: run_simulator(app, n, messages)),
            ("bare", lambda p=prepared: run_bare(app, p)),
        ]
        if round_no % 2:
            sides.reverse()
        for name, run in sides:
            best[name] = min(best[name], run())
    simulator_rate = total / best["simulator"]
    bare_rate = total / best["bare"]
    return {
        "messages per round": total,
        "rounds": rounds,
        "simulator messages/s": simulator_rate,
        "bare test client messages/s": bare_rate,
        "simulator / bare (throughput ratio)": simulator_rate / bare_rate,
        "simulator µs per message": best["simulator"] / total * 1e6,
        "bare µs per message": best["bare"] / total * 1e6,
        "simulator overhead µs per message": (best["simulator"] - best["bare"]) / total * 1e6,
    }


def main(argv=None):
    """Print the simulator's throughput beside the bare test client's, and the ratio."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulator_overhead", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--pairs", type=int, default=50, help="conversations per round")
    parser.add_argument("--messages", type=int, default=10, help="messages per conversation")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (best one kept)")
    args = parser.parse_args(argv)
    numbers = measure(args.pairs, args.messages, args.rounds)
    width = max(len(name) for name in numbers)
    for name, value in numbers.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        print(f"{name.ljust(width)}  {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
