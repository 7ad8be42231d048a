"""What keeps a learner's first visit small: gzip copies, a small favicon, wheels without unused parts.

Pyodide's WebAssembly shrinks from 9.6 MB to 3.5 MB with gzip and JupyterLite's JavaScript to a
third, so every file that gzip makes at least 10% smaller gets a `name.gz` beside it, which
`make serve-site` (and nginx's gzip_static, GitHub Pages ignores them) sends to browsers that
accept gzip. Wheels and zips are already compressed and are left as they are.
"""

import gzip
import struct
import zipfile
from pathlib import Path

#: Formats that are compressed already: gzip would not make them smaller.
COMPRESSED = {".whl", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".woff", ".woff2", ".ico"}
#: Smaller files are not worth a second copy (the headers are about this big).
MINIMUM = 1024
#: The largest share of the original a gzip copy may keep to be worth sending.
WORTH = 0.9


def precompress(folder):
    """Write name.gz beside each file under folder that gzip makes at least 10% smaller; return them."""
    written = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix.lower() in COMPRESSED:
            continue
        data = path.read_bytes()
        if len(data) < MINIMUM:
            continue
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        if len(packed) <= WORTH * len(data):
            target = path.with_name(path.name + ".gz")
            target.write_bytes(packed)
            written.append(target)
    return written


def small_favicon(source, target, sizes=(16, 32)):
    """Write to target the icon source keeps at the given pixel sizes (browsers show 16 and 32).

    JupyterLite's favicon.ico holds ten pictures, up to 256 pixels, 319 KB; a tab shows the
    smallest. The ICO format: a 6-byte header, one 16-byte entry per picture, then the pictures.
    """
    data = Path(source).read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    entries = []
    for i in range(count):
        entry = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        width = entry[0] or 256
        if width in sizes:
            size, offset = entry[6], entry[7]
            entries.append((entry[:6], data[offset : offset + size]))
    if not entries:
        Path(target).write_bytes(data)
        return
    header = struct.pack("<HHH", reserved, kind, len(entries))
    offset = 6 + 16 * len(entries)
    table, pictures = b"", b""
    for fields, picture in entries:
        table += struct.pack("<BBBBHHII", *fields, len(picture), offset + len(pictures))
        pictures += picture
    Path(target).write_bytes(header + table + pictures)


#: Parts of wheels the series never imports, left out of the browser's copy: of twilio's REST client,
#: only the core API (twilio.rest.api: the phone number that 04 looks up and points; the browser
#: cannot reach Twilio anyway). Its client, TwiML, request validator and exceptions all stay.
#: 2.0 of the wheel's 2.5 MB are the other products' clients.
UNUSED_IN_BROWSER = {"twilio": ("twilio/rest/", {"api"})}


def unused(package, entry):
    """True when the wheel of package need not carry entry in the browser."""
    if package not in UNUSED_IN_BROWSER:
        return False
    prefix, kept = UNUSED_IN_BROWSER[package]
    if not entry.startswith(prefix):
        return False
    part, slash, _ = entry[len(prefix) :].partition("/")
    return bool(slash) and part not in kept


def slim_wheels(folder):
    """Rewrite each wheel in folder that carries modules the series never imports, without them."""
    for path in sorted(Path(folder).glob("*.whl")):
        package = path.name.split("-")[0].lower()
        if package not in UNUSED_IN_BROWSER:
            continue
        with zipfile.ZipFile(path) as whl:
            infos = [i for i in whl.infolist() if not unused(package, i.filename)]
            files = {i.filename: whl.read(i) for i in infos}
        record = next(name for name in files if name.endswith(".dist-info/RECORD"))
        lines = files[record].decode().splitlines()
        files[record] = "".join(
            line + "\n" for line in lines if not unused(package, line.split(",")[0])
        ).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                out.writestr(info, files[info.filename], zipfile.ZIP_DEFLATED)
