//! Segments of a recording in object storage (or on an HTTP origin), copied into a job's scratch
//! folder while the media engine cuts: the media child starts a `Prefetch` with every remote
//! segment of the plan in the order the engine reads them, and the engine's segment gate
//! (`livecut_media::install_segment_gate`) waits in `Prefetch::wait` for the one it opens next.
//!
//! - At most `in_flight` segments download at once, in plan order, so the downloads run ahead
//!   of the engine by that many segments and no further.
//! - Each segment streams to disk in the chunks the storage sends; memory does not grow with
//!   segment or clip length. The engine's two passes read the local copy, so the bytes read
//!   from storage are the segments' bytes, once.
//! - Transient failures are retried: object_store retries each request with backoff, and a body
//!   that breaks off is resumed with a ranged GET from the byte where it stopped.
//! - A segment the storage says does not exist fails with `NotFound` at once, naming the object.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use object_store::{GetOptions, GetRange};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use livecut_media::ClipInput;

use super::{Buckets, Source, StorageError};

/// A body that broke off is resumed for up to this long (each request also has object_store's
/// own retries).
const RESUME_BUDGET: Duration = Duration::from_secs(120);

/// One remote segment and the local file it is copied to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FetchItem {
    pub source: Source,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
enum Status {
    Pending,
    Done,
    Failed(io::ErrorKind, String),
}

struct Shared {
    state: Mutex<HashMap<PathBuf, Status>>,
    changed: Condvar,
    bytes: AtomicU64,
}

/// The downloads of one job, running on a thread of their own.
#[derive(Clone)]
pub struct Prefetch {
    shared: Arc<Shared>,
}

impl Prefetch {
    /// Starts downloading `items` in order, `in_flight` at a time.
    pub fn start(
        buckets: Buckets,
        items: Vec<FetchItem>,
        in_flight: usize,
    ) -> io::Result<Prefetch> {
        let shared = Arc::new(Shared {
            state: Mutex::new(
                items
                    .iter()
                    .map(|i| (i.path.clone(), Status::Pending))
                    .collect(),
            ),
            changed: Condvar::new(),
            bytes: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("segment-fetch".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let buckets = &buckets;
                    let worker = &worker;
                    futures::stream::iter(items)
                        .map(|item| async move {
                            let result = fetch_one(buckets, &item, &worker.bytes).await;
                            (item, result)
                        })
                        .buffer_unordered(in_flight.max(1))
                        .for_each(|(item, result)| async move {
                            let status = match result {
                                Ok(()) => Status::Done,
                                Err(e) => {
                                    let kind = if e.is_not_found() {
                                        io::ErrorKind::NotFound
                                    } else {
                                        io::ErrorKind::Other
                                    };
                                    Status::Failed(kind, e.to_string())
                                }
                            };
                            if let Ok(mut state) = worker.state.lock() {
                                state.insert(item.path.clone(), status);
                            }
                            worker.changed.notify_all();
                        })
                        .await;
                });
            })?;
        Ok(Prefetch { shared })
    }

    /// Blocks until the segment at `path` is whole. A path this prefetch does not fetch is
    /// ready at once (a local segment).
    pub fn wait(&self, path: &Path) -> io::Result<()> {
        let Ok(mut state) = self.shared.state.lock() else {
            return Err(io::Error::other("the segment downloader failed"));
        };
        loop {
            match state.get(path) {
                None | Some(Status::Done) => return Ok(()),
                Some(Status::Failed(kind, message)) => {
                    return Err(io::Error::new(*kind, message.clone()));
                }
                Some(Status::Pending) => {
                    state = self
                        .shared
                        .changed
                        .wait(state)
                        .map_err(|_| io::Error::other("the segment downloader failed"))?;
                }
            }
        }
    }

    /// The engine's segment gate over these downloads: a segment opens once its init section
    /// (if any) and its own file are whole.
    pub fn gate(&self) -> livecut_media::SegmentGate {
        let prefetch = self.clone();
        Box::new(move |seg| {
            if let Some(init) = &seg.init {
                prefetch.wait(&init.path)?;
            }
            prefetch.wait(&seg.path)
        })
    }

    /// Bytes read from storage so far.
    pub fn bytes_read(&self) -> u64 {
        self.shared.bytes.load(Ordering::Relaxed)
    }
}

