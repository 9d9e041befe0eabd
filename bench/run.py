#!/usr/bin/env python3
"""Benchmarks livecut's media engine against the ffmpeg CLI doing the same work, in one run.

Produces the tables of BENCHMARKS.md. Everything is measured here, now: wall time and peak RSS
of each command (getrusage of the child), medians over --runs repetitions.

  python3 bench/run.py --runs 3 [--data bench-data] [--reencode-runs 1]
  python3 bench/run.py --media-engine --runs 3     # Accurate, 20 clips, covers
  python3 bench/run.py --memory --runs 3           # peak RSS, 1-minute vs 30-minute clips
  python3 bench/run.py --hevc --runs 3             # AccurateFast on HEVC vs ffmpeg libx265
  python3 bench/run.py --hevc --generate-only      # only make the HEVC recording

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


def try_measure_isolated(cmd: list[str]) -> tuple[float, int] | str:
    """Like measure_isolated, but a failing command gives its error text instead of ending the run."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure-one", json.dumps(cmd)], capture_output=True, text=True
    )
    if out.returncode != 0:
        return out.stderr.strip()
    wall, rss = out.stdout.split()
    return float(wall), int(rss)


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
    ap.add_argument("--generate-only", action="store_true",
                    help="with --hevc: only make the HEVC recording")
    a = ap.parse_args()
    if a.measure_one:
        wall, rss = measure(json.loads(a.measure_one))
        print(wall, rss)
        return

    data = Path(a.data).resolve()
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
    if a.memory:
        memory(a, playlist, out)
        return
    if a.hevc:
        hevc(a, hevc_recording(data, playlist, a.hevc_preset), out)
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
    lines, t = [], 0.0
    text = (part / "index.m3u8").read_text().splitlines()
    durations = [float(l[len("#EXTINF:"):].split(",")[0]) for l in text if l.startswith("#EXTINF:")]
    k = 0
    for l in text:
        if l.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            l = f"#EXT-X-PROGRAM-DATE-TIME:{pdt(t)}"
            t += durations[k]
            k += 1
        lines.append(l)
    if k != len(durations):
        sys.exit(f"{part / 'index.m3u8'}: {k} PROGRAM-DATE-TIMEs for {len(durations)} segments")
    (part / "index.m3u8").write_text("\n".join(lines) + "\n")
    part.rename(rec)
    print(f"  took {time.perf_counter() - t0:.1f} s: {len(durations)} segments, {t:.3f} s", flush=True)
    return playlist


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


if __name__ == "__main__":
    main()
