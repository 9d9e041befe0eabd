#!/usr/bin/env python3
"""Benchmarks livecut's media engine against the ffmpeg CLI doing the same work, in one run.

Produces the tables of BENCHMARKS.md. Everything is measured here, now: wall time and peak RSS
of each command (getrusage of the child), medians over --runs repetitions.

  python3 bench/run.py --runs 3 [--data bench-data] [--reencode-runs 1]
  python3 bench/run.py --media-engine --runs 3     # Accurate, 20 clips, covers
  python3 bench/run.py --memory --runs 3           # peak RSS, 1-minute vs 30-minute clips
  python3 bench/run.py --hevc --runs 3             # AccurateFast on HEVC vs ffmpeg libx265
  python3 bench/run.py --hevc --generate-only      # only make the HEVC recording
  python3 bench/run.py --fmp4 --runs 3             # copy modes on an fMP4 remux vs ffmpeg -c copy
  python3 bench/run.py --storage --runs 3          # recordings and outputs on the S3 test server vs local
  python3 bench/run.py --jobs --sdk-python .venv/bin/python   # 500 short jobs, 1 and 3 workers, PostgreSQL
  python3 bench/run.py --queue                     # queue claims/s (examples/queue_bench.rs), PostgreSQL and SQLite

The recording is generated once with `livecut testgen` (10 minutes, 1080p30, 2 s GOPs and
segments, AAC) and kept in --data for later runs. --hevc makes (once, with the ffmpeg CLI under
nice) an HEVC copy of it: libx265, 2 s closed GOPs, 2 s segments, the same pictures and audio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START = "2026-11-24T10:00:00Z"
START_S = 1795514400


def iso(offset_s: float) -> str:
    t = time.gmtime(START_S + int(offset_s))
    frac = offset_s - int(offset_s)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f"{frac:.6f}"[1:] + "Z"


def measure(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of one command run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the max over all waited-for children; run each
    # measurement in a fresh helper process so it is this command's own peak.
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), proc.stdout.decode()


def cpu_seconds_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def try_measure_output(cmd: list[str]) -> tuple[float, int, str] | str:
    """Wall s, peak RSS KiB and the command's stdout, measured in a fresh helper process; a failing
    command gives its error text instead."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure-one", json.dumps(cmd)], capture_output=True, text=True
    )
    if out.returncode != 0:
        return out.stderr.strip()
    first, _, rest = out.stdout.partition("\n")
    wall, rss, cpu = first.split()
    return float(wall), int(rss), f"cpu {cpu}\n{rest}"


def measure_isolated(cmd: list[str]) -> tuple[float, int]:
    r = try_measure_output(cmd)
    if isinstance(r, str):
        sys.exit(r)
    return r[0], r[1]


def try_measure_isolated(cmd: list[str]) -> tuple[float, int] | str:
    """Like measure_isolated, but a failing command gives its error text instead of ending the run."""
    r = try_measure_output(cmd)
    return r if isinstance(r, str) else (r[0], r[1])


def median_of(name: str, cmd: list[str], runs: int) -> tuple[float, float] | str:
    """Median wall s and peak RSS KiB over `runs` runs (printed), or the first failure's text."""
    samples = []
    for _ in range(runs):
        r = try_measure_isolated(cmd)
        if isinstance(r, str):
            print(f"{name}: FAILED\n{r[-1500:]}", flush=True)
            return r
        samples.append(r)
    wall = statistics.median(s[0] for s in samples)
    rss = statistics.median(s[1] for s in samples)
    print(f"{name}: median {wall:.3f} s over {runs} runs, peak RSS {rss / 1024:.1f} MiB "
          f"(all: {', '.join(f'{s[0]:.3f} s/{s[1] / 1024:.1f} MiB' for s in samples)})", flush=True)
    return wall, rss


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
    # An fMP4 recording's init section, by its absolute path.
    head += [l.replace('URI="', f'URI="{src.parent}/') for l in lines if l.startswith("#EXT-X-MAP:")]
    segs, cur = [], []
    for l in lines:
        if l.startswith(("#EXTINF", "#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-DISCONTINUITY")):
            cur.append(l)
        elif l and not l.startswith("#"):
            cur.append(str(src.parent / l))
            segs.append(cur)
            cur = []
    chosen = segs[first:last + 1]
    if chosen and chosen[0][0] == "#EXT-X-DISCONTINUITY":
        chosen[0] = chosen[0][1:]
    body = [l for s in chosen for l in s]
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
    ap.add_argument("--boundary-quality", action="store_true",
                    help="issue 12 target 1: time of the 20-clip AccurateFast job and PSNR of re-encoded boundary frames")
    ap.add_argument("--clip-count-memory", action="store_true",
                    help="issue 12 target 7: peak RSS of 1, 20 and 100-clip jobs (AccurateFast, RoughFast)")
    ap.add_argument("--memory", action="store_true",
                    help="instead: peak RSS of 1-minute and 30-minute clips (the 10-minute recording "
                         "played three times behind EXT-X-DISCONTINUITY), livecut and the ffmpeg CLI")
    ap.add_argument("--memory-long-reencode", action="store_true",
                    help="with --memory: also the 30-minute Accurate and ffmpeg libx264 re-encodes "
                         "(each ~12-30 min of CPU on 2 cores)")
    ap.add_argument("--hevc", action="store_true",
                    help="instead: AccurateFast on a 10-minute 1080p30 HEVC recording vs the ffmpeg CLI's "
                         "accurate re-encode with libx265")
    ap.add_argument("--hevc-preset", default="veryfast",
                    help="libx265 preset of the HEVC recording and of the ffmpeg re-encode (default: "
                         "veryfast, the preset livecut encodes boundary GOPs with)")
    ap.add_argument("--fmp4", action="store_true",
                    help="copy modes on an fMP4/CMAF remux of the recording (ffmpeg CLI hls muxer) vs ffmpeg -c copy")
    ap.add_argument("--generate-only", action="store_true",
                    help="with --hevc: only make the HEVC recording")
    ap.add_argument("--storage", action="store_true",
                    help="instead: RoughFast and AccurateFast with the recording and output on the local S3 test "
                         "server vs the local folder (alternating), bytes read, peak RSS of 1- and 30-minute clips")
    ap.add_argument("--jobs", action="store_true",
                    help="instead: many short AccurateFast jobs through the API (official SDK) on a throwaway "
                         "PostgreSQL with the S3 test server, with 1 and 3 worker processes")
    ap.add_argument("--queue", action="store_true",
                    help="instead: queue claims per second (the queue_bench example) on PostgreSQL (throwaway and "
                         "durable) and SQLite")
    ap.add_argument("--queue-jobs", type=int, default=20000)
    ap.add_argument("--queue-claimers", default="1,4,16")
    ap.add_argument("--queue-durable-jobs", type=int, default=5000,
                    help="jobs per run on the durable PostgreSQL (a commit waits for the disk: ~70 claims/s with 1 claimer)")
    ap.add_argument("--queue-bench", default=str(REPO / "target/release/examples/queue_bench"))
    ap.add_argument("--job-count", type=int, default=500)
    ap.add_argument("--job-workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 3],
                    help="worker process counts of --jobs (default 1,3)")
    ap.add_argument("--job-timeout", type=float, default=1800.0, help="seconds to wait for the jobs of one --jobs run")
    ap.add_argument("--idle-wait", type=float, default=1200.0,
                    help="--storage/--jobs: seconds to wait for other test runs and builds to end (polled every 30 s)")
    ap.add_argument("--s3-server", default=str(REPO / "target/release/livecut-test-s3"))
    ap.add_argument("--sdk-python", default=str(REPO / ".venv/bin/python"),
                    help="python with the official SDK installed (alibabacloud_ice20201109)")
    a = ap.parse_args()
    # SIGTERM ends the run through the `finally`s, which stop the servers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.measure_one:
        wall, rss, stdout = measure(json.loads(a.measure_one))
        # The third number: CPU seconds (user + system) of the command, i.e. core-seconds.
        print(wall, rss, cpu_seconds_of_children())
        print(stdout, end="")
        return

    data = Path(a.data).resolve()
    if a.jobs or a.queue:
        out = data / ("out-jobs" if a.jobs else "out-queue")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        (jobs_bench if a.jobs else queue_bench)(a, out)
        return
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
    if a.hevc and a.generate_only:
        hevc_recording(data, playlist, a.hevc_preset)
        return
    out = data / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if a.media_engine:
        media_engine(a, playlist, out)
        return
    if a.boundary_quality:
        boundary_quality(a, playlist, out)
        return
    if a.clip_count_memory:
        clip_count_memory(a, playlist, out)
        return
    if a.memory:
        memory(a, playlist, out)
        return
    if a.hevc:
        hevc(a, hevc_recording(data, playlist, a.hevc_preset), out)
        return
    if a.storage:
        storage(a, playlist, out)
        return
    if a.fmp4:
        fmp4(a, playlist, fmp4_recording(data, playlist), out)
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


