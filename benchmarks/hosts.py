"""Load and faults across 1, 2 and 3 app hosts behind nginx, sharing one Redis: `python -m benchmarks.hosts`.

Each run: 200 pairs × 20 messages to /sms/store through the load balancer (round-robin), signed
for the public URL, from 16 client threads; each pair texts in order. Twilio-style retries: every
5th message is delivered a second time with the same MessageSid (a retry after a lost answer), and
a delivery that fails (connection error or an HTTP 5xx from the balancer) is sent again, same
MessageSid, up to 5 times (the most Twilio's connection overrides allow). With 2 or 3 hosts, host 2
is killed (SIGKILL, master and workers) when half the messages are in. Every reply's count must be
the message's number and every pair must end at 20 in Redis: nothing lost, nothing counted twice.

Loopback only; the client, nginx, Redis and the hosts share this machine's CPUs, so throughput per
added host is reported as a ratio to one host measured in the same run, not as capacity.
"""

import argparse
import re
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from twilio.request_validator import RequestValidator

from companion_app.app.store import RedisPairStore
from companion_app.serving.hosts import Hosts, LoadBalancer, RedisServer, missing
from companion_app.simulator import SystemClock

PUBLIC = "https://sms.example.com"
#: A made-up auth token for this run only: the hosts check signatures as in production.
TOKEN = secrets.token_hex(16)
TWILIO_NUMBER = "+14155550199"
COUNT = re.compile(r"has messaged \S+ (\d+) times|Hello ")
MAX_TRIES = 1 + 5


def sender(pair):
    """The pair's phone number."""
    return f"+1415556{pair:04d}"


def expected_count(reply):
    """The count a reply states (1 for the thank-you)."""
    found = COUNT.search(reply)
    if not found:
        return None
    return int(found.group(1)) if found.group(1) else 1


class Run:
    """One load run against a balancer URL; thread-safe tallies."""

    def __init__(self, url, pairs, messages, kill_at=None, kill=None):
        self.url, self.pairs, self.messages = url + "/sms/store", pairs, messages
        self.kill_at, self.kill = kill_at, kill
        self.validator = RequestValidator(TOKEN)
        self.lock = threading.Lock()
        self.done = self.retries = self.resent = self.failed = self.wrong = 0
        self.local = threading.local()

    def post(self, params, signature):
        """One delivery, sent again on failure as Twilio would; the reply text or None."""
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        for attempt in range(MAX_TRIES):
            if attempt:
                with self.lock:
                    self.resent += 1
            try:
                response = session.post(
                    self.url,
                    data=params,
                    headers={"X-Twilio-Signature": signature},
                    timeout=15,
                )
            except requests.RequestException:
                continue
            if response.status_code < 500:
                return response.text if response.status_code == 200 else None
        return None

    def pair(self, pair):
        """Text the pair's messages in order, with a retry of every 5th."""
        for number in range(1, self.messages + 1):
            params = {
                "MessageSid": f"SM{pair:016x}{number:016x}",
                "AccountSid": "AC" + "0" * 32,
                "From": sender(pair),
                "To": TWILIO_NUMBER,
                "Body": f"message {number}",
                "NumMedia": "0",
            }
            signature = self.validator.compute_signature(PUBLIC + "/sms/store", params)
            deliveries = 2 if number % 5 == 0 else 1
            for _ in range(deliveries):
                reply = self.post(params, signature)
                with self.lock:
                    if reply is None:
                        self.failed += 1
                    elif expected_count(reply) != number:
                        self.wrong += 1
            with self.lock:
                self.retries += deliveries - 1
                self.done += 1
                kill_now = self.kill is not None and self.done == self.kill_at
            if kill_now:
                self.kill()

    def go(self, threads=16):
        """Run every pair; seconds taken."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(self.pair, range(self.pairs)))
        return time.perf_counter() - started


def measure(host_counts=(1, 2, 3), pairs=200, messages=20, workers=1):
    """One row per host count: deliveries, faults, exactness and throughput."""
    rows = []
    with RedisServer() as redis_server:
        env = {
            "SECRET_KEY": secrets.token_hex(32),
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TRUST_PROXY_HEADERS": "on",
            "STORE_URL": redis_server.url,
        }
        import redis

        for count in host_counts:
            redis.Redis.from_url(redis_server.url).flushall()
            with (
                Hosts(count, env=env, workers=workers) as hosts,
                LoadBalancer(hosts.urls, PUBLIC) as balancer,
            ):
                requests.post(balancer.url + "/", timeout=5)  # nginx's first connections
                total = pairs * messages
                kill = (lambda h=hosts: h.kill(2)) if count >= 2 else None
                run = Run(balancer.url, pairs, messages, kill_at=total // 2, kill=kill)
                seconds = run.go()
            store = RedisPairStore(redis_server.url, SystemClock(), lifetime=timedelta(hours=4))
            finals = [store.state(sender(p), TWILIO_NUMBER).get("counter", 0) for p in range(pairs)]
            rows.append(
                {
                    "hosts": count,
                    "killed": "host 2" if count >= 2 else "–",
                    "messages": total,
                    "deliveries": total + run.retries + run.resent,
                    "retries": run.retries,
                    "resent": run.resent,
                    "failed": run.failed,
                    "wrong_replies": run.wrong,
                    "exact": finals == [messages] * pairs,
                    "over": sum(f > messages for f in finals),
                    "seconds": seconds,
                    "per_second": total / seconds,
                }
            )
    return rows


def table(rows):
    """The results as a markdown table, throughput as a ratio to one host."""
    base = rows[0]["per_second"]
    lines = [
        "| hosts | killed mid-run | messages | deliveries | Twilio retries (same SID) | "
        "re-sent after a failure | failed | wrong replies | every count exact | pairs counted "
        "twice | messages/s | vs 1 host |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['hosts']} | {r['killed']} | {r['messages']} | {r['deliveries']} | "
            f"{r['retries']} | {r['resent']} | {r['failed']} | {r['wrong_replies']} | "
            f"{'yes' if r['exact'] else 'NO'} | {r['over']} | {r['per_second']:.0f} | "
            f"×{r['per_second'] / base:.2f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    """Print the load-and-faults table (or what to install)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hosts", description=__doc__)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per host")
    args = parser.parse_args(argv)
    reasons = missing()
    if reasons:
        print("\n".join(reasons), file=sys.stderr)
        return 2
    rows = measure(pairs=args.pairs, messages=args.messages, workers=args.workers)
    print(table(rows))
    return 0 if all(r["exact"] and not r["failed"] and not r["wrong_replies"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
