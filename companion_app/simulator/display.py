"""Show conversations and cookie jars: deterministic plain text and a phone-style HTML chat.

Everything here depends only on what was sent, answered and stored, and on the simulator's clock,
so the same notebook gives the same output on every run (nbval compares it). The HTML uses inline
styles only (no <style> block, no ids), so it renders the same in JupyterLab and in static HTML.
"""

from html import escape

ARROW_IN = "→"  # phone -> Twilio number (the message the webhook receives)
ARROW_OUT = "←"  # Twilio number -> phone (a reply)
FAILED = "✗"


def clock_time(moment):
    """HH:MM of a moment."""
    return f"{moment:%H:%M}"


def day_line(moment):
    """The line that opens a new day in a transcript, e.g. '-- Monday 6 January 2025 --'."""
    return f"-- {moment:%A} {moment.day} {moment:%B %Y} --"


def with_media(text, media):
    """A message text followed by its media URLs, if any."""
    return f"{text} [media: {', '.join(media)}]" if media else text


def delivery_lines(delivery):
    """The transcript lines of one delivery: the message, each reply, and the error if any."""
    time = clock_time(delivery.sent_at)
    lines = [f"{time}  {delivery.from_} {ARROW_IN} {with_media(delivery.body, delivery.media)}"]
    for reply in delivery.replies:
        text = with_media(reply.body, reply.media)
        if reply.to == delivery.from_:
            lines.append(f"{time}  {reply.from_} {ARROW_OUT} {text}")
        else:
            lines.append(f"{time}  {reply.from_} {ARROW_IN} {reply.to}: {text}")
    if delivery.error is not None:
        lines.append(f"{time}  {FAILED} {delivery.error}")
    return lines


def transcript(from_, to, deliveries):
    """The plain-text transcript of one conversation."""
    lines = [f"{from_} ↔ {to}"]
    day = None
    for delivery in deliveries:
        if delivery.sent_at.date() != day:
            day = delivery.sent_at.date()
            lines.append(day_line(delivery.sent_at))
        lines.extend(delivery_lines(delivery))
    if not deliveries:
        lines.append("(no messages yet)")
    return "\n".join(lines)


def cookie_table(cookies):
    """The cookies of a jar as a plain-text table: name, value, set at, expires at."""
    if not cookies:
        return "(no cookies)"
    rows = [("name", "value", "set at", "expires at")]
    rows += [
        (c.name, c.value, f"{c.set_at:%Y-%m-%d %H:%M}", f"{c.expires_at:%Y-%m-%d %H:%M}")
        for c in cookies
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    )


_TABLE = "border-collapse:collapse;font:12px/1.4 monospace;margin-top:8px"
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top"
_VALUE = _CELL + ";word-break:break-all;max-width:420px"


def cookie_table_html(cookies):
    """The cookies of a jar as an HTML table."""
    if not cookies:
        return f'<div style="{_TABLE}">(no cookies)</div>'
    head = "".join(
        f'<th style="{_CELL}">{h}</th>' for h in ("name", "value", "set at", "expires at")
    )
    body = "".join(
        "<tr>"
        f'<td style="{_CELL}">{escape(c.name)}</td>'
        f'<td style="{_VALUE}">{escape(c.value)}</td>'
        f'<td style="{_CELL}">{c.set_at:%Y-%m-%d %H:%M}</td>'
        f'<td style="{_CELL}">{c.expires_at:%Y-%m-%d %H:%M}</td>'
        "</tr>"
        for c in cookies
    )
    return f'<table style="{_TABLE}"><tr>{head}</tr>{body}</table>'


_PHONE = (
    "max-width:360px;border:1px solid #bbb;border-radius:18px;overflow:hidden;"
    "font:14px/1.35 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;background:#fff;color:#111"
)
_HEADER = "background:#f2f2f7;border-bottom:1px solid #ddd;padding:8px 12px;text-align:center"
_SCREEN = "padding:8px 10px;display:flex;flex-direction:column;gap:4px"
_DAY = "align-self:center;color:#888;font-size:11px;margin:6px 0 2px"
_BUBBLE = (
    "max-width:75%;padding:6px 10px;border-radius:16px;white-space:pre-wrap;word-wrap:break-word"
)
_SENT = _BUBBLE + ";align-self:flex-end;background:#0b84ff;color:#fff"
_RECEIVED = _BUBBLE + ";align-self:flex-start;background:#e5e5ea;color:#111"
_ERROR = _BUBBLE + ";align-self:center;background:#fdecea;color:#a1100f;border:1px solid #f5c2c0"
_TIME = "font-size:10px;opacity:.7;margin-top:2px"
_MEDIA = "font-size:11px;opacity:.85"


def bubble(style, text, media, time):
    """One chat bubble: text, media links and time."""
    links = "".join(f'<div style="{_MEDIA}">📎 {escape(url)}</div>' for url in media)
    return f'<div style="{style}">{escape(text)}{links}<div style="{_TIME}">{time}</div></div>'


def chat_html(from_, to, deliveries, cookies=None):
    """A phone-style chat of one conversation, seen from the sender's phone; cookies appended if given."""
    parts = [
        f'<div style="{_PHONE}">',
        f'<div style="{_HEADER}"><div style="font-weight:600">{escape(to)}</div>'
        f'<div style="font-size:11px;color:#666">Twilio number · texting from {escape(from_)}</div></div>',
        f'<div style="{_SCREEN}">',
    ]
    day = None
    for delivery in deliveries:
        time = clock_time(delivery.sent_at)
        if delivery.sent_at.date() != day:
            day = delivery.sent_at.date()
            parts.append(f'<div style="{_DAY}">{escape(day_line(delivery.sent_at)[3:-3])}</div>')
        parts.append(bubble(_SENT, delivery.body, delivery.media, time))
        for reply in delivery.replies:
            text = reply.body if reply.to == from_ else f"(to {reply.to}) {reply.body}"
            parts.append(bubble(_RECEIVED, text, reply.media, time))
        if delivery.error is not None:
            parts.append(bubble(_ERROR, str(delivery.error), (), time))
    if not deliveries:
        parts.append(f'<div style="{_DAY}">no messages yet</div>')
    parts.append("</div></div>")
    if cookies is not None:
        parts.append(cookie_table_html(cookies))
    return "".join(parts)
