#!/usr/bin/env node
// Plays MP4 files in Debian's headless Chromium and reports, per file, whether a <video>
// element reached `ended`, its duration, and the decoder's frame counts.
//
//   node play.js FILE... > one JSON object per file on stdout
//
// Files are served from a loopback HTTP server (with range support, as browsers expect).
"use strict";

const http = require("http");
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const files = process.argv.slice(2);
const TIMEOUT_MS = 60000;

function serve() {
  const server = http.createServer((req, res) => {
    const index = Number(decodeURIComponent(req.url.split("/")[1] || "-1"));
    if (req.url === "/" || !(index >= 0 && index < files.length)) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>play</title><body></body>");
      return;
    }
    const file = files[index];
    const size = fs.statSync(file).size;
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range || "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    res.writeHead(range ? 206 : 200, {
      "content-type": "video/mp4",
      "accept-ranges": "bytes",
      "content-length": end - start + 1,
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    fs.createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main() {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.LIVECUT_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(base + "/");
    for (let i = 0; i < files.length; i++) {
      const result = await page.evaluate(
        ({ src, timeoutMs }) =>
          new Promise((resolve) => {
            const v = document.createElement("video");
            v.muted = true;
            const report = (outcome) => {
              const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
              resolve({
                outcome,
                duration: v.duration,
                currentTime: v.currentTime,
                error: v.error ? `${v.error.code} ${v.error.message}` : null,
                totalVideoFrames: q.totalVideoFrames ?? null,
                corruptedVideoFrames: q.corruptedVideoFrames ?? null,
              });
              v.remove();
            };
            v.addEventListener("ended", () => report("ended"));
            v.addEventListener("error", () => report("error"));
            setTimeout(() => report("timeout"), timeoutMs);
            v.addEventListener("loadedmetadata", () => {
              // Fast playback keeps the test short; every frame is still decoded.
              v.playbackRate = 4;
              v.play().catch((e) => resolve({ outcome: "play-rejected", error: String(e) }));
            });
            v.src = src;
            document.body.appendChild(v);
          }),
        { src: `${base}/${i}`, timeoutMs: TIMEOUT_MS },
      );
      process.stdout.write(JSON.stringify({ file: path.resolve(files[i]), ...result }) + "\n");
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