def boundary_psnr(output: Path, playlist: Path, start: float) -> list[float]:
    """Per-frame PSNR (Y, dB) of `output` against the recording decoded from `start` by the
    ffmpeg CLI: copied frames decode identically (inf, left out), so what is left are the frames
    livecut re-encoded at the clip's edges. ffmpeg's seek may land a frame or two off livecut's
    first frame, so the reference is aligned where the most frames are identical."""
    best: tuple[int, list[float]] = (-1, [])
    for k in range(-3, 4):
        stats = output.with_suffix(f".psnr{k}.txt")
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(output), "-ss", f"{start + k / 30:.4f}", "-i",
                        str(playlist), "-lavfi", "[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];"
                        f"[a][b]psnr=stats_file={stats}:shortest=1", "-f", "null", "-"], check=True)
        fields = [next((f for f in line.split() if f.startswith("psnr_y:")), "")
                  for line in stats.read_text().splitlines()]
        identical = sum(f == "psnr_y:inf" for f in fields)
        if identical > best[0]:
            best = (identical, [float(f.split(":")[1]) for f in fields if f and f != "psnr_y:inf"])
    return best[1]


def boundary_quality(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """Issue 12 target 1: the 20-clip AccurateFast job (20 x 10.25 s, every edge mid-GOP) and the
    quality of what it re-encodes (target: >= 40 dB at 1080p)."""
    twenty = []
    for i in range(20):
        start = 10.517 + i * 29.0
        twenty += ["--clip", f"{iso(start)},{iso(start + 10.25)}"]
    cmd = [a.livecut, "cut", "--playlist", str(playlist), *twenty, "--mode", "AccurateFast",
           "--output", str(out / "lc-20.mp4")]
    r = median_of("AccurateFast 20 clips x 10.25 s", cmd, a.runs)
    if isinstance(r, str):
        return
    output_s = 20 * 10.25
    print(f"  {output_s / r[0]:.1f}x real time ({output_s:.0f} s of output)")
    # The same ranges through PyPI's smartcut 1.7, in a virtual environment of its own, on the
    # recording remuxed into one MP4 (smartcut reads files, not playlists; not timed).
    venv = Path(a.data) / "smartcut-venv"
    if not (venv / "bin" / "smartcut").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "smartcut==1.7"], check=True)
    whole = Path(a.data) / "rec1080.mp4"
    if not whole.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(playlist), "-c", "copy",
                        "-bsf:a", "aac_adtstoasc", str(whole)], check=True)
    keep = ",".join(f"{10.517 + i * 29.0:.3f},{10.517 + i * 29.0 + 10.25:.3f}" for i in range(20))
    sc = median_of("smartcut 1.7, the same 20 ranges",
                   [str(venv / "bin" / "smartcut"), "-k", keep, str(whole), str(out / "sc-20.mp4")], a.runs)
    if not isinstance(sc, str):
        print(f"  livecut is {sc[0] / r[0]:.2f}x faster than smartcut (target: >= 5x); "
              f"video frames: livecut {frames(out / 'lc-20.mp4')}, smartcut {frames(out / 'sc-20.mp4')}")
    # One clip, both edges mid-GOP, for the PSNR of its re-encoded frames.
    s, e = 120.517, 150.283
    one = out / "lc-one.mp4"
    subprocess.run([a.livecut, "cut", "--playlist", str(playlist), "--clip", f"{iso(s)},{iso(e)}",
                    "--mode", "AccurateFast", "--output", str(one)], check=True, capture_output=True)
    values = boundary_psnr(one, playlist, s)
    if values:
        print(f"  re-encoded frames of a {e - s:.1f} s clip: {len(values)}, PSNR Y min {min(values):.2f} dB, "
              f"mean {statistics.mean(values):.2f} dB (target >= 40 dB)")
    else:
        print("  no re-encoded frame differs from the source")


