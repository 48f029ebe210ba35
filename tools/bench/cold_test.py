"""Benchmark of a cold `make test`: what a fresh clone (CI, a new developer) waits for. Not a test.

Clones the committed HEAD of this repository into a new temporary folder (no .venv, no node_modules, no .mypy_cache:
everything is created by `make test` itself, as in `bash .ci/run`), runs `make test` there and prints the total and
the time of each stage that `make test` recorded. The machine's pip and npm download caches are used as they are
(the script says whether they hold anything), so on a machine that has installed the packages before, the downloads
are warm and the rest (virtualenv, installs, checks, tests) is cold.

    make bench-test                                   # one cold run of HEAD
    python3 tools/bench/cold_test.py --runs 3 --keep  # three runs, keep the clones (paths printed)
    python3 tools/bench/cold_test.py -- TEST_JOBS=1   # arguments after -- go to `make test`

Uncommitted changes are not benchmarked (a clone has only commits); the script warns about them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["setup", "node-deps", "system-deps", "lint", "typecheck", "unit"]
TIMES_DIR = Path(".build/test-times")  # where `make test` records "<milliseconds> <exit code>" per stage


def _cache_note() -> str:
    notes = []
    for name, cmd in (("pip", ["pip3", "cache", "dir"]), ("npm", ["npm", "config", "get", "cache"])):
        try:
            path = Path(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            notes.append(f"{name} cache: unknown")
            continue
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0
        notes.append(f"{name} cache {path}: {size / 2**20:.0f} MiB ({'warm' if size else 'empty'})")
    return "; ".join(notes)


def _one_run(ref: str, make_args: list[str], keep: bool, log_dir: Path, index: int) -> dict[str, tuple[float, int]]:
    clone = Path(tempfile.mkdtemp(prefix="cold-make-test-"))
    log = log_dir / f"make-test-{index}.log"
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", ref], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        print(f"run {index}: make test in {clone} (output: {log})", flush=True)
        start = time.monotonic()
        with log.open("w") as out:
            code = subprocess.run(
                ["make", "test", *make_args], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT
            ).returncode
        total = time.monotonic() - start
        times: dict[str, tuple[float, int]] = {}
        for stage in STAGES:
            f = clone / TIMES_DIR / stage
            if f.is_file():
                ms, rc = f.read_text().split()
                times[stage] = (int(ms) / 1000, int(rc))
        times["total"] = (total, code)
        if code != 0:
            print(f"run {index}: make test FAILED (exit {code}); last lines of {log}:", file=sys.stderr)
            print("".join(log.read_text().splitlines(keepends=True)[-30:]), file=sys.stderr)
        return times
    finally:
        if keep:
            print(f"run {index}: kept {clone}")
        else:
            shutil.rmtree(clone, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold runs, one after another (default 1)")
    parser.add_argument("--ref", default="HEAD", help="commit to benchmark (default HEAD)")
    parser.add_argument("--keep", action="store_true", help="keep the clones")
    parser.add_argument("make_args", nargs="*", help="after --: extra arguments for `make test`")
    args = parser.parse_args()

    ref = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", args.ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout
    if dirty.strip():
        print("warning: uncommitted changes are not part of the benchmark (it clones commits)", file=sys.stderr)
    bytecode = f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}"
    print(f"cold make test of {ref[:12]} on {os.cpu_count()} cores; {bytecode}; {_cache_note()}", flush=True)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-cold-test-logs-"))
    runs = [_one_run(ref, args.make_args, args.keep, log_dir, i + 1) for i in range(args.runs)]

    names = [*STAGES, "total"]
    print(
        f"\n{'stage':<12}"
        + "".join(f"{'run ' + str(i + 1):>10}" for i in range(len(runs)))
        + (f"{'median':>10}" if len(runs) > 1 else "")
    )
    for name in names:
        cells = []
        values = []
        for run in runs:
            if name in run:
                seconds, code = run[name]
                cells.append(f"{seconds:9.1f}{'!' if code else ' '}")
                values.append(seconds)
            else:
                cells.append(f"{'-':>10}")
        median = f"{statistics.median(values):10.1f}" if len(runs) > 1 and values else ""
        print(f"{name:<12}" + "".join(cells) + median)
    print("(seconds of wall clock; stages may overlap, see TEST_JOBS in the Makefile; ! = failed)")
    print(f"logs: {log_dir}")
    return 0 if all(run["total"][1] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