/// Where one segment of a plan comes from when it is not a local file: its media, and the fMP4
/// initialization section it is read with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remote {
    pub media: Option<Source>,
    pub init: Option<Source>,
}

/// Gives every remote segment (and init section) a file in `dir` and lists what the child
/// downloads there, in the order the engine reads them (an init section before the first
/// segment that needs it). A segment or init section that several segments or clips share is
/// downloaded once.
pub fn localize(clips: &mut [ClipInput], remote: &[Vec<Remote>], dir: &Path) -> Vec<FetchItem> {
    let mut fetch: Vec<FetchItem> = Vec::new();
    let mut seen: HashMap<Source, PathBuf> = HashMap::new();
    let mut place = |source: &Source, default_ext: &str| {
        seen.entry(source.clone())
            .or_insert_with(|| {
                let ext = source
                    .extension()
                    .unwrap_or_else(|| default_ext.to_string());
                let path = dir.join(format!("{:05}.{ext}", fetch.len()));
                fetch.push(FetchItem {
                    source: source.clone(),
                    path: path.clone(),
                });
                path
            })
            .clone()
    };
    for (clip, sources) in clips.iter_mut().zip(remote) {
        for (segment, from) in clip.segments.iter_mut().zip(sources) {
            if let (Some(source), Some(init)) = (&from.init, segment.init.as_mut()) {
                init.path = place(source, "mp4");
            }
            if let Some(source) = &from.media {
                segment.path = place(source, "ts");
            }
        }
    }
    fetch
}

impl Buckets {
    /// A local file holding `source`'s bytes: its own file when it is one (a path, an object of
    /// a folder bucket), else a download to `path` (registration probing a segment, the pull
    /// recorder copying one).
    pub async fn local_copy(&self, source: &Source, path: &Path) -> Result<PathBuf, StorageError> {
        if let Some(own) = self.local_file(source) {
            return Ok(own);
        }
        let item = FetchItem {
            source: source.clone(),
            path: path.to_path_buf(),
        };
        fetch_one(self, &item, &AtomicU64::new(0)).await?;
        Ok(item.path)
    }
}

