"""A sparse raw image holding copies of one page at seeded page frames: what scan_jobs.py scans with several
threads, and what the golden harness (tests/golden/inputs.py) records scan's output on.

The copies cluster in four places (1000 frames each within 32 MiB: chunks full of hits, threads racing for them
and overflowing their parts' limits) and the rest lie alone far apart (holes a thread skips)."""
import random

PAGE = 4096


def write(path, page, count=5000, size=40 << 30, seed=20261130):
    """Writes page at count seeded frames of a sparse file of size bytes; returns the frames, sorted."""
    rng = random.Random(seed)
    frames = set()
    for base in (0x10000, 0x80000, 0x500000, 0x900000):
        cluster = set()
        while len(cluster) < 1000:
            cluster.add(base + rng.randrange(0, 8192))
        frames |= cluster
    while len(frames) < count:
        frames.add(rng.randrange(0, size // PAGE))
    with open(path, "wb") as f:
        for pfn in sorted(frames):
            f.seek(pfn * PAGE)
            f.write(page)
        f.truncate(size)
    return sorted(frames)
