"""Start-up cost of ssoctl next to the floor set by `python -c "import typer, rich"`.

The issue's bar: `ssoctl --help` within 2.5x and `ssoctl azure register --help` within 4x of that
floor, measured side by side on the same machine. Runs are interleaved so machine noise hits all
commands alike; medians are reported. Also times a full sandbox register (fresh and re-run).

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable
COMMANDS: dict[str, list[str]] = {
    "import typer, rich (floor)": [PY, "-c", "import typer, rich"],
    "ssoctl --help": [PY, "-m", "ssoctl", "--help"],
    "ssoctl azure register --help": [PY, "-m", "ssoctl", "azure", "register", "--help"],
    "from msgraph import GraphServiceClient": [PY, "-c", "from msgraph import GraphServiceClient"],
}


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1"}
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():  # warm the file cache
        wall(cmd, env)
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            samples[name].append(wall(cmd, env))
    floor = statistics.median(samples["import typer, rich (floor)"])
    print(f"{'command':<42} {'median ms':>10} {'x floor':>8}")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"{name:<42} {med * 1000:>10.0f} {med / floor:>8.2f}")

    with tempfile.TemporaryDirectory() as home:
        reg_env = {**env, "SSOCTL_HOME": home, "SSOCTL_SANDBOX": "1", "HOME": home}
        register = [
            PY,
            "-m",
            "ssoctl",
            "azure",
            "register",
            "--portal",
            "emnify",
            "--yes",
            "--store",
            f"env-file:{home}/emnify.env",
        ]
        fresh = wall(register, reg_env)
        reruns = 5
        rerun = statistics.median(wall(register, reg_env) for _ in range(reruns))
        log = os.path.join(home, "sandbox", "requests.jsonl")
        with open(log, encoding="utf-8") as fh:
            requests = sum(1 for _ in fh)
    print(f"\n{'sandbox register, fresh (wall)':<42} {fresh * 1000:>10.0f}")
    print(f"{'sandbox register, unchanged re-run':<42} {rerun * 1000:>10.0f}")
    print(
        f"Graph requests: {requests} for 1 fresh register + {reruns} unchanged re-runs (budget: 5 + {reruns} x 1)"
    )


if __name__ == "__main__":
    main()
