#!/usr/bin/env python3
"""Deterministic datasets for the Cairn benchmark (bench/run.sh).

    gen.py small  DIR --files N --dirs D --seed S      # N files of 1-16 KiB in D directories
    gen.py large  DIR --files K --mib M --seed S       # K files of M MiB
    gen.py modify DIR --files N --dirs D --seed S --every E --offset O
    gen.py reset  DIR --files N --dirs D --seed S --every E --offset O
    gen.py list-changed DIR --files N --dirs D --every E --offset O

Every file's content is a pure function of (seed, index), so two runs with the
same parameters produce byte-identical trees. Even-numbered files are "text"
(words drawn with a Zipf-like distribution: LZ4 -1 compresses it about 2:1),
odd-numbered ones are random bytes (incompressible).

`modify` rewrites 1 file in E (index % E == O): same size, the first line
replaced by a marker, mtime set to now; `reset` writes those files back to
their original content (the next run's Full then starts from the pristine set).
"""

import argparse
import hashlib
import itertools
import os
import random
import sys

POOL_BYTES = 8 << 20          # text pool the compressible files are sliced from
VERSION = 1                   # bump when the content function changes (invalidates stamps)


def text_pool(seed: int) -> bytes:
    r = random.Random(seed * 7919 + 1)
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    words = []
    for _ in range(3000):
        n = r.randint(2, 10)
        words.append("".join(r.choice(letters[: 8 + (n % 18)]) for _ in range(n)))
    cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(words))))
    out, size = [], 0
    while size < POOL_BYTES:
        line = " ".join(r.choices(words, cum_weights=cum, k=r.randint(6, 16))).capitalize() + ".\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:POOL_BYTES]


def random_bytes(r: random.Random, n: int) -> bytes:
    return r.randbytes(n)


def text_bytes(r: random.Random, pool: bytes, n: int) -> bytes:
    # Concatenate slices of 4-64 KiB taken at random offsets of the pool.
    parts, left = [], n
    while left > 0:
        k = min(left, r.randint(4096, 65536))
        off = r.randrange(0, len(pool) - k)
        parts.append(pool[off : off + k])
        left -= k
    return b"".join(parts)


def small_path(root: str, i: int, dirs: int) -> str:
    d = i % dirs
    ext = "txt" if i % 2 == 0 else "bin"
    return os.path.join(root, f"d{d // 10:03d}", f"s{d % 10}", f"f{i:06d}.{ext}")


def small_content(seed: int, i: int, pool: bytes) -> bytes:
    r = random.Random(seed * 1_000_003 + i)
    n = r.randint(1024, 16384)
    return text_bytes(r, pool, n) if i % 2 == 0 else random_bytes(r, n)


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def gen_small(a) -> None:
    pool = text_pool(a.seed)
    made = set()
    total = 0
    for i in range(a.files):
        p = small_path(a.dir, i, a.dirs)
        d = os.path.dirname(p)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        data = small_content(a.seed, i, pool)
        write(p, data)
        total += len(data)
    print(f"small: {a.files} files, {len(made)} directories, {total} bytes", file=sys.stderr)


def gen_large(a) -> None:
    pool = text_pool(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    chunk = 1 << 20
    for k in range(a.files):
        compressible = k % 2 == 0
        p = os.path.join(a.dir, f"large-{k}.{'txt' if compressible else 'bin'}")
        r = random.Random(a.seed * 1_000_033 + 10_000_000 + k)
        with open(p, "wb") as f:
            for _ in range(a.mib):
                f.write(text_bytes(r, pool, chunk) if compressible else random_bytes(r, chunk))
    print(f"large: {a.files} files of {a.mib} MiB", file=sys.stderr)


def changed(a):
    return [i for i in range(a.files) if i % a.every == a.offset]


def modify(a) -> None:
    pool = text_pool(a.seed)
    for i in changed(a):
        data = small_content(a.seed, i, pool)
        marker = f"CAIRN-BENCH-MODIFIED {i:06d}\n".encode()
        write(small_path(a.dir, i, a.dirs), marker + data[len(marker):])


def reset(a) -> None:
    pool = text_pool(a.seed)
    for i in changed(a):
        write(small_path(a.dir, i, a.dirs), small_content(a.seed, i, pool))


def list_changed(a) -> None:
    for i in changed(a):
        print(small_path(a.dir, i, a.dirs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["small", "large", "modify", "reset", "list-changed", "version"])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--files", type=int, default=0)
    ap.add_argument("--dirs", type=int, default=250)
    ap.add_argument("--mib", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--offset", type=int, default=37)
    a = ap.parse_args()
    if a.cmd == "version":
        print(VERSION, hashlib.sha256(open(__file__, "rb").read()).hexdigest()[:16])
        return
    {"small": gen_small, "large": gen_large, "modify": modify, "reset": reset, "list-changed": list_changed}[a.cmd](a)


if __name__ == "__main__":
    main()
