"""A durable record of each number this tool pointed, so its original SMS webhook is never lost.

The record is written (atomically) before the number is changed and removed only once Twilio
confirmed the restore. A process killed in between leaves the record behind: the next `serve
--tunnel` or `go_live`, or `python -m companion_app restore-number`, finds it and puts the number back.
"""

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from companion_app.settings import OFFLINE_SWITCH, is_on

#: Where the records live; tests and careful users point it elsewhere.
STATE_DIR_VARIABLE = "SMS_COOKIES_STATE_DIR"
#: The command that puts every recorded number back by hand.
RESTORE_COMMAND = "python -m companion_app restore-number"


@dataclass(frozen=True)
class Record:
    """One pointed number: what it was (old), what it was set to (new), and who set it."""

    phone_number: str
    sid: str
    account_sid: str
    old_url: str
    old_method: str
    new_url: str
    pid: int
    started: float

    @property
    def owner_alive(self):
        """True while the process that wrote this record still runs (and still holds the number)."""
        if self.pid == os.getpid():
            return (self.phone_number, self.new_url) in _held
        return process_alive(self.pid)


#: (number, new URL) pairs that a session in this process holds right now.
_held = set()


def state_dir():
    """The folder for the records: $SMS_COOKIES_STATE_DIR, else the user's state/data folder."""
    override = os.environ.get(STATE_DIR_VARIABLE, "").strip()
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "sms-cookies"


def records_enabled():
    """False under the offline switch (a fresh machine has no records), unless a folder is given."""
    return not is_on(os.environ.get(OFFLINE_SWITCH)) or bool(os.environ.get(STATE_DIR_VARIABLE))


def process_alive(pid):
    """True when a process with this id exists."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill would terminate it there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_state_dir():
    """The state folder, created readable by this user only (0700): it holds account SIDs."""
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _path(phone_number, folder=None):
    digits = re.sub(r"\D", "", phone_number) or "unknown"
    return (folder or state_dir()) / f"number-{digits}.json"


def save(record):
    """Write the record atomically (temp file, fsync, rename) and return its path."""
    folder = ensure_state_dir()
    target = _path(record.phone_number, folder)
    handle, temp = tempfile.mkstemp(prefix=".number-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(asdict(record), out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return target


def load(phone_number):
    """The record for this number, or None."""
    if not records_enabled():
        return None
    return _read(_path(phone_number))


def load_all():
    """Every record in the state folder, oldest first."""
    if not records_enabled():
        return []
    folder = state_dir()
    if not folder.is_dir():
        return []
    found = [_read(path) for path in sorted(folder.glob("number-*.json"))]
    return sorted((r for r in found if r), key=lambda r: r.started)


def damaged():
    """(path, why) for each record in the state folder that cannot be read as one."""
    if not records_enabled() or not state_dir().is_dir():
        return []
    found = []
    for path in sorted(state_dir().glob("number-*.json")):
        why = _problem(path)
        if why:
            found.append((path, why))
    return found


def damaged_lines():
    """One sentence per damaged record: which file, and what to do."""
    return [
        f"The record {path} is damaged ({why}): check that number's SMS webhook in the Twilio "
        "Console (Phone Numbers), set it back if needed, then delete that file."
        for path, why in damaged()
    ]


_TEXT_FIELDS = ("phone_number", "sid", "account_sid", "old_url", "old_method", "new_url")


def _problem(path):
    """Why the file is not a record, or None when it is one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        return f"not readable JSON: {type(error).__name__}"
    if not isinstance(data, dict):
        return "not a JSON object"
    missing = [name for name in (*_TEXT_FIELDS, "pid", "started") if name not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    for name in _TEXT_FIELDS:
        if not isinstance(data[name], str):
            return f"{name} is not text"
    pid = data["pid"]
    if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid < 2**31:
        return "pid is not a process id"
    started = data["started"]
    if isinstance(started, bool) or not isinstance(started, (int, float)):
        return "started is not a time"
    if not 0 <= started < 2**40:
        return "started is not a time"
    return None


def _read(path):
    if _problem(path):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Record(**{name: data[name] for name in (*_TEXT_FIELDS, "pid", "started")})


def remove(record):
    """Delete the record of this number, if it is still this one."""
    path = _path(record.phone_number)
    current = _read(path)
    if current is not None and (current.pid, current.new_url) != (record.pid, record.new_url):
        return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def new_record(phone_number, sid, account_sid, old, new):
    """A record of this process pointing phone_number from old to new (Webhook values)."""
    return Record(
        phone_number=phone_number,
        sid=sid,
        account_sid=account_sid,
        old_url=old.url,
        old_method=old.method,
        new_url=new.url,
        pid=os.getpid(),
        started=time.time(),
    )


def hold(record):
    """Mark the record as held by a live session of this process."""
    _held.add((record.phone_number, record.new_url))


def release(record):
    """This process no longer holds the number."""
    _held.discard((record.phone_number, record.new_url))
