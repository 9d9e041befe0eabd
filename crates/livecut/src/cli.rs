//! The command line: `serve`, `worker`, `workers`, `keys`, `recordings`, `demo`, `testgen`, `cut`,
//! and the internal `media-job` that workers start as child processes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::settings::{
    CallbackSettings, HttpSettings, Limits, OpsSettings, StoreSettings, WorkerSettings,
};

#[derive(Parser, Debug)]
#[command(
    name = "livecut",
    version,
    about = "Cut and join time ranges of recorded live streams (Alibaba IMS live-editing compatible)."
)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreSettings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the API and a worker pool in one process (`--workers 0`: the API only).
    Serve(ServeArgs),
    /// Run a worker pool without the API, on the database of the API processes.
    Worker(WorkerArgs),
    /// List the worker processes of the database: state (dead ones too), heartbeat, running jobs.
    Workers {
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Manage access keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Usage per account over UTC days (default: this month so far): jobs, output minutes and
    /// bytes per mode, and the media assets each account stores now.
    Usage {
        /// One account (default: every account).
        #[arg(long)]
        account: Option<String>,
        /// First day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (UTC), included.
        #[arg(long)]
        to: Option<String>,
        /// One JSON line per account.
        #[arg(long)]
        json: bool,
    },
    /// Manage the recordings the index knows.
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// Record a live HLS stream into storage and the segment index (the pull recorder), until
    /// stopped; `serve` runs the `[[record]]` entries of the configuration the same way.
    Record(RecordArgs),
    /// Inspect the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Generate a test-pattern recording and make a first clip through the real API of a running server.
    Demo(DemoArgs),
    /// Write an HLS test recording whose frames carry their frame numbers.
    Testgen(TestgenArgs),
    /// Cut clips out of local playlists into one MP4, without a server (same engine as workers).
    Cut(CutArgs),
    /// Internal: the media work of one job, run by a worker as a child process.
    #[command(hide = true)]
    MediaJob {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        result: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LIVECUT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub callbacks: CallbackSettings,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub worker: WorkerSettings,
    #[command(flatten)]
    pub drain: DrainArgs,
    #[command(flatten)]
    pub ops: OpsSettings,
    /// How often the playlists registered with `--segment-times hook` are read for new
    /// segments, in milliseconds.
    #[arg(long, env = "LIVECUT_WATCH_MILLIS", default_value_t = 1000)]
    pub watch_millis: u64,
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Serve `/metrics` and `/healthz` on this address (nothing is served without it).
    #[arg(long, env = "LIVECUT_WORKER_LISTEN")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub ops: OpsSettings,
    #[command(flatten)]
    pub callbacks: CallbackSettings,
    #[command(flatten)]
    pub worker: WorkerSettings,
    #[command(flatten)]
    pub drain: DrainArgs,
}

/// How a process stops on SIGTERM or SIGINT.
#[derive(Args, Debug, Clone)]
pub struct DrainArgs {
    /// Running jobs get this long to finish after SIGTERM/SIGINT; the ones still running then
    /// are handed back to the queue (a second signal hands them back at once).
    #[arg(long, env = "LIVECUT_DRAIN_SECONDS", default_value_t = 60)]
    pub drain_seconds: u64,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create an access key and print its id and secret.
    Create {
        /// Comma-separated RAM actions: ice:*, ice:SubmitLiveEditingJob, ice:GetLiveEditingJob, ice:GetMediaInfo.
        #[arg(long, default_value = "ice:*")]
        actions: String,
        /// The account the key acts for (it sees only that account's jobs, assets, projects
        /// and callback settings).
        #[arg(long, default_value = crate::keys::DEFAULT_ACCOUNT)]
        account: String,
        /// Output locations the key may write: `*`, or comma-separated `bucket` or
        /// `bucket/prefix` (MediaURL, CoverUrl, VOD StorageLocation).
        #[arg(long, default_value = "*")]
        buckets: String,
        /// Recordings the key may read: `*`, or comma-separated `DomainName` or
        /// `DomainName/AppName`.
        #[arg(long, default_value = "*")]
        streams: String,
        /// Print exactly one JSON line {"AccessKeyId":…,"AccessKeySecret":…}.
        #[arg(long)]
        json: bool,
    },
    /// List the keys (never their secrets): account, actions, resources, state.
    List {
        /// One JSON line per key.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key: its calls are refused (`InvalidAccessKeyId.Inactive`) from now on.
    Disable { access_key_id: String },
    /// Accept a disabled key again.
    Enable { access_key_id: String },
    /// Give a key a new secret (printed once); the old one stops working at once, or after
    /// `--overlap-minutes` so clients can switch without failed calls.
    Rotate {
        access_key_id: String,
        /// How long the old secret still verifies signatures (0: it stops at once; at most 30 days).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=43_200))]
        overlap_minutes: u32,
        /// Print exactly one JSON line {"AccessKeyId":…,"AccessKeySecret":…}.
        #[arg(long)]
        json: bool,
    },
    /// Print a fresh master key for `LIVECUT_MASTER_KEY` (32 random bytes, base64). With one set,
    /// every secret in the database is stored encrypted; keep it outside the database's backups.
    MasterKey,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print what each bucket resolves to and test that its storage accepts our credentials.
    Check,
}

/// `livecut record`: the pull recorder for one stream.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The live media playlist: a URL of an allowed HTTP origin ([http] allowed_origins) or of a
    /// configured bucket.
    #[arg(long)]
    pub url: String,
    #[arg(long)]
    pub domain: String,
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub stream: String,
    /// Where the segments are copied: oss://bucket/prefix/ (default
    /// oss://livecut-recordings/{domain}/{app}/{stream}/).
    #[arg(long)]
    pub to: Option<String>,
    /// How often the playlist is read, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub every_millis: u64,
}

#[derive(Subcommand, Debug)]
pub enum RecordingsCommand {
    /// Register an HLS playlist (m3u8 with PROGRAM-DATE-TIME) as a recording of a stream.
    Add {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        stream: String,
        /// How its segments get their UTC times: pdt (EXT-X-PROGRAM-DATE-TIME), name-epoch-ms,
        /// name-unix-seconds, name-strftime:PATTERN[@ZONE] (e.g. `%Y%m%d-%H%M%S@+0800`), or hook
        /// (the server watches the playlist and indexes each new segment as it appears).
        #[arg(long, default_value = "pdt")]
        segment_times: String,
        /// The media playlist: a local path, s3://B/…, oss://B/… or https://B.<endpoint>/… of a
        /// configured bucket, or a URL of an allowed HTTP origin.
        playlist: String,
    },
    /// Add segment files to the segment index of a stream, as a recorder's hook reports them
    /// (MediaMTX: `runOnRecordSegmentComplete: livecut recordings add-segment --domain D
    /// --app A --stream S --segment-times 'name-strftime:%Y-%m-%d_%H-%M-%S-%f@Z' --duration
    /// $MTX_SEGMENT_DURATION $MTX_SEGMENT_PATH`).
    AddSegment {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        stream: String,
        /// UTC time of the (single) file's first frame, ISO 8601 with Z.
        #[arg(long, conflicts_with = "segment_times")]
        start: Option<String>,
        /// Read each file's start from its name: name-epoch-ms, name-unix-seconds or
        /// name-strftime:PATTERN[@ZONE] (%Y %m %d %H %M %S, %f microseconds).
        #[arg(long)]
        segment_times: Option<String>,
        /// Duration in seconds (`2.002`, `2.002s`, `2002ms`); default: the container's.
        #[arg(long)]
        duration: Option<String>,
        /// The fMP4 init section (ftyp + moov) the files are read with, if they need one.
        #[arg(long)]
        init: Option<String>,
        /// Sequence number of the first file (default: one past the stream's highest).
        #[arg(long)]
        sequence: Option<i64>,
        /// The files continue the media clock of the segment before them (timestamps run on);
        /// by default each file is timed from its own start.
        #[arg(long)]
        continues: bool,
        /// The segment files: local paths or URLs of configured buckets.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// List the segment index of a stream: each segment's start, end and file.
    Segments {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        stream: String,
        /// From this UTC time (ISO 8601 with Z); default: the beginning.
        #[arg(long)]
        from: Option<String>,
        /// At most this many segments.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Forget the indexed segments that ended more than --older-than-days ago (retention; run
    /// it from cron), optionally deleting their files.
    Forget {
        #[arg(long)]
        older_than_days: u32,
        /// Also delete the files and objects the forgotten segments were read from.
        #[arg(long)]
        delete_files: bool,
    },
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Host:port of the running `livecut serve`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub endpoint: String,
}

#[derive(Args, Debug)]
pub struct TestgenArgs {
    /// Folder to write index.m3u8 and its segments into.
    #[arg(long)]
    pub dir: PathBuf,
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    #[arg(long, default_value_t = 30)]
    pub fps: u32,
    /// GOP length in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub gop_seconds: f64,
    /// Segment length in seconds (a multiple of the GOP).
    #[arg(long, default_value_t = 2.0)]
    pub segment_seconds: f64,
    /// UTC time of frame 0 (ISO 8601 with Z); default: now minus the duration.
    #[arg(long)]
    pub start: Option<String>,
    /// Leave out the audio track.
    #[arg(long)]
    pub no_audio: bool,
    /// x264 preset (ultrafast … veryslow).
    #[arg(long, default_value = "veryfast")]
    pub preset: String,
    /// B-frames between reference frames (0 = none).
    #[arg(long, default_value_t = 2)]
    pub bframes: u32,
    /// Video codec: h264 (libx264) or hevc (libx265).
    #[arg(long, default_value = "h264")]
    pub codec: String,
    /// Open GOPs (x264 recovery-point I frames, x265 CRA with RASL pictures).
    #[arg(long)]
    pub open_gop: bool,
    /// HEVC Main 10 (10-bit samples).
    #[arg(long)]
    pub ten_bit: bool,
    /// MP3 audio instead of AAC.
    #[arg(long)]
    pub mp3: bool,
}

#[derive(Args, Debug)]
pub struct CutArgs {
    /// Media playlist(s) of one stream (m3u8 with PROGRAM-DATE-TIME): paths, or URLs of
    /// configured buckets (s3://B/…, oss://B/…) or allowed origins.
    #[arg(long, required = true)]
    pub playlist: Vec<String>,
    /// How the playlists' segments get their UTC times (as `recordings add --segment-times`).
    #[arg(long, default_value = "pdt")]
    pub segment_times: String,
    /// A clip as START,END in UTC ISO 8601 (repeat for several clips, joined in order).
    #[arg(long, required = true)]
    pub clip: Vec<String>,
    /// AccurateFast, Accurate, RoughFast or Rough.
    #[arg(long, default_value = "AccurateFast")]
    pub mode: String,
    /// Output width (Accurate and Rough).
    #[arg(long)]
    pub width: Option<u32>,
    /// Output height (Accurate and Rough).
    #[arg(long)]
    pub height: Option<u32>,
    /// Video bit rate in kbit/s (Accurate and Rough); default: quality-based.
    #[arg(long)]
    pub bitrate: Option<u32>,
    /// The MP4 to write: a path, or s3://B/key.mp4 / oss://B/key.mp4 of a configured bucket.
    #[arg(long)]
    pub output: String,
    /// Also write a JPEG of the frame on screen at this UTC instant (inside the first clip).
    #[arg(long, requires = "cover_output")]
    pub cover_time: Option<String>,
    /// Where to write the cover JPEG.
    #[arg(long)]
    pub cover_output: Option<PathBuf>,
}
