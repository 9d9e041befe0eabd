// The binary has no unsafe code of its own (the library allows it only for the media child's prctl).
#![deny(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use livecut::cli::{Cli, Command, ConfigCommand, RecordingsCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    // The media child runs synchronously and must not start a tokio runtime it does not need.
    if let Command::MediaJob { spec, result } = &cli.command {
        return ExitCode::from(livecut::worker::media_job::run(spec, result) as u8);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("livecut: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("livecut: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => livecut::serve::serve(&cli.store, &args)
            .await
            .map_err(|e| e.to_string()),
        Command::Worker(args) => livecut::serve::worker(&cli.store, &args)
            .await
            .map_err(|e| e.to_string()),
        Command::Workers { json } => {
            let db = cli.store.open_db().await.map_err(|e| e.to_string())?;
            livecut::worker::registry::print(&db, json)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Usage {
            account,
            from,
            to,
            json,
        } => {
            let db = cli.store.open_db().await.map_err(|e| e.to_string())?;
            livecut::usage::run(
                &db,
                account.as_deref(),
                from.as_deref(),
                to.as_deref(),
                json,
            )
            .await
            .map_err(|e| e.to_string())
        }
        Command::Keys(livecut::cli::KeysCommand::MasterKey) => {
            // Needs no database: the key is for the database.
            let key = livecut::db::seal::new_master_key().map_err(|e| e.to_string())?;
            println!("{key}");
            Ok(())
        }
        Command::Keys(command) => {
            let db = cli.store.open_db().await.map_err(|e| e.to_string())?;
            livecut::keys::run(&db, command).await
        }
        Command::Recordings(RecordingsCommand::Add {
            domain,
            app,
            stream,
            segment_times,
            playlist,
        }) => livecut::recordings::register::add(
            &cli.store,
            (&domain, &app, &stream),
            &segment_times,
            &playlist,
        )
        .await
        .map_err(|e| e.to_string()),
        Command::Recordings(RecordingsCommand::AddSegment {
            domain,
            app,
            stream,
            start,
            segment_times,
            duration,
            init,
            sequence,
            continues,
            files,
        }) => livecut::recordings::add_segment::add(
            &cli.store,
            (&domain, &app, &stream),
            &livecut::recordings::add_segment::SegmentFacts {
                start,
                segment_times,
                duration,
                init,
                sequence,
                continues,
            },
            &files,
        )
        .await
        .map_err(|e| e.to_string()),
        Command::Recordings(RecordingsCommand::Segments {
            domain,
            app,
            stream,
            from,
            limit,
            json,
        }) => livecut::recordings::add_segment::list(
            &cli.store,
            (&domain, &app, &stream),
            from.as_deref(),
            limit,
            json,
        )
        .await
        .map_err(|e| e.to_string()),
        Command::Recordings(RecordingsCommand::Forget {
            older_than_days,
            delete_files,
        }) => livecut::recordings::retention::forget(&cli.store, older_than_days, delete_files)
            .await
            .map_err(|e| e.to_string()),
        Command::Record(args) => livecut::recordings::pull::record(&cli.store, &args).await,
        Command::Config(ConfigCommand::Check) => livecut::config_check::run(&cli.store).await,
        Command::Demo(args) => livecut::demo::run(&cli.store, &args)
            .await
            .map_err(|e| e.clone()),
        Command::Testgen(args) => livecut::demo::testgen(&args),
        Command::Cut(args) => livecut::cut_local::run(&cli.store, &args).await,
        Command::MediaJob { .. } => Ok(()),
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LIVECUT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(livecut::log_lines::SafeLines)
        .init();
}
