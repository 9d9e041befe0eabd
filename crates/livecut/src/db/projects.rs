//! Live-editing projects: made by CreateEditingProject, or for a job submitted without ProjectId
//! (as IMS does). A project's `status` follows its latest job (set in the transactions that
//! submit and end jobs); its BusinessConfig holds the output storage a Submit naming it uses.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

pub const LIVE_EDITING_PROJECT: &str = "LiveEditingProject";
/// The CreateSource of projects made for jobs submitted without a ProjectId.
pub const CREATE_SOURCE_OPENAPI: &str = "LiveEditingOpenAPI";

/// The project states IMS names (its `Status` strings).
pub mod status {
    pub const DRAFT: &str = "Draft";
    pub const PRODUCING: &str = "Producing";
    pub const PRODUCED: &str = "Produced";
    pub const PRODUCE_FAILED: &str = "ProduceFailed";
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectRow {
    pub project_id: String,
    pub title: String,
    pub description: String,
    pub project_type: String,
    pub create_source: String,
    pub modified_source: String,
    /// JSON text as given (OutputMediaConfig, OutputMediaTarget, ReservationTime).
    pub business_config: String,
    pub business_status: String,
    pub status: String,
    pub cover_url: String,
    pub timeline: String,
    pub template_id: String,
    pub template_type: String,
    pub clips_param: String,
    pub created_at: i64,
    pub modified_at: i64,
    pub account: String,
}

const COLUMNS: &str = "project_id, title, description, project_type, create_source, \
     modified_source, business_config, business_status, status, cover_url, timeline, \
     template_id, template_type, clips_param, created_at, modified_at, account";

fn from_row(row: &AnyRow) -> Result<ProjectRow, DbError> {
    Ok(ProjectRow {
        project_id: row.try_get("project_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        project_type: row.try_get("project_type")?,
        create_source: row.try_get("create_source")?,
        modified_source: row.try_get("modified_source")?,
        business_config: row.try_get("business_config")?,
        business_status: row.try_get("business_status")?,
        status: row.try_get("status")?,
        cover_url: row.try_get("cover_url")?,
        timeline: row.try_get("timeline")?,
        template_id: row.try_get("template_id")?,
        template_type: row.try_get("template_type")?,
        clips_param: row.try_get("clips_param")?,
        created_at: row.try_get("created_at")?,
        modified_at: row.try_get("modified_at")?,
        account: row.try_get("account")?,
    })
}

/// The project of a job submitted without ProjectId, inside the Submit transaction: producing
/// from the start.
pub async fn create_for_job(
    tx: &mut Transaction<'_, Any>,
    project_id: &str,
    title: &str,
    account: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    let row = ProjectRow {
        project_id: project_id.to_string(),
        title: title.to_string(),
        project_type: LIVE_EDITING_PROJECT.to_string(),
        create_source: CREATE_SOURCE_OPENAPI.to_string(),
        modified_source: CREATE_SOURCE_OPENAPI.to_string(),
        status: status::PRODUCING.to_string(),
        created_at: now_ms,
        modified_at: now_ms,
        account: account.to_string(),
        ..ProjectRow::default()
    };
    insert_with(&mut **tx, &row).await
}

/// A project made by CreateEditingProject.
pub async fn insert(db: &Db, row: &ProjectRow) -> Result<(), DbError> {
    insert_with(&db.pool, row).await
}

async fn insert_with<'e, E>(executor: E, r: &ProjectRow) -> Result<(), DbError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO projects ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    )))
    .bind(&r.project_id)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.project_type)
    .bind(&r.create_source)
    .bind(&r.modified_source)
    .bind(&r.business_config)
    .bind(&r.business_status)
    .bind(&r.status)
    .bind(&r.cover_url)
    .bind(&r.timeline)
    .bind(&r.template_id)
    .bind(&r.template_type)
    .bind(&r.clips_param)
    .bind(r.created_at)
    .bind(r.modified_at)
    .bind(&r.account)
    .execute(executor)
    .await?;
    Ok(())
}

/// The project, when it is `account`'s (another account's project does not exist for it).
pub async fn get(db: &Db, project_id: &str, account: &str) -> Result<Option<ProjectRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE project_id = $1 AND account = $2"
    )))
    .bind(project_id)
    .bind(account)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The project exists in `account`.
pub async fn exists(db: &Db, project_id: &str, account: &str) -> Result<bool, DbError> {
    Ok(get(db, project_id, account).await?.is_some())
}

/// Writes the editable fields of `row` (found by id and account); false when there is none.
pub async fn update(db: &Db, r: &ProjectRow) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE projects SET title = $1, description = $2, cover_url = $3, timeline = $4, \
         template_id = $5, clips_param = $6, business_status = $7, modified_source = $8, \
         modified_at = $9 WHERE project_id = $10 AND account = $11",
    )
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.cover_url)
    .bind(&r.timeline)
    .bind(&r.template_id)
    .bind(&r.clips_param)
    .bind(&r.business_status)
    .bind(&r.modified_source)
    .bind(r.modified_at)
    .bind(&r.project_id)
    .bind(&r.account)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A job of `account`'s project was submitted (inside the Submit transaction, so a project
