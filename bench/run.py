#!/usr/bin/env python3
"""Benchmarks livecut's media engine against the ffmpeg CLI doing the same work, in one run.

Produces the tables of BENCHMARKS.md. Everything is measured here, now: wall time and peak RSS
of each command (getrusage of the child), medians over --runs repetitions.

  python3 bench/run.py --runs 3 [--data bench-data] [--reencode-runs 1]

The recording is generated once with `livecut testgen` (10 minutes, 1080p30, 2 s GOPs and
segments, AAC) and kept in --data for later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START = "2026-11-24T10:00:00Z"
START_S = 1795514400


def iso(offset_s: float) -> str:
    t = time.gmtime(START_S + int(offset_s))
    frac = offset_s - int(offset_s)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f"{frac:.6f}"[1:] + "Z"


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the max over all waited-for children; run each
    # measurement in a fresh helper process so it is this command's own peak.
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def measure_isolated(cmd: list[str]) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure-one", json.dumps(cmd)], capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(out.stderr)
    wall, rss = out.stdout.split()
    return float(wall), int(rss)


def frames(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def sub_playlist(src: Path, first: int, last: int, dst: Path) -> None:
    """The segments first..last (by position) of src as a playlist of their own."""
    lines = src.read_text().splitlines()
    head = [l for l in lines if l.startswith(("#EXTM3U", "#EXT-X-VERSION", "#EXT-X-TARGETDURATION"))]
    segs, cur = [], []
    for l in lines:
        if l.startswith(("#EXTINF", "#EXT-X-PROGRAM-DATE-TIME")):
            cur.append(l)
        elif l and not l.startswith("#"):
            cur.append(str(src.parent / l))
            segs.append(cur)
            cur = []
    body = [l for s in segs[first:last + 1] for l in s]
    dst.write_text("\n".join(head + body + ["#EXT-X-ENDLIST", ""]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reencode-runs", type=int, default=1)
    ap.add_argument("--data", default=str(REPO / "bench-data"))
    ap.add_argument("--livecut", default=str(REPO / "target/release/livecut"))
    ap.add_argument("--measure-one")
    ap.add_argument("--media-engine", action="store_true",
                    help="instead: Accurate vs the ffmpeg CLI with the same settings, a 20-clip "
                         "AccurateFast job, cover extraction")
    a = ap.parse_args()
    if a.measure_one:
        wall, rss = measure(json.loads(a.measure_one))
        print(wall, rss)
        return

    data = Path(a.data)
    rec = data / "rec1080"
    playlist = rec / "index.m3u8"
    if not playlist.exists():
        rec.mkdir(parents=True, exist_ok=True)
        print("generating the 10-minute 1080p30 recording ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run([a.livecut, "testgen", "--dir", str(rec), "--seconds", "600", "--width", "1920",
                        "--height", "1080", "--fps", "30", "--gop-seconds", "2", "--segment-seconds", "2",
                        "--start", START, "--preset", "veryfast"], check=True)
        print(f"  took {time.perf_counter() - t0:.1f} s", flush=True)
    out = data / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if a.media_engine:
        media_engine(a, playlist, out)
        return

    # A 9-minute clip with edges mid-GOP: 30.517 s .. 570.283 s.
    a9, b9 = 30.517, 570.283
    a1, b1 = 120.517, 180.283
    first_seg, last_seg = int(a9 // 2), int(b9 // 2)
    sub = out / "rough-segments.m3u8"
    sub_playlist(playlist, first_seg, last_seg, sub)

    jobs = {
        "RoughFast 9 min, livecut": [a.livecut, "cut", "--playlist", str(playlist), "--clip",
                                     f"{iso(a9)},{iso(b9)}", "--mode", "RoughFast", "--output", str(out / "lc-rough.mp4")],
        "RoughFast 9 min, ffmpeg -c copy": ["ffmpeg", "-v", "error", "-y", "-i", str(sub), "-c", "copy",
                                            "-movflags", "+faststart", str(out / "ff-copy.mp4")],
        "AccurateFast 9 min, livecut": [a.livecut, "cut", "--playlist", str(playlist), "--clip",
                                        f"{iso(a9)},{iso(b9)}", "--mode", "AccurateFast", "--output", str(out / "lc-acc9.mp4")],
        "AccurateFast 1 min, livecut": [a.livecut, "cut", "--playlist", str(playlist), "--clip",
                                        f"{iso(a1)},{iso(b1)}", "--mode", "AccurateFast", "--output", str(out / "lc-acc1.mp4")],
    }
    reencode = {
        "accurate re-encode 9 min, ffmpeg libx264 veryfast": [
            "ffmpeg", "-v", "error", "-y", "-ss", f"{a9:.3f}", "-i", str(playlist), "-t", f"{b9 - a9:.3f}",
            "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-movflags", "+faststart",
            str(out / "ff-reencode.mp4")],
    }
    load_before = os.getloadavg()[0]
    results: dict[str, tuple[float, int]] = {}
    for name, cmd in list(jobs.items()) + list(reencode.items()):
        runs = a.reencode_runs if name in reencode else a.runs
        samples = [measure_isolated(cmd) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples)
        results[name] = (wall, rss)
        print(f"{name}: median {wall:.3f} s over {runs} runs, peak RSS {rss / 1024:.1f} MiB "
              f"(all: {', '.join(f'{s[0]:.3f}' for s in samples)})", flush=True)

    n = {k: frames(out / f) for k, f in [("rough", "lc-rough.mp4"), ("copy", "ff-copy.mp4"),
                                          ("acc9", "lc-acc9.mp4"), ("reenc", "ff-reencode.mp4")]}
    rough, copy = results["RoughFast 9 min, livecut"][0], results["RoughFast 9 min, ffmpeg -c copy"][0]
    acc9 = results["AccurateFast 9 min, livecut"][0]
    reenc = results["accurate re-encode 9 min, ffmpeg libx264 veryfast"][0]
    print()
    print(f"machine: {os.cpu_count()} cores; ffmpeg CLI and livecut from this checkout, same run; "
          f"1-min load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print("| job | median wall s | peak RSS MiB | video frames |")
    print("| --- | ---: | ---: | ---: |")
    for name, (wall, rss) in results.items():
        key = {"RoughFast 9 min, livecut": "rough", "RoughFast 9 min, ffmpeg -c copy": "copy",
               "AccurateFast 9 min, livecut": "acc9",
               "accurate re-encode 9 min, ffmpeg libx264 veryfast": "reenc"}.get(name)
        print(f"| {name} | {wall:.3f} | {rss / 1024:.1f} | {n.get(key, '') if key else ''} |")
    print()
    print(f"- RoughFast / ffmpeg copy: {rough / copy:.2f}x the time (target: <= 1.0)")
    print(f"- ffmpeg accurate re-encode / AccurateFast: {reenc / acc9:.1f}x faster (target: >= 50)")
    print(f"- AccurateFast overhead over the ffmpeg copy: {acc9 / copy:.2f}x the time, +{acc9 - copy:.2f} s")
    m1, m9 = results["AccurateFast 1 min, livecut"][1], results["AccurateFast 9 min, livecut"][1]
    print(f"- peak RSS AccurateFast 1 min vs 9 min: {m1 / 1024:.1f} vs {m9 / 1024:.1f} MiB ({m9 / m1:.2f}x)")


def media_engine(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """Issue 3's measurements on the same 10-minute 1080p30 recording."""
    load_before = os.getloadavg()[0]
    acc_a, acc_b = 120.517, 180.283
    # ffmpeg with livecut's Accurate settings: libx264 veryfast CRF 23, 2 s GOP, AAC 64 kbit/s a channel.
    jobs = {
        "Accurate 1 min 1080p, livecut": [a.livecut, "cut", "--playlist", str(playlist), "--clip",
                                          f"{iso(acc_a)},{iso(acc_b)}", "--mode", "Accurate",
                                          "--output", str(out / "lc-accurate.mp4")],
        "Accurate 1 min 1080p, ffmpeg CLI same settings": [
            "ffmpeg", "-v", "error", "-y", "-ss", f"{acc_a:.3f}", "-i", str(playlist), "-t", f"{acc_b - acc_a:.3f}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(out / "ff-accurate.mp4")],
    }
    twenty = []
    for i in range(20):
        start = 10.517 + i * 29.0
        twenty += ["--clip", f"{iso(start)},{iso(start + 10.25)}"]
    jobs["AccurateFast 20 clips x 10 s, livecut"] = [a.livecut, "cut", "--playlist", str(playlist), *twenty,
                                                     "--mode", "AccurateFast", "--output", str(out / "lc-20.mp4")]
    results = {}
    for name, cmd in jobs.items():
        samples = [measure_isolated(cmd) for _ in range(a.runs)]
        results[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
        print(f"{name}: median {results[name][0]:.3f} s over {a.runs} runs, peak RSS {results[name][1] / 1024:.1f} MiB "
              f"(all: {', '.join(f'{s[0]:.3f}' for s in samples)})", flush=True)
    covers = {}
    for label, t in [("on an IDR", 300.0), ("mid-GOP", 301.0), ("last frame of a GOP", 301.967)]:
        times = []
        for _ in range(a.runs):
            proc = subprocess.run([a.livecut, "cut", "--playlist", str(playlist), "--clip", f"{iso(t)},{iso(t + 0.5)}",
                                   "--mode", "RoughFast", "--output", str(out / "cov.mp4"),
                                   "--cover-time", iso(t), "--cover-output", str(out / "cov.jpg")],
                                  capture_output=True, text=True, check=True)
            line = next(l for l in proc.stdout.splitlines() if "cover in" in l)
            times.append(float(line.split("cover in ")[1].split()[0]))
        covers[label] = statistics.median(times)
    lc, ff = results["Accurate 1 min 1080p, livecut"][0], results["Accurate 1 min 1080p, ffmpeg CLI same settings"][0]
    print()
    print(f"machine: {os.cpu_count()} cores; same run; 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print("| job | median wall s | peak RSS MiB | video frames |")
    print("| --- | ---: | ---: | ---: |")
    files = {"Accurate 1 min 1080p, livecut": "lc-accurate.mp4",
             "Accurate 1 min 1080p, ffmpeg CLI same settings": "ff-accurate.mp4",
             "AccurateFast 20 clips x 10 s, livecut": "lc-20.mp4"}
    for name, (wall, rss) in results.items():
        print(f"| {name} | {wall:.3f} | {rss / 1024:.1f} | {frames(out / files[name])} |")
    print()
    print(f"- Accurate / ffmpeg CLI with the same settings: {lc / ff:.2f}x the time (target: <= 1.1)")
    for label, t in covers.items():
        print(f"- cover JPEG at 1080p, frame {label}: {t * 1000:.0f} ms (median of {a.runs})")


if __name__ == "__main__":
    main()
