"""The README's Python example runs and says what its comments promise."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_python_example_replies_as_commented():
    block = re.search(r"```python\n(.*?)```", README.read_text(), flags=re.S).group(1)
    promised = re.findall(r'conv\.send\("\w+"\)\s+# (.+)', block)
    namespace = {}
    code = "replies = []\n" + re.sub(
        r"^(conv\.send\(.*?\))", r"replies.append(\1)", block, flags=re.M
    )
    exec(code, namespace)  # noqa: S102 (the README's own example)
    got = [delivery.reply for delivery in namespace["replies"]]
    assert got[:2] == promised[:2]
    assert got[2] == "Hello Rey, thanks for the message!"  # "...so the count starts over"