def clip_count_memory(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """Issue 12 target 7: memory must not grow with the number of clips. 1, 20 and 100 clips of
    5.25 s each (edges mid-GOP) spread over the 10-minute recording, in one job each."""
    load_before = os.getloadavg()[0]
    rows = []
    for mode in ["AccurateFast", "RoughFast"]:
        peaks = {}
        for n in [1, 20, 100]:
            clips = []
            for i in range(n):
                start = 3.517 + i * 5.9
                clips += ["--clip", f"{iso(start)},{iso(start + 5.25)}"]
            cmd = [a.livecut, "cut", "--playlist", str(playlist), *clips, "--mode", mode,
                   "--output", str(out / f"clips-{mode}-{n}.mp4")]
            r = median_of(f"{mode} {n} clips", cmd, a.runs)
            if isinstance(r, str):
                return
            peaks[n] = r
            rows.append((mode, n, r[0], r[1], frames(out / f"clips-{mode}-{n}.mp4")))
        print(f"{mode}: peak RSS 100 clips / 1 clip = {peaks[100][1] / peaks[1][1]:.2f}x (target < 1.5x)")
    print()
    print(f"machine: {os.cpu_count()} cores; 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print("| mode | clips | median wall s | peak RSS MiB | video frames |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode, n, wall, rss, f in rows:
        print(f"| {mode} | {n} | {wall:.3f} | {rss / 1024:.1f} | {f} |")


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


def segments_of(playlist: Path) -> list[tuple[float, Path]]:
    """(EXTINF seconds, absolute path) of every segment of a media playlist."""
    out, dur = [], None
    for l in playlist.read_text().splitlines():
        if l.startswith("#EXTINF:"):
            dur = float(l[len("#EXTINF:"):].split(",")[0])
        elif l and not l.startswith("#"):
            out.append((dur, (playlist.parent / l).resolve()))
    return out


def repeated_playlist(src: Path, times: int, dst: Path) -> float:
    """src's segments `times` times in one playlist, each repetition after an
    EXT-X-DISCONTINUITY with PROGRAM-DATE-TIMEs continuing: what a recorder that restarted
    (timestamps reset) between parts writes. Returns the total duration in seconds."""
    segs = segments_of(src)
    target = max(int(-(-d // 1)) for d, _ in segs)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]
    t = 0.0
    for rep in range(times):
        for i, (dur, path) in enumerate(segs):
            if rep > 0 and i == 0:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{pdt(t)}")
            lines.append(f"#EXTINF:{dur:.6f},")
            lines.append(os.path.relpath(path, dst.parent))
            t += dur
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\n".join(lines + ["#EXT-X-ENDLIST", ""]))
    return t


def pdt(offset_s: float) -> str:
    """PROGRAM-DATE-TIME of START + offset, millisecond precision."""
    ms = round(offset_s * 1000)
    t = time.gmtime(START_S + ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def memory(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """Peak RSS of a 1-minute and a 30-minute clip, livecut and the ffmpeg CLI doing the same work.

    The 30-minute input is the 10-minute recording's segments listed three times in one playlist,
    each repetition after EXT-X-DISCONTINUITY (timestamps start over) with PROGRAM-DATE-TIMEs
    continuing; every clip is cut from that same playlist. The 1- and 30-minute clips have their
    edges at the same places inside their GOPs (a 44-frame head and a 9-frame tail to re-encode),
    because the length of the partial GOPs AccurateFast encodes moves its peak by up to ~25 MiB;
    a second pair ends 1.283 s into a GOP (a 39-frame tail) to show that effect at both lengths."""
    long = Path(a.data).resolve() / "rec1080x3" / "index.m3u8"
    total = repeated_playlist(playlist, 3, long)
    segs_per_rep = len(segments_of(playlist))
    clips = {"1 min": (120.517, 180.283), "30 min": (0.517, 1798.283),
             "1 min, 39-frame tail": (120.517, 181.283), "30 min, 39-frame tail": (0.517, 1799.283)}
    load_before = os.getloadavg()[0]
    jobs: dict[str, list[str]] = {}
    reencodes: dict[str, list[str]] = {}
    files: dict[str, Path] = {}
    spans: dict[str, str] = {}

    def livecut(mode: str, label: str) -> tuple[str, list[str]]:
        s, e = clips[label]
        name = f"{mode} {label}, livecut"
        files[name] = out / f"lc-{mode}-{len(files)}.mp4"
        spans[name] = label
        return name, [a.livecut, "cut", "--playlist", str(long), "--clip", f"{iso(s)},{iso(e)}",
                      "--mode", mode, "--output", str(files[name])]

    def ffmpeg_copy(label: str) -> tuple[str, list[str]]:
        s, e = clips[label]
        sub = out / f"copy-{len(files)}.m3u8"
        sub_playlist(long, int(s // 2), int(e // 2), sub)
        name = f"copy {label} (RoughFast's work), ffmpeg -c copy"
        files[name] = out / f"ff-copy-{len(files)}.mp4"
        spans[name] = label
        return name, ["ffmpeg", "-v", "error", "-y", "-i", str(sub), "-c", "copy", "-movflags", "+faststart",
                      str(files[name])]

    def ffmpeg_reencode(label: str) -> tuple[str, list[str]]:
        s, e = clips[label]
        name = f"accurate re-encode {label}, ffmpeg libx264 veryfast"
        files[name] = out / f"ff-reencode-{len(files)}.mp4"
        spans[name] = label
        return name, ["ffmpeg", "-v", "error", "-y", "-ss", f"{s:.3f}", "-i", str(long), "-t", f"{e - s:.3f}",
                      "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-movflags", "+faststart",
                      str(files[name])]

    for label in ["1 min", "30 min"]:
        for name, cmd in [livecut("RoughFast", label), ffmpeg_copy(label), livecut("AccurateFast", label)]:
            jobs[name] = cmd
    for label in ["1 min, 39-frame tail", "30 min, 39-frame tail"]:
        name, cmd = livecut("AccurateFast", label)
        jobs[name] = cmd
    # Accurate and the ffmpeg re-encode run at ~1x real time at 1080p on 2 cores: the 30-minute
    # ones only on request.
    for label in ["1 min", "30 min"] if a.memory_long_reencode else ["1 min"]:
        for name, cmd in [livecut("Accurate", label), ffmpeg_reencode(label)]:
            reencodes[name] = cmd
    results: dict[str, tuple[float, float] | str] = {}
    for name, cmd in list(jobs.items()) + list(reencodes.items()):
        results[name] = median_of(name, cmd, a.reencode_runs if name in reencodes else a.runs)
    print()
    print(f"machine: {os.cpu_count()} cores; same run; input {long} ({total:.0f} s, 3 x {segs_per_rep} "
          f"segments, 2 discontinuities); 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print("| job | clip | median wall s | peak RSS MiB | video frames |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, r in results.items():
        s, e = clips[spans[name]]
        span = f"{s:.3f} → {e:.3f} s"
        if isinstance(r, str):
            print(f"| {name} | {span} | failed | | |")
        else:
            print(f"| {name} | {span} | {r[0]:.3f} | {r[1] / 1024:.1f} | {frames(files[name])} |")
    print()
    pairs = [("RoughFast", "RoughFast {}, livecut", ""), ("ffmpeg -c copy", "copy {} (RoughFast's work), ffmpeg -c copy", ""),
             ("AccurateFast", "AccurateFast {}, livecut", ""),
             ("AccurateFast", "AccurateFast {}, livecut", ", 39-frame tail"),
             ("Accurate", "Accurate {}, livecut", ""),
             ("ffmpeg libx264", "accurate re-encode {}, ffmpeg libx264 veryfast", "")]
    for label, pattern, variant in pairs:
        short = results.get(pattern.format("1 min" + variant))
        long_ = results.get(pattern.format("30 min" + variant))
        if isinstance(short, tuple) and isinstance(long_, tuple):
            print(f"- {label}{variant} peak RSS, 30-min vs 1-min clip: {long_[1] / 1024:.1f} vs "
                  f"{short[1] / 1024:.1f} MiB ({long_[1] / short[1]:.2f}x, {(long_[1] - short[1]) / 1024:+.1f} MiB)")
        elif isinstance(short, tuple):
            print(f"- {label}{variant} peak RSS, 1-min clip: {short[1] / 1024:.1f} MiB (30-min not run)")


def hevc_recording(data: Path, h264_playlist: Path, preset: str) -> Path:
    """The 10-minute 1080p30 recording re-encoded once to HEVC with the ffmpeg CLI (under nice):
    libx265 `preset`, closed 2 s GOPs (keyint 60, open-gop=0, no scene cuts), parameter sets
    before every keyframe, audio copied, 2 s HLS segments. The pictures keep their frame numbers
    and the audio its markers. ffmpeg's PROGRAM-DATE-TIMEs (the wall clock of the encode) are
    rewritten to the source's clock (START + the segments' durations). Written to a .part folder
    and renamed when complete, so an interrupted generation is never reused."""
    rec = data / f"rechevc-{preset}"
    playlist = rec / "index.m3u8"
    if playlist.exists():
        return playlist
    part = data / f"rechevc-{preset}.part"
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    print(f"generating the 10-minute 1080p30 HEVC recording (libx265 {preset}) ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(
        ["nice", "-n", "10", "ffmpeg", "-v", "error", "-y", "-i", str(h264_playlist),
         "-map", "0:v:0", "-map", "0:a:0", "-fps_mode", "passthrough",
         "-c:v", "libx265", "-preset", preset, "-pix_fmt", "yuv420p",
         "-x265-params", "keyint=60:min-keyint=60:open-gop=0:scenecut=0:repeat-headers=1:log-level=error",
         "-c:a", "copy",
         "-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod",
         "-hls_flags", "program_date_time", "-hls_segment_filename", str(part / "seg%05d.ts"),
         str(part / "index.m3u8")], check=True)
    count, t = rewrite_pdts(part / "index.m3u8")
    part.rename(rec)
    print(f"  took {time.perf_counter() - t0:.1f} s: {count} segments, {t:.3f} s", flush=True)
    return playlist


def rewrite_pdts(playlist: Path) -> tuple[int, float]:
    """Rewrites the ffmpeg CLI's wall-clock PROGRAM-DATE-TIMEs of `playlist` to the source's
    clock (START + the segments' durations); returns the segments and seconds."""
    lines, t, k = [], 0.0, 0
    text = playlist.read_text().splitlines()
    durations = [float(l[len("#EXTINF:"):].split(",")[0]) for l in text if l.startswith("#EXTINF:")]
    for l in text:
        if l.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            l = f"#EXT-X-PROGRAM-DATE-TIME:{pdt(t)}"
            t += durations[k]
            k += 1
        lines.append(l)
    if k != len(durations):
        sys.exit(f"{playlist}: {k} PROGRAM-DATE-TIMEs for {len(durations)} segments")
    playlist.write_text("\n".join(lines) + "\n")
    return k, t


def hevc(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """AccurateFast of a 9-minute range with mid-GOP edges on the HEVC recording vs the ffmpeg CLI's
    frame-accurate re-encode of the same range with libx265 and the same preset. RoughFast vs
    ffmpeg -c copy of the same segments alongside (cheap)."""
    a9, b9 = 30.517, 570.283
    sub = out / "hevc-rough-segments.m3u8"
    sub_playlist(playlist, int(a9 // 2), int(b9 // 2), sub)
    load_before = os.getloadavg()[0]
    files = {
        "HEVC AccurateFast 9 min, livecut": out / "lc-hevc-acc9.mp4",
        "HEVC RoughFast 9 min, livecut": out / "lc-hevc-rough.mp4",
        "HEVC RoughFast 9 min, ffmpeg -c copy": out / "ff-hevc-copy.mp4",
        f"HEVC accurate re-encode 9 min, ffmpeg libx265 {a.hevc_preset}": out / "ff-hevc-reencode.mp4",
    }
    names = list(files)
    cmds = {
        names[0]: [a.livecut, "cut", "--playlist", str(playlist), "--clip", f"{iso(a9)},{iso(b9)}",
                   "--mode", "AccurateFast", "--output", str(files[names[0]])],
        names[1]: [a.livecut, "cut", "--playlist", str(playlist), "--clip", f"{iso(a9)},{iso(b9)}",
                   "--mode", "RoughFast", "--output", str(files[names[1]])],
        names[2]: ["ffmpeg", "-v", "error", "-y", "-i", str(sub), "-c", "copy", "-tag:v", "hvc1",
                   "-movflags", "+faststart", str(files[names[2]])],
        names[3]: ["ffmpeg", "-v", "error", "-y", "-ss", f"{a9:.3f}", "-i", str(playlist), "-t", f"{b9 - a9:.3f}",
                   "-c:v", "libx265", "-preset", a.hevc_preset, "-x265-params", "log-level=error",
                   "-tag:v", "hvc1", "-c:a", "aac", "-movflags", "+faststart", str(files[names[3]])],
    }
    results: dict[str, tuple[float, float] | str] = {}
    for name in names[:3]:
        results[name] = median_of(name, cmds[name], a.runs)
    if isinstance(results[names[0]], str):
        # Without AccurateFast there is no ratio: do not burn ~10 minutes of CPU on the baseline.
        print("\nlivecut AccurateFast failed on HEVC; the ffmpeg libx265 re-encode was not run.")
    else:
        results[names[3]] = median_of(names[3], cmds[names[3]], a.reencode_runs)
    print()
    print(f"machine: {os.cpu_count()} cores; same run; 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print("| job | median wall s | peak RSS MiB | video frames |")
    print("| --- | ---: | ---: | ---: |")
    for name, r in results.items():
        if isinstance(r, str):
            print(f"| {name} | failed | | |")
        else:
            print(f"| {name} | {r[0]:.3f} | {r[1] / 1024:.1f} | {frames(files[name])} |")
    acc, reenc = results.get(names[0]), results.get(names[3])
    rough, copy = results.get(names[1]), results.get(names[2])
    print()
    if isinstance(acc, tuple) and isinstance(reenc, tuple):
        print(f"- ffmpeg libx265 accurate re-encode / HEVC AccurateFast: {reenc[0] / acc[0]:.1f}x faster "
              f"(target: >= 30)")
    if isinstance(rough, tuple) and isinstance(copy, tuple):
        print(f"- HEVC RoughFast / ffmpeg copy: {rough[0] / copy[0]:.2f}x the time")


def fmp4_recording(data: Path, h264_playlist: Path) -> Path:
    """The 10-minute recording remuxed once by the ffmpeg CLI's hls muxer into fMP4/CMAF segments
    (`-c copy`, 2 s, one init section), its PROGRAM-DATE-TIMEs rewritten to the source's clock.
    Written to a .part folder and renamed when complete."""
    rec = data / "recfmp4"
    playlist = rec / "index.m3u8"
    if playlist.exists():
        return playlist
    part = data / "recfmp4.part"
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(h264_playlist), "-c", "copy", "-bsf:a", "aac_adtstoasc",
         "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "2", "-hls_list_size", "0",
         "-hls_playlist_type", "vod", "-hls_flags", "program_date_time",
         "-hls_segment_filename", str(part / "seg%05d.m4s"), str(part / "index.m3u8")], check=True)
    rewrite_pdts(part / "index.m3u8")
    part.rename(rec)
    return playlist


def fmp4(a: argparse.Namespace, ts_playlist: Path, playlist: Path, out: Path) -> None:
    """The copy modes on fMP4 segments against `ffmpeg -c copy` of the same segments, and the same
    pair on the MPEG-TS original, in one run: a 9-minute range with mid-GOP edges."""
    a9, b9 = 30.517, 570.283
    first, last = int(a9 // 2), int(b9 // 2)
    subs = {}
    for label, src in [("fMP4", playlist), ("MPEG-TS", ts_playlist)]:
        subs[label] = out / f"sub-{label}.m3u8"
        sub_playlist(src, first, last, subs[label])
    load_before = os.getloadavg()[0]
    cmds, files = {}, {}
    for label, src in [("fMP4", playlist), ("MPEG-TS", ts_playlist)]:
        for mode in ["RoughFast", "AccurateFast"]:
            name = f"{label} {mode} 9 min, livecut"
            files[name] = out / f"lc-{label}-{mode}.mp4"
            cmds[name] = [a.livecut, "cut", "--playlist", str(src), "--clip", f"{iso(a9)},{iso(b9)}",
                          "--mode", mode, "--output", str(files[name])]
        name = f"{label} 9 min, ffmpeg -c copy"
        files[name] = out / f"ff-{label}-copy.mp4"
        cmds[name] = ["ffmpeg", "-v", "error", "-y", "-i", str(subs[label]), "-c", "copy",
                      "-movflags", "+faststart", str(files[name])]
    results = {name: median_of(name, cmd, a.runs) for name, cmd in cmds.items()}
    print()
    print(f"machine: {os.cpu_count()} cores; same run; 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print("| job | median wall s | peak RSS MiB | video frames |")
    print("| --- | ---: | ---: | ---: |")
    for name, r in results.items():
        if isinstance(r, str):
            print(f"| {name} | failed | | |")
        else:
            print(f"| {name} | {r[0]:.3f} | {r[1] / 1024:.1f} | {frames(files[name])} |")
    print()
    for label in ["fMP4", "MPEG-TS"]:
        rough = results[f"{label} RoughFast 9 min, livecut"]
        acc = results[f"{label} AccurateFast 9 min, livecut"]
        copy = results[f"{label} 9 min, ffmpeg -c copy"]
        if all(isinstance(r, tuple) for r in (rough, acc, copy)):
            print(f"- {label}: RoughFast / ffmpeg copy {rough[0] / copy[0]:.2f}x the time; "
                  f"AccurateFast / ffmpeg copy {acc[0] / copy[0]:.2f}x")


class S3Server:
    """The test S3 server (`livecut-test-s3`, s3s-fs with SigV4 on 127.0.0.1) as a child process,
    and a livecut configuration file naming its bucket. The bucket's objects are files under
    `root/<bucket>/`, so recordings are put there as hard links of bench-data's files (no copy;
    both sides read the same page cache)."""

    ACCESS_KEY = "benchkey"
    SECRET_ENV = "LIVECUT_BENCH_S3_SECRET"

    def __init__(self, binary: str, root: Path, bucket: str, config: Path):
        os.environ[self.SECRET_ENV] = "bench-secret-not-a-real-one"
        self.root, self.bucket, self.config = root, bucket, config
        (root / bucket).mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([binary, "--root", str(root), "--port", "0", "--access-key", self.ACCESS_KEY,
                                      "--secret-key-env", self.SECRET_ENV, "--bucket", bucket],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http"):
            self.proc.kill()
            sys.exit(f"livecut-test-s3 did not start (said {self.endpoint!r})")
        config.write_text(f'[buckets.{bucket}]\nurl = "s3://{bucket}"\nendpoint = "{self.endpoint}"\n'
                          f'region = "us-east-1"\naccess_key_id = "{self.ACCESS_KEY}"\n'
                          f'secret_access_key_env = "{self.SECRET_ENV}"\n')

    def put_tree(self, src: Path, prefix: str) -> None:
        """The files of folder src as objects prefix/<name> (hard links; replaced if present)."""
        dst = self.root / self.bucket / prefix
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        for f in src.iterdir():
            if f.is_file():
                os.link(f, dst / f.name)

    def path(self, key: str) -> Path:
        return self.root / self.bucket / key

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def needed_bytes(playlist: Path, a: float, b: float, lookahead: bool) -> tuple[int, int]:
    """(bytes of the distinct objects, segments, distinct objects) of the segments of `playlist`
    playing in [a, b), plus the one after them when `lookahead` (what the accurate modes read):
    what a clip must read at the least."""
    t, chosen, after = 0.0, [], None
    segs = segments_of(playlist)
    for i, (dur, path) in enumerate(segs):
        if t < b and t + dur > a:
            chosen.append(path)
            after = i + 1
        t += dur
    if lookahead and after is not None and after < len(segs):
        chosen.append(segs[after][1])
    # A playlist may list one object several times (the 30-minute one does): it is needed once.
    distinct = set(chosen)
    return sum(p.stat().st_size for p in distinct), len(chosen), len(distinct)


def read_bytes(stdout: str) -> int:
    """The "read N bytes from storage" line of `livecut cut` (0 when it read only local files)."""
    for l in stdout.splitlines():
        if l.startswith("read ") and "bytes from storage" in l:
            return int(l.split()[1])
    return 0


def upload_seconds(stdout: str) -> float | None:
    for l in stdout.splitlines():
        if ": uploaded " in l:
            return float(l.rsplit(" in ", 1)[1].split()[0])
    return None


def wait_idle(label: str, max_wait_s: float = 1200.0) -> str:
    """Waits (polling every 30 s, at most max_wait_s) until no test run, build or server of
    someone else loads the machine; returns what was seen, for the write-up."""
    t0 = time.perf_counter()
    while True:
        busy = subprocess.run(["pgrep", "-fa", "cargo test|livecut serve|livecut-media|rustc"],
                              capture_output=True, text=True).stdout.strip()
        load = os.getloadavg()[0]
        if not busy and load < 1.5:
            state = f"idle (1-min load {load:.2f}, no cargo test/rustc/livecut serve)"
            break
        if time.perf_counter() - t0 > max_wait_s:
            state = (f"NOT idle after waiting {max_wait_s:.0f} s (1-min load {load:.2f}; running: "
                     f"{'; '.join(l[:80] for l in busy.splitlines()[:4]) or '-'})")
            break
        print(f"{label}: machine busy (load {load:.2f}; {len(busy.splitlines())} heavy processes), waiting 30 s",
              flush=True)
        time.sleep(30)
    print(f"{label}: {state}", flush=True)
    return state


def storage(a: argparse.Namespace, playlist: Path, out: Path) -> None:
    """RoughFast and AccurateFast of the 9-minute clip with the recording and the output on the
    local S3 test server vs on the local folder, alternating in one run; bytes read vs the
    segments the clip needs; peak RSS of 1- and 30-minute clips read from S3 (the --memory
    30-minute playlist)."""
    data = Path(a.data).resolve()
    long_local = data / "rec1080x3" / "index.m3u8"
    repeated_playlist(playlist, 3, long_local)
    s3 = S3Server(a.s3_server, data / "s3", "bench", out / "storage.toml")
    try:
        s3.put_tree(playlist.parent, "rec1080")
        (s3.path("rec1080x3")).mkdir(parents=True, exist_ok=True)
        # Same text: its segments are named ../rec1080/segNNNNN.ts, which resolve inside the bucket.
        shutil.copyfile(long_local, s3.path("rec1080x3/index.m3u8"))
        shutil.rmtree(s3.path("out"), ignore_errors=True)
        state = wait_idle("--storage", a.idle_wait)
        load_before = os.getloadavg()[0]
        cases = {  # label: (local playlist, s3 playlist key, start, end)
            "9 min": (playlist, "rec1080/index.m3u8", 30.517, 570.283),
            "1 min (30-min playlist)": (long_local, "rec1080x3/index.m3u8", 120.517, 180.283),
            "30 min (30-min playlist)": (long_local, "rec1080x3/index.m3u8", 0.517, 1798.283),
        }
        jobs: dict[str, tuple[list[str], Path, str, str, str]] = {}
        for label, (local, key, s, e) in cases.items():
            for mode in ["RoughFast", "AccurateFast"]:
                for where in ["local", "S3"]:
                    name = f"{mode} {label}, {where}"
                    fname = f"{mode}-{label.split()[0]}{label.split()[1]}-{where}.mp4"
                    if where == "local":
                        dst, pl = out / fname, str(local)
                        cmd = [a.livecut, "cut", "--playlist", pl, "--clip", f"{iso(s)},{iso(e)}", "--mode", mode,
                               "--output", str(dst)]
                    else:
                        dst, pl = s3.path(f"out/{fname}"), f"s3://bench/{key}"
                        cmd = [a.livecut, "--config", str(s3.config), "cut", "--playlist", pl, "--clip",
                               f"{iso(s)},{iso(e)}", "--mode", mode, "--output", f"s3://bench/out/{fname}"]
                    jobs[name] = (cmd, dst, label, mode, where)
        samples: dict[str, list[tuple[float, int, str]]] = {n: [] for n in jobs}
        for run in range(a.runs):
            for name, (cmd, *_rest) in jobs.items():  # alternating: local, S3, local, S3, …
                r = try_measure_output(cmd)
                if isinstance(r, str):
                    sys.exit(f"{name}: FAILED\n{r[-1500:]}")
                samples[name].append(r)
            print(f"run {run + 1}/{a.runs} done", flush=True)
        load_after = os.getloadavg()[0]
    finally:
        s3.stop()
    print()
    print(f"machine: {os.cpu_count()} cores; {state}; same run, local and S3 alternating; "
          f"1-min load average {load_before:.2f} at the start, {load_after:.2f} at the end; S3 = livecut-test-s3 "
          f"(s3s-fs, SigV4) on 127.0.0.1")
    print("| job | median wall s | all runs s | CPU s | peak RSS MiB | upload s | bytes read (/ needed) | segments needed: bytes | video frames |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    med: dict[str, tuple[float, float]] = {}
    for name, (cmd, dst, label, mode, where) in jobs.items():
        ss = samples[name]
        wall = statistics.median(x[0] for x in ss)
        rss = statistics.median(x[1] for x in ss)
        med[name] = (wall, rss)
        local, _key, s, e = cases[label]
        need, nseg, ndistinct = needed_bytes(local, s, e, mode != "RoughFast")
        got = {read_bytes(x[2]) for x in ss}
        up = [u for u in (upload_seconds(x[2]) for x in ss) if u is not None]
        cpu = statistics.median(float(x[2].split()[1]) for x in ss)
        row = [f"{mode} {label}, {where}", f"{wall:.3f}", ", ".join(f"{x[0]:.3f}" for x in ss), f"{cpu:.3f}",
               f"{rss / 1024:.1f}",
               f"{statistics.median(up):.3f}" if up else "",
               f"{max(got)} ({max(got) / need:.3f}x)" if where == "S3" else "",
               f"{nseg}{f' ({ndistinct} distinct objects)' if ndistinct != nseg else ''}: {need}", str(frames(dst))]
        if len(got) > 1:
            row[6] += f" (runs differ: {sorted(got)})"
        print("| " + " | ".join(row) + " |")
    print()
    for label in cases:
        for mode in ["RoughFast", "AccurateFast"]:
            l, r = med[f"{mode} {label}, local"], med[f"{mode} {label}, S3"]
            print(f"- {mode} {label}: S3 / local {r[0] / l[0]:.2f}x the time ({r[0]:.3f} vs {l[0]:.3f} s; target <= 1.2 "
                  f"for the 9-min clip), peak RSS {r[1] / 1024:.1f} vs {l[1] / 1024:.1f} MiB")
    for mode in ["RoughFast", "AccurateFast"]:
        one, thirty = med[f"{mode} 1 min (30-min playlist), S3"], med[f"{mode} 30 min (30-min playlist), S3"]
        print(f"- {mode} from S3, peak RSS 30-min vs 1-min clip: {thirty[1] / 1024:.1f} vs {one[1] / 1024:.1f} MiB "
              f"({thirty[1] / one[1]:.2f}x)")


def psql(url: str, sql: str) -> list[list[str]]:
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql],
                         capture_output=True, text=True, check=True)
    return [l.split("\t") for l in out.stdout.splitlines() if l]


def pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def small_recording(a: argparse.Namespace) -> Path:
    """A 5-minute 320x180 recording (2 s GOPs and segments) for many short jobs."""
    rec = Path(a.data).resolve() / "rec180"
    if not (rec / "index.m3u8").exists():
        rec.mkdir(parents=True, exist_ok=True)
        subprocess.run([a.livecut, "testgen", "--dir", str(rec), "--seconds", "300", "--width", "320", "--height",
                        "180", "--fps", "30", "--gop-seconds", "2", "--segment-seconds", "2", "--start", START,
                        "--preset", "veryfast"], check=True)
    return rec / "index.m3u8"


def short_clip(i: int) -> tuple[float, float]:
    """Job i's clip: 2 s, from 1.5 s into one GOP to 1.5 s into the next (mid-GOP at both ends)."""
    s = 2.0 * (i % 145) + 1.5
    return s, s + 2.0


def jobs_bench(a: argparse.Namespace, out: Path) -> None:
    """--jobs: many short AccurateFast jobs through the API (the official SDK), recording and outputs
    in the S3 test server, on a throwaway PostgreSQL; one `livecut serve --workers 0` and 1 or 3
    `livecut worker --workers 1` processes. All jobs are submitted before the workers start."""
    data = Path(a.data).resolve()
    small = small_recording(a)
    state = wait_idle("--jobs", a.idle_wait)
    pg_env = subprocess.run([str(REPO / "scripts/pg-throwaway.sh"), "start"], capture_output=True, text=True, check=True)
    env = dict(l.split("=", 1) for l in pg_env.stdout.split())
    pg_url, pg_dir = env["LIVECUT_TEST_PG_URL"], env["LIVECUT_TEST_PG_DIR"]
    s3 = S3Server(a.s3_server, data / "s3", "bench", out / "jobs.toml")
    procs: list[subprocess.Popen] = []
    results = []
    try:
        s3.put_tree(small.parent, "rec180")
        # One job's media work, standalone: the same clip, the same S3 read and upload.
        s, e = short_clip(7)
        cut_cmd = [a.livecut, "--config", str(s3.config), "cut", "--playlist", "s3://bench/rec180/index.m3u8",
                   "--clip", f"{iso(s)},{iso(e)}", "--mode", "AccurateFast", "--output", "s3://bench/out/standalone.mp4"]
        load_before = os.getloadavg()[0]
        standalone = [try_measure_output(cut_cmd) for _ in range(max(a.runs, 5))]
        for r in standalone:
            if isinstance(r, str):
                sys.exit(f"standalone cut failed: {r}")
        cut_s = statistics.median(r[0] for r in standalone)  # type: ignore[index]
        print(f"standalone livecut cut of one job's clip: median {cut_s * 1000:.0f} ms "
              f"(all: {', '.join(f'{r[0] * 1000:.0f}' for r in standalone)} ms)", flush=True)  # type: ignore[index]
        for workers in a.job_workers:
            db = f"jobs_w{workers}"
            psql(pg_url, f"CREATE DATABASE {db} OWNER livecut")
            url = pg_url.rsplit("/", 1)[0] + "/" + db
            ddir = out / f"jobs-w{workers}"
            ddir.mkdir()
            common = ["--config", str(s3.config), "--database-url", url, "--data-dir", str(ddir)]
            key = json.loads(subprocess.run([a.livecut, *common, "keys", "create", "--json"], capture_output=True,
                                            text=True, check=True).stdout)
            subprocess.run([a.livecut, *common, "recordings", "add", "--domain", "bench.live", "--app", "bench",
                            "--stream", "small", "s3://bench/rec180/index.m3u8"], check=True, capture_output=True)
            port = free_port()
            api_log = open(ddir / "api.log", "w")
            procs.append(subprocess.Popen([a.livecut, *common, "serve", "--workers", "0", "--listen",
                                           f"127.0.0.1:{port}"], stdout=api_log, stderr=api_log))
            for _ in range(100):
                try:
                    import urllib.request
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except Exception:
                    time.sleep(0.1)
            spec = {"endpoint": f"127.0.0.1:{port}", "access_key_id": key["AccessKeyId"],
                    "access_key_secret": key["AccessKeySecret"], "threads": 4, "jobs": []}
            for i in range(a.job_count):
                s, e = short_clip(i)
                spec["jobs"].append({
                    "Clips": json.dumps([{"StartTime": iso(s), "EndTime": iso(e)}]),
                    "LiveStreamConfig": json.dumps({"DomainName": "bench.live", "AppName": "bench", "StreamName": "small"}),
                    "MediaProduceConfig": json.dumps({"Mode": "AccurateFast"}),
                    "OutputMediaConfig": json.dumps({"MediaURL": f"oss://bench/jobs-w{workers}/job-{i:04d}.mp4"}),
                })
            (ddir / "submit.json").write_text(json.dumps(spec))
            sub = subprocess.run([a.sdk_python, str(REPO / "bench/sdk_submit.py"), str(ddir / "submit.json")],
                                 capture_output=True, text=True)
            if sub.returncode != 0:
                sys.exit(f"submitting failed:\n{sub.stderr[-3000:]}")
            submitted = json.loads(sub.stdout)
            print(f"{workers} workers: submitted {len(submitted['job_ids'])} jobs through the SDK in "
                  f"{submitted['seconds']:.1f} s", flush=True)
            t0 = time.perf_counter()
            logs = []
            for w in range(workers):
                log = ddir / f"worker{w}.log"
                logs.append(log)
                procs.append(subprocess.Popen([a.livecut, *common, "worker", "--workers", "1"],
                                              stdout=open(log, "w"), stderr=subprocess.STDOUT))
            while True:
                done = int(psql(url, "SELECT count(*) FROM jobs WHERE status IN ('Success', 'Failed')")[0][0])
                if done >= a.job_count or time.perf_counter() - t0 > a.job_timeout:
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - t0
            for p in procs[-workers:]:
                p.terminate()
            for p in procs[-workers:]:
                p.wait(timeout=60)
            procs[-workers - 1].terminate()
            procs[-workers - 1].wait(timeout=60)
            rows = psql(url, "SELECT job_id, status, created_at, started_at, completed_at, attempts FROM jobs")
            statuses: dict[str, int] = {}
            for r in rows:
                statuses[r[1]] = statuses.get(r[1], 0) + 1
            ok = [r for r in rows if r[1] == "Success"]
            # Which worker ran which job: each worker process logs "job claimed job_id=…".
            owner: dict[str, int] = {}
            import re
            ansi = re.compile(r"\x1b\[[0-9;]*m")
            for w, log in enumerate(logs):
                for l in log.read_text().splitlines():
                    l = ansi.sub("", l)
                    if "job claimed" in l:
                        m = re.search(r"job_id=([0-9a-zA-Z]+)", l)
                        if m:
                            owner[m.group(1)] = w
            per_worker: dict[int, list[tuple[int, int]]] = {}
            for r in ok:
                per_worker.setdefault(owner.get(r[0], -1), []).append((int(r[3]), int(r[4])))
            gaps = []
            for w, spans in per_worker.items():
                spans.sort()
                gaps += [nxt[0] - cur[1] for cur, nxt in zip(spans, spans[1:])]
            service = [int(r[4]) - int(r[3]) for r in ok]
            first_start = min(int(r[3]) for r in ok)
            last_done = max(int(r[4]) for r in ok)
            db_wall = (last_done - first_start) / 1000
            # Output frames, read back from every object.
            bad = []
            for i in range(a.job_count):
                f = s3.path(f"jobs-w{workers}/job-{i:04d}.mp4")
                n = frames(f) if f.exists() else -1
                if n != 60:
                    bad.append((i, n))
            results.append({
                "workers": workers, "submit_s": submitted["seconds"], "wall": wall, "db_wall": db_wall,
                "statuses": statuses, "jobs_per_min": len(ok) / db_wall * 60, "service_med": statistics.median(service),
                "service_p95": pctl(service, 0.95), "gap_med": statistics.median(gaps) if gaps else float("nan"),
                "gap_p95": pctl(gaps, 0.95) if gaps else float("nan"), "unowned": per_worker.get(-1, []),
                "overhead": (workers * db_wall - len(ok) * cut_s) / len(ok) * 1000, "bad": bad,
                "per_worker": {w: len(v) for w, v in per_worker.items()},
                "max_attempts": max(int(r[5]) for r in rows)})
            print(f"{workers} workers: {results[-1]}", flush=True)
        load_after = os.getloadavg()[0]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        s3.stop()
        subprocess.run([str(REPO / "scripts/pg-throwaway.sh"), "stop", pg_dir], check=False)
    print()
    print(f"machine: {os.cpu_count()} cores; {state}; 1-min load average {load_before:.2f} at the start, "
          f"{load_after:.2f} at the end; PostgreSQL = scripts/pg-throwaway.sh (fsync off), S3 = livecut-test-s3, "
          f"all on this machine; one `livecut serve --workers 0`; standalone cut {cut_s * 1000:.0f} ms")
    print("| worker processes | jobs | ended | submit s (SDK) | wall s (first claim → last completion) | jobs/min | "
          "job in worker ms (median / p95) | claim gap ms (median / p95) | overhead per job ms | outputs with 60 frames |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        st = ", ".join(f"{v} {k}" for k, v in sorted(r["statuses"].items()))
        print(f"| {r['workers']} | {a.job_count} | {st} | {r['submit_s']:.1f} | {r['db_wall']:.1f} | "
              f"{r['jobs_per_min']:.0f} | {r['service_med']:.0f} / {r['service_p95']:.0f} | "
              f"{r['gap_med']:.0f} / {r['gap_p95']:.0f} | {r['overhead']:.0f} | {a.job_count - len(r['bad'])} |")
    for r in results:
        if r["bad"]:
            print(f"- {r['workers']} workers: outputs without 60 frames: {r['bad'][:10]}")
        print(f"- {r['workers']} workers: jobs per worker process {r['per_worker']}, max attempts {r['max_attempts']}")
    print("- overhead per job = (worker processes x wall - jobs x standalone cut time) / jobs")


def durable_postgres() -> tuple[str, Path, Path]:
    """A PostgreSQL cluster with the server's durable defaults (fsync, synchronous_commit and
    full_page_writes on), unlike scripts/pg-throwaway.sh's: (url, data dir, pg bin dir)."""
    pgbin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1])
    base = Path(tempfile.mkdtemp(prefix="livecut-bench-pg."))
    as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if os.getuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    subprocess.run([*as_owner, str(pgbin / "initdb"), "-D", str(base / "data"), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    port = free_port()
    subprocess.run([*as_owner, str(pgbin / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "pg.log"), "-w",
                    "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=100", "start"],
                   check=True, capture_output=True)
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    return url, base, pgbin


def queue_bench(a: argparse.Namespace, out: Path) -> None:
    """--queue: the queue_bench example (crates/livecut/examples/queue_bench.rs) on a throwaway
    PostgreSQL (fsync off, as the tests), on a PostgreSQL with durable defaults, and on SQLite."""
    binary = a.queue_bench
    if not Path(binary).exists():
        sys.exit(f"{binary} missing: cargo build --release -p livecut --example queue_bench")
    state = wait_idle("--queue", a.idle_wait)
    load_before = os.getloadavg()[0]
    args = ["--jobs", str(a.queue_jobs), "--claimers", a.queue_claimers]
    tables = []
    pg_env = subprocess.run([str(REPO / "scripts/pg-throwaway.sh"), "start"], capture_output=True, text=True, check=True)
    env = dict(l.split("=", 1) for l in pg_env.stdout.split())
    try:
        r = subprocess.run([binary, "--database-url", env["LIVECUT_TEST_PG_URL"], *args], capture_output=True,
                           text=True, check=True)
        tables.append(("PostgreSQL 15, scripts/pg-throwaway.sh (fsync=off, synchronous_commit=off)", r.stdout))
        print(r.stdout, flush=True)
    finally:
        subprocess.run([str(REPO / "scripts/pg-throwaway.sh"), "stop", env["LIVECUT_TEST_PG_DIR"]], check=False)
    url, base, pgbin = durable_postgres()
    try:
        durable = ["--jobs", str(min(a.queue_jobs, a.queue_durable_jobs)), "--claimers", a.queue_claimers]
        r = subprocess.run([binary, "--database-url", url, *durable], capture_output=True, text=True, check=True)
        tables.append(("PostgreSQL 15, durable defaults (fsync=on, synchronous_commit=on)", r.stdout))
        print(r.stdout, flush=True)
    finally:
        as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run([*as_owner, str(pgbin / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "-w", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    db = out / "queue.db"
    r = subprocess.run([binary, "--database-url", f"sqlite://{db}?mode=rwc", *args], capture_output=True, text=True,
                       check=True)
    tables.append(("SQLite (WAL, synchronous=NORMAL), file on the local disk", r.stdout))
    print(r.stdout, flush=True)
    print(f"machine: {os.cpu_count()} cores; {state}; 1-min load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end; the database server and the claimers share the 2 cores")
    for label, text in tables:
        print(f"\n{label}:\n{text}")


if __name__ == "__main__":
    main()
