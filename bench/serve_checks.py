"""Remove each of serve's security checks once, run the tests that should catch it, put it back.

    python bench/serve_checks.py      # one line per check: the tests that failed without it

Each check is a piece of source and what it becomes without the check. The file is restored
after each run, whatever happens.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "src" / "briefgen" / "serve"
SECURITY = ["tests/test_serve_security.py", "tests/test_serve.py"]
HOSTILE = ["tests/test_serve_hostile.py"]

CHECKS: dict[str, tuple[str, str, str, list[str]]] = {
    "login": ("security.py",
              "            if request.state.session is None:\n"
              "                raise LoginRequired()\n", "            pass\n", SECURITY),
    "CSRF": ("security.py",
             '            if not state.csrf.check(access, request, form.get("csrf")):\n'
             "                raise CsrfRefused()\n", "", SECURITY),
    "lock-out": ("security.py",
                 "        if until is not None:\n"
                 "            return SignIn(locked_for=_seconds_until(until))\n", "",
                 ["tests/test_serve_security.py", *HOSTILE]),
    "session end": ("security.py",
                    "        if request.state.session:\n"
                    "            self.store.end_session(request.state.session)\n", "",
                    ["tests/test_serve_security.py"]),
    "cell escaping (CSV)": ("questions.py",
                            "writer.writerows([to_csv(v) for v in row] for row in rows)",
                            "writer.writerows(rows)", ["tests/test_serve.py"]),
    "cell escaping (XLSX)": ("questions.py",
                             "set_xlsx(sheet.cell(row=r, column=c), value)",
                             "sheet.cell(row=r, column=c).value = value", ["tests/test_serve.py"]),
    "header deadline": ("server.py", "seconds = {h11.IDLE: self.limits.header_seconds,",
                        "seconds = {h11.IDLE: None,", HOSTILE),
    "connection cap": ("server.py",
                       "if self.open_per_client[host] >= self.limits.per_client:",
                       "if False:", HOSTILE),
}


def main() -> int:
    missed = 0
    for name, (file, check, without, tests) in CHECKS.items():
        path = SERVE / file
        text = path.read_text()
        assert text.count(check) == 1, f"{name}: the check is not in {file} once"
        path.write_text(text.replace(check, without))
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p",
                                   "no:randomly", "-n", "2", *tests], cwd=ROOT,
                                  capture_output=True, text=True, timeout=900)
        finally:
            path.write_text(text)
        failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
        missed += not failed
        print(f"{name}: {'caught by ' + '; '.join(failed) if failed else 'NOT CAUGHT'}",
              flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
