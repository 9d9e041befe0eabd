//! Live-editing projects. A job without ProjectId gets one created for it, as IMS does.

use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

pub const LIVE_EDITING_PROJECT: &str = "LiveEditingProject";
pub const CREATE_SOURCE_OPENAPI: &str = "LiveEditingOpenAPI";

pub async fn create(
    tx: &mut Transaction<'_, Any>,
    project_id: &str,
    title: &str,
    account: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO projects (project_id, title, project_type, create_source, business_config, created_at, modified_at, account) \
         VALUES ($1, $2, $3, $4, '', $5, $5, $6)",
    )
    .bind(project_id)
    .bind(title)
    .bind(LIVE_EDITING_PROJECT)
    .bind(CREATE_SOURCE_OPENAPI)
    .bind(now_ms)
    .bind(account)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The project exists in `account` (another account's project does not exist for it).
pub async fn exists(db: &Db, project_id: &str, account: &str) -> Result<bool, DbError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM projects WHERE project_id = $1 AND account = $2")
            .bind(project_id)
            .bind(account)
            .fetch_one(&db.pool)
            .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}