/// deleted meanwhile is seen); false when the account has no such project.
pub async fn set_producing_in(
    tx: &mut Transaction<'_, Any>,
    project_id: &str,
    account: &str,
    now_ms: i64,
) -> Result<bool, DbError> {
    let r = sqlx::query(
        "UPDATE projects SET status = $1, modified_at = $2 WHERE project_id = $3 AND account = $4",
    )
    .bind(status::PRODUCING)
    .bind(now_ms)
    .bind(project_id)
    .bind(account)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Job `job_id` ended (inside the transaction that ends it): its project shows the outcome,
/// unless another of its jobs still waits or runs (the project is producing until the last ends).
pub async fn set_ended_in(
    tx: &mut Transaction<'_, Any>,
    job_id: &str,
    succeeded: bool,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE projects SET status = $1, modified_at = $2 \
         WHERE project_id = (SELECT project_id FROM jobs WHERE job_id = $3) \
         AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.project_id = projects.project_id \
         AND o.job_id <> $3 AND o.status IN ($4, $5))",
    )
    .bind(if succeeded {
        status::PRODUCED
    } else {
        status::PRODUCE_FAILED
    })
    .bind(now_ms)
    .bind(job_id)
    .bind(super::jobs::status::QUEUING)
    .bind(super::jobs::status::PROCESSING)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes the projects of `ids` that are `account`'s; returns the ids deleted.
pub async fn delete(db: &Db, ids: &[String], account: &str) -> Result<Vec<String>, DbError> {
    let mut deleted = Vec::new();
    let mut tx = db.pool.begin().await?;
    for id in ids {
        let r = sqlx::query("DELETE FROM projects WHERE project_id = $1 AND account = $2")
            .bind(id)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 1 {
            deleted.push(id.clone());
        }
    }
    tx.commit().await?;
    Ok(deleted)
}

/// What ListEditingProjects filters on; empty strings and None filter nothing.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub project_type: String,
    pub create_source: String,
    pub status: String,
    pub template_type: String,
    /// Part of the title, matched literally.
    pub keyword: String,
    /// Created at or after / before (ms).
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

/// Where a page starts: after the row with this creation time and id, in the listing's order.
pub type Cursor = (i64, String);

/// One page of `account`'s projects matching `filter`, newest first unless `oldest_first`:
/// at most `limit` rows after `after`.
pub async fn list(
    db: &Db,
    account: &str,
    filter: &ProjectFilter,
    oldest_first: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<ProjectRow>, DbError> {
    let keyset = super::Keyset::new(oldest_first);
    let sql = format!(
        "SELECT {COLUMNS} FROM projects WHERE account = $1 \
         AND ($2 = '' OR project_type = $2) AND ($3 = '' OR create_source = $3) \
         AND ($4 = '' OR status = $4) AND ($5 = '' OR template_type = $5) \
         AND ($6 = '' OR LOWER(title) LIKE LOWER($7) ESCAPE '\\') \
         AND created_at >= $8 AND created_at <= $9 AND {} {} LIMIT $13",
        keyset.after("project_id", 10),
        keyset.order_by("project_id")
    );
    let (after_at, after_id) = after.cloned().unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account)
        .bind(&filter.project_type)
        .bind(&filter.create_source)
        .bind(&filter.status)
        .bind(&filter.template_type)
        .bind(&filter.keyword)
        .bind(format!("%{}%", like_literal(&filter.keyword)))
        .bind(filter.created_from.unwrap_or(i64::MIN))
        .bind(filter.created_before.unwrap_or(i64::MAX))
        .bind(i64::from(after.is_some()))
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// `text` with LIKE's wildcards escaped, so a keyword matches only itself.
pub fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn project(id: &str, account: &str, at: i64, title: &str) -> ProjectRow {
        ProjectRow {
            project_id: id.into(),
            title: title.into(),
            project_type: LIVE_EDITING_PROJECT.into(),
            create_source: "OpenAPI".into(),
            modified_source: "OpenAPI".into(),
            status: status::DRAFT.into(),
            created_at: at,
            modified_at: at,
            account: account.into(),
            ..ProjectRow::default()
        }
    }

    async fn pages_filters_and_accounts(db: &Db) {
        for i in 0..7 {
            let title = if i % 2 == 0 { "Match 50%_off" } else { "other" };
            insert(db, &project(&format!("p{i}"), "a", 1_000 + i / 2, title))
                .await
                .unwrap();
        }
        insert(db, &project("q", "b", 1_000, "Match"))
            .await
            .unwrap();
        let all = ProjectFilter::default();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = list(db, "a", &all, false, after.as_ref(), 3).await.unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|p| (p.created_at, p.project_id.clone()));
            seen.extend(page.into_iter().map(|p| p.project_id));
        }
        assert_eq!(seen, ["p6", "p5", "p4", "p3", "p2", "p1", "p0"]);
        let oldest = list(db, "a", &all, true, None, 2).await.unwrap();
        assert_eq!(oldest[0].project_id, "p0");
        let keyword = ProjectFilter {
            keyword: "50%_".into(),
            ..ProjectFilter::default()
        };
        assert_eq!(
            list(db, "a", &keyword, false, None, 10)
                .await
                .unwrap()
                .len(),
            4
        );
        let literal = ProjectFilter {
            keyword: "%".into(),
            ..ProjectFilter::default()
        };
        assert_eq!(
            list(db, "a", &literal, false, None, 10)
                .await
                .unwrap()
                .len(),
            4
        );
        let window = ProjectFilter {
            created_from: Some(1_001),
            created_before: Some(1_003),
            ..ProjectFilter::default()
        };
        // Both ends included.
        assert_eq!(
            list(db, "a", &window, false, None, 10).await.unwrap().len(),
            5
        );
        assert_eq!(get(db, "q", "a").await.unwrap(), None, "another account's");
        let deleted = delete(db, &["p0".into(), "q".into(), "none".into()], "a")
            .await
            .unwrap();
        assert_eq!(deleted, ["p0"]);
        assert!(exists(db, "q", "b").await.unwrap());
    }

    #[tokio::test]
    async fn projects_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        pages_filters_and_accounts(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn projects_on_postgres() {
        if let Some(db) = testing::postgres().await {
            pages_filters_and_accounts(&db).await;
        }
    }
}