/// Copies one object to `item.path` (through `<path>.part`, renamed when whole).
async fn fetch_one(
    buckets: &Buckets,
    item: &FetchItem,
    bytes: &AtomicU64,
) -> Result<(), StorageError> {
    let shown = item.source.shown();
    let (store, path) = buckets.remote(&item.source)?;
    let part = item.path.with_extension("part");
    let write_err = |source| StorageError::WriteLocal {
        path: part.display().to_string(),
        source,
    };
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(write_err)?;
    }
    let mut file = tokio::fs::File::create(&part).await.map_err(write_err)?;
    let started = Instant::now();
    let mut offset: u64 = 0;
    let mut size: Option<u64> = None;
    let mut pause = Duration::from_millis(250);
    loop {
        let opts = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        let broke = match store.get_opts(&path, opts).await {
            Ok(got) => {
                // The object's full size (a ranged answer reports the whole object's too).
                size.get_or_insert(got.meta.size);
                let mut body = got.into_stream();
                let mut broke = None;
                while let Some(chunk) = body.next().await {
                    match chunk {
                        Ok(data) => {
                            file.write_all(&data).await.map_err(write_err)?;
                            offset += data.len() as u64;
                            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                        }
                        Err(e) => {
                            broke = Some(e);
                            break;
                        }
                    }
                }
                match broke {
                    None if Some(offset) == size => break,
                    None => object_store::Error::Generic {
                        store: "segment fetch",
                        source: format!("{shown}: the body ended at byte {offset} of {size:?}")
                            .into(),
                    },
                    Some(e) => e,
                }
            }
            Err(e @ object_store::Error::NotFound { .. }) => {
                let _ = tokio::fs::remove_file(&part).await;
                return Err(StorageError::store(shown, e));
            }
            Err(e) => e,
        };
        if started.elapsed() > RESUME_BUDGET {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(StorageError::store(shown, broke));
        }
        tracing::warn!(object = %shown, offset, error = %broke, "segment read broke off; resuming");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(8));
    }
    // No fsync: a scratch copy that a crash loses is downloaded again by the next attempt.
    file.flush().await.map_err(write_err)?;
    drop(file);
    tokio::fs::rename(&part, &item.path)
        .await
        .map_err(|source| StorageError::WriteLocal {
            path: item.path.display().to_string(),
            source,
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::location::ObjectLocation;

    #[test]
    fn segments_arrive_whole_in_order_and_missing_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let buckets = Buckets::local(dir.path().join("buckets"));
        let bucket_dir = dir.path().join("buckets/rec");
        std::fs::create_dir_all(bucket_dir.join("s1")).unwrap();
        let data: Vec<u8> = (0..(3 << 20)).map(|i| (i % 253) as u8).collect();
        std::fs::write(bucket_dir.join("s1/a.ts"), &data).unwrap();
        let spool = dir.path().join("spool");
        let item = |key: &str, name: &str| FetchItem {
            source: Source::Object(ObjectLocation {
                bucket: "rec".into(),
                key: key.into(),
            }),
            path: spool.join(name),
        };
        let items = vec![item("s1/a.ts", "0.ts"), item("s1/missing.ts", "1.ts")];
        let prefetch = Prefetch::start(buckets, items, 2).unwrap();
        prefetch.wait(&spool.join("0.ts")).unwrap();
        assert!(std::fs::read(spool.join("0.ts")).unwrap() == data);
        let e = prefetch.wait(&spool.join("1.ts")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("oss://rec/s1/missing.ts"), "{e}");
        assert!(!e.to_string().contains(dir.path().to_str().unwrap()), "{e}");
        // A path it does not fetch is a local segment: ready.
        prefetch.wait(Path::new("/elsewhere/x.ts")).unwrap();
        assert_eq!(prefetch.bytes_read(), data.len() as u64);
        assert!(!spool.join("1.part").exists());
    }

    #[test]
    fn an_init_section_is_fetched_once_before_the_first_segment_needing_it() {
        let object = |key: &str| {
            Source::Object(ObjectLocation {
                bucket: "rec".into(),
                key: key.into(),
            })
        };
        let segment = |sequence: u64, uri: &str| livecut_media::SegmentInput {
            path: PathBuf::new(),
            uri: uri.into(),
            sequence,
            utc_start_us: 0,
            duration_us: 2_000_000,
            discontinuity: false,
            lookahead: false,
            init: Some(livecut_media::InitSection {
                path: PathBuf::new(),
                uri: "init.mp4".into(),
            }),
        };
        let clip = |index: usize, segments| ClipInput {
            index,
            start_utc_us: 0,
            end_utc_us: 1,
            segments,
        };
        let mut clips = vec![
            clip(0, vec![segment(1, "a.m4s"), segment(2, "b.m4s")]),
            clip(1, vec![segment(2, "b.m4s")]),
        ];
        let remote = |key: &str| Remote {
            media: Some(object(key)),
            init: Some(object("s/init.mp4")),
        };
        let plan = vec![
            vec![remote("s/a.m4s"), remote("s/b.m4s")],
            vec![remote("s/b.m4s")],
        ];
        let dir = Path::new("/scratch");
        let fetch = localize(&mut clips, &plan, dir);
        let keys: Vec<String> = fetch.iter().map(|f| f.source.shown()).collect();
        assert_eq!(
            keys,
            [
                "oss://rec/s/init.mp4",
                "oss://rec/s/a.m4s",
                "oss://rec/s/b.m4s"
            ]
        );
        let init_paths: Vec<&Path> = clips
            .iter()
            .flat_map(|c| &c.segments)
            .filter_map(|s| s.init.as_ref().map(|i| i.path.as_path()))
            .collect();
        assert!(
            init_paths.iter().all(|p| *p == dir.join("00000.mp4")),
            "{init_paths:?}"
        );
        assert_eq!(clips[1].segments[0].path, dir.join("00002.m4s"));
    }
}
