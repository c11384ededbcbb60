"""The request keywords are typed (_request_options.RequestOptions): mypy --strict on user
code catches what it catches with aiohttp (issue 13): a misspelt keyword, a wrong type, a
wrong batch argument. Run on the installed package, as a user's CI would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import asiofetch

# Each planted mistake names the error mypy must report on its line.
USER_CODE = textwrap.dedent(
    """\
    import asiofetch

    async def main(session: asiofetch.ClientSession) -> None:
        await session.get("http://h/", jsno={"a": 1})  # E: call-arg
        await session.post("http://h/", allow_redirect=False)  # E: call-arg
        await session.get("http://h/", timeout="5")  # E: arg-type
        await session.gather(["http://h/"], retry=3)  # E: arg-type
        await asiofetch.fetch("http://h/", max_redirect=3)  # E: call-arg
        # Valid code stays valid (no error expected on these lines).
        await session.get("http://h/", json={"a": 1}, timeout=5, allow_redirects=False)
        await session.request(
            "GET", "http://h/", timeout=asiofetch.ClientTimeout(total=1), retry=None
        )
        async with session.head("http://h/", params={"q": "1"}) as resp:
            resp.raise_for_status()
        await session.gather(["http://h/"], retry=asiofetch.Retry(attempts=2), timeout=1.5)
    """
)


def _expected(code: str) -> dict[int, str]:
    out = {}
    for number, line in enumerate(code.splitlines(), start=1):
        if m := re.search(r"# E: ([\w-]+)$", line):
            out[number] = m.group(1)
    return out


def test_mypy_catches_planted_mistakes_and_passes_valid_calls(tmp_path: Path) -> None:
    sample = tmp_path / "user_code.py"
    sample.write_text(USER_CODE)
    env = dict(os.environ)
    package_root = Path(asiofetch.__file__).resolve().parent.parent
    if package_root.name != "site-packages":
        # An editable install (the repo's .venv): mypy does not follow its import hook.
        env["MYPYPATH"] = str(package_root)
    proc = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-incremental",
            "--cache-dir", str(tmp_path / "cache"), "--show-error-codes", str(sample),
        ],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    found: dict[int, str] = {}
    for line in proc.stdout.splitlines():
        if m := re.match(r".*user_code\.py:(\d+): error: .*\[([\w-]+)\]$", line):
            found[int(m.group(1))] = m.group(2)
    assert found == _expected(USER_CODE), proc.stdout + proc.stderr
