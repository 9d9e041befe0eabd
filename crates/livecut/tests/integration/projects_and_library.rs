//! The live-editing project calls and the media library through the official SDK: fields and
//! their types as each SDK model has them, paging, filters, errors naming the parameter, another
//! account's ids answering as ids that do not exist, a Submit taking its storage from its
//! project, and DeleteMediaInfos with and without the files.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::sdk::SdkReply;
use serde_json::{Value, json};

const LIVE_CONFIG: &str = r#"{"OutputMediaConfig":{"StorageLocation":"out.oss-cn-shanghai.aliyuncs.com","Path":"highlights/day1"},"OutputMediaTarget":"oss-object"}"#;

fn call(sdk: &mut Sdk, op: &str, params: &[(&str, &str)]) -> SdkReply {
    let mut c = sdk.call_as(op);
    for (k, v) in params {
        c = c.param(*k, *v);
    }
    sdk.send(&c)
}

fn clips() -> String {
    json!([{"StartTime": at(1.0), "EndTime": at(2.5)}]).to_string()
}

fn submit_to(sdk: &mut Sdk, output: Option<&str>, project: Option<&str>) -> Value {
    let clips = clips();
    let stream = stream_config("cam1");
    let output = output.map(|o| json!({ "MediaURL": o }).to_string());
    let mut params = vec![
        ("Clips", clips.as_str()),
        ("LiveStreamConfig", stream.as_str()),
        ("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#),
    ];
    if let Some(o) = &output {
        params.push(("OutputMediaConfig", o.as_str()));
    }
    if let Some(p) = project {
        params.push(("ProjectId", p));
    }
    ok_body(call(sdk, "submit_live_editing_job", &params))
}

fn ids_of(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_str().unwrap().to_string())
        .collect()
}

/// Every page of a list call, following NextToken.
fn all_pages(
    sdk: &mut Sdk,
    op: &str,
    params: &[(&str, &str)],
    items: &str,
    id: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let mut p = params.to_vec();
        if let Some(t) = &token {
            p.push(("NextToken", t.as_str()));
        }
        let body = ok_body(call(sdk, op, &p));
        seen.extend(ids_of(&body[items], id));
        match body["NextToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => return seen,
        }
    }
    panic!("more than 20 pages");
}

/// A server with a 4-s recording and SDK clients of two accounts, alpha and beta.
fn two_accounts() -> (tempfile::TempDir, Server, Sdk, Sdk) {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let server = Server::start(dir.path(), &[]);
    let key = |account| create_account_key(dir.path(), account, "ice:*");
    let a = Sdk::new(&server.endpoint, key("alpha"));
    let b = Sdk::new(&server.endpoint, key("beta"));
    (dir, server, a, b)
}

#[test]
fn editing_projects_through_the_sdk() {
    let (dir, _server, mut a, mut b) = two_accounts();

    // Create: Status is a number with its StatusName in this model.
    let body = ok_body(call(
        &mut a,
        "create_editing_project",
        &[
            ("ProjectType", "LiveEditingProject"),
            ("Title", "Day 1"),
            ("Description", "Finals"),
            ("BusinessConfig", LIVE_CONFIG),
        ],
    ));
    let project = &body["Project"];
    let live_id = project["ProjectId"].as_str().unwrap().to_string();
    assert_eq!(live_id.len(), 32, "{project}");
    assert_eq!(project["Status"], 1, "{project}");
    assert_eq!(project["StatusName"], "Draft");
    assert_eq!(project["ProjectType"], "LiveEditingProject");
    assert_eq!(project["BusinessConfig"], LIVE_CONFIG);
    assert_eq!(project["CreateSource"], "OpenAPI");
    assert!(project["CreateTime"].as_str().unwrap().ends_with('Z'));

    // Refusals name their parameter.
    for (params, code, names) in [
        (
            vec![("ProjectType", "LiveEditingProject")],
            "MissingParameter",
            "BusinessConfig.OutputMediaConfig.StorageLocation",
        ),
        (
            vec![
                ("ProjectType", "LiveEditingProject"),
                ("BusinessConfig", "[1]"),
            ],
            "InvalidParameter",
            "BusinessConfig",
        ),
        (
            vec![
                ("ProjectType", "LiveEditingProject"),
                (
                    "BusinessConfig",
                    r#"{"OutputMediaConfig":{"StorageLocation":"Bad_Bucket!"}}"#,
                ),
            ],
            "InvalidParameter",
            "BusinessConfig.OutputMediaConfig.StorageLocation",
        ),
        (
            vec![
                ("ProjectType", "LiveEditingProject"),
                (
                    "BusinessConfig",
                    r#"{"OutputMediaConfig":{"StorageLocation":"out"},"OutputMediaTarget":"ftp"}"#,
                ),
            ],
            "InvalidParameter",
            "BusinessConfig.OutputMediaTarget",
        ),
        (
            vec![("ProjectType", "Movie")],
            "InvalidParameter",
            "ProjectType",
        ),
    ] {
        let (got, status, message) = err_code(&call(&mut a, "create_editing_project", &params));
        assert_eq!((got.as_str(), status), (code, 400), "{params:?}: {message}");
        assert!(message.contains(names), "{params:?}: {message}");
    }

    // Get: Status is a string in this model; Update changes what it is given.
    let get = |sdk: &mut Sdk, id: &str| call(sdk, "get_editing_project", &[("ProjectId", id)]);
    let got = ok_body(get(&mut a, &live_id));
    assert_eq!(got["Project"]["Status"], "Draft");
    assert_eq!(got["Project"]["Title"], "Day 1");
    ok_body(call(
        &mut a,
        "update_editing_project",
        &[
            ("ProjectId", &live_id),
            ("Title", "Day 1 finals"),
            ("BusinessStatus", "Reserving"),
        ],
    ));
    let got = ok_body(get(&mut a, &live_id));
    assert_eq!(got["Project"]["Title"], "Day 1 finals");
    assert_eq!(got["Project"]["Description"], "Finals", "kept");
    assert_eq!(got["Project"]["BusinessStatus"], "Reserving");
    let (code, _, message) = err_code(&call(
        &mut a,
        "update_editing_project",
        &[("ProjectId", &live_id), ("BusinessStatus", "Live")],
    ));
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("BusinessStatus"), "{message}");

    // A Submit naming the project takes its storage: an output in its bucket and Path.
    let submitted = submit_to(&mut a, None, Some(&live_id));
    let url = submitted["MediaURL"].as_str().unwrap();
    assert!(
        url.starts_with("oss://out/highlights/day1/") && url.ends_with(".mp4"),
        "{url}"
    );
    assert_eq!(submitted["ProjectId"], live_id.as_str());
    let job = a.wait_job(
        submitted["JobId"].as_str().unwrap(),
        Duration::from_secs(60),
    );
    assert_eq!(job["Status"], "Success", "{job}");
    let key = url.trim_start_matches("oss://out/");
    assert!(
        dir.path().join("buckets/out").join(key).is_file(),
        "{url} written"
    );
    assert_eq!(
        ok_body(get(&mut a, &live_id))["Project"]["Status"],
        "Produced"
    );

    // Plain projects for paging.
    let mut made = vec![live_id.clone()];
    for title in ["clip 50%_a", "clip b", "other"] {
        let body = ok_body(call(&mut a, "create_editing_project", &[("Title", title)]));
        made.push(body["Project"]["ProjectId"].as_str().unwrap().to_string());
    }
    // The project made for the job submitted without ProjectId counts too.
    let plain_job = submit_to(&mut a, Some("oss://out/plain.mp4"), None);
    made.push(plain_job["ProjectId"].as_str().unwrap().to_string());
    let newest_first = all_pages(
        &mut a,
        "list_editing_projects",
        &[("MaxResults", "2")],
        "ProjectList",
        "ProjectId",
    );
    let mut expected = made.clone();
    expected.reverse();
    assert_eq!(newest_first, expected, "every project once, newest first");
    let oldest_first = all_pages(
        &mut a,
        "list_editing_projects",
        &[("MaxResults", "3"), ("SortBy", "CreationTime:Asc")],
        "ProjectList",
        "ProjectId",
    );
    assert_eq!(oldest_first, made);
    let listed = ok_body(call(
        &mut a,
        "list_editing_projects",
        &[("Keyword", "50%_")],
    ));
    assert_eq!(
        ids_of(&listed["ProjectList"], "ProjectId"),
        [made[1].clone()]
    );
    assert_eq!(
        listed["ProjectList"][0]["Status"], "Draft",
        "a string in this model"
    );
    assert_eq!(listed["MaxResults"], 10);
    let live = ok_body(call(
        &mut a,
        "list_editing_projects",
        &[
            ("ProjectType", "LiveEditingProject"),
            ("Status", "Produced"),
        ],
    ));
    assert_eq!(
        ids_of(&live["ProjectList"], "ProjectId"),
        [live_id.as_str()]
    );
    for (param, value) in [
        ("MaxResults", "0"),
        ("MaxResults", "101"),
        ("NextToken", "not-a-token"),
        ("SortBy", "Title:Asc"),
        ("Status", "Broken"),
        ("StartTime", "yesterday"),
    ] {
        let (code, _, message) =
            err_code(&call(&mut a, "list_editing_projects", &[(param, value)]));
        assert_eq!(code, "InvalidParameter", "{param}={value}: {message}");
        assert!(message.contains(param), "{message}");
    }

    // Another account sees none of it and changes none of it.
    let (code, status, _) = err_code(&get(&mut b, &live_id));
    assert_eq!((code.as_str(), status), ("NotFound", 404));
    let theirs = ok_body(call(&mut b, "list_editing_projects", &[]));
    assert_eq!(theirs["ProjectList"].as_array().map(Vec::len), Some(0));
    let (code, _, _) = err_code(&call(
        &mut b,
        "update_editing_project",
        &[("ProjectId", &live_id), ("Title", "mine")],
    ));
    assert_eq!(code, "NotFound");
    ok_body(call(
        &mut b,
        "delete_editing_projects",
        &[("ProjectIds", &live_id)],
    ));
    assert_eq!(
        ok_body(get(&mut a, &live_id))["Project"]["Title"],
        "Day 1 finals"
    );
    let clips = clips();
    let stream = stream_config("cam1");
    let (code, _, message) = err_code(&call(
        &mut b,
        "submit_live_editing_job",
        &[
            ("Clips", clips.as_str()),
            ("LiveStreamConfig", stream.as_str()),
            ("ProjectId", live_id.as_str()),
        ],
    ));
    assert_eq!(code, "InvalidParameter", "{message}");
    assert!(message.contains("ProjectId"), "{message}");

    // Delete: gone for Get, List and Submit.
    let two = format!("{},{}", made[1], live_id);
    ok_body(call(
        &mut a,
        "delete_editing_projects",
        &[("ProjectIds", &two)],
    ));
    let (code, _, _) = err_code(&get(&mut a, &live_id));
    assert_eq!(code, "NotFound");
    let left = all_pages(
        &mut a,
        "list_editing_projects",
        &[],
        "ProjectList",
        "ProjectId",
    );
    assert_eq!(left.len(), made.len() - 2);
    let (code, _, _) = err_code(&call(&mut a, "delete_editing_projects", &[]));
    assert_eq!(code, "MissingParameter");
}

#[test]
fn the_media_library_through_the_sdk() {
    let (dir, _server, mut a, mut b) = two_accounts();
    let mut media = Vec::new();
    for name in ["m1", "m2", "m3"] {
        let body = submit_to(&mut a, Some(&format!("oss://lib/{name}.mp4")), None);
        let job = a.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{job}");
        media.push(body["MediaId"].as_str().unwrap().to_string());
    }
    let list = |sdk: &mut Sdk, params: &[(&str, &str)]| {
        ok_body(call(sdk, "list_media_basic_infos", params))
    };

    let first = list(
        &mut a,
        &[("MaxResults", "2"), ("IncludeFileBasicInfo", "true")],
    );
    assert_eq!(first["TotalCount"], 3);
    assert_eq!(first["MaxResults"], 2);
    let infos = first["MediaInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0]["MediaId"], media[2].as_str(), "newest first");
    let basic = &infos[0]["MediaBasicInfo"];
    assert_eq!(basic["Status"], "Normal");
    assert_eq!(basic["InputURL"], "oss://lib/m3.mp4");
    let file = &infos[0]["FileInfoList"][0]["FileBasicInfo"];
    let size: u64 = file["FileSize"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        size,
        std::fs::metadata(dir.path().join("buckets/lib/m3.mp4"))
            .unwrap()
            .len()
    );
    let every = all_pages(
        &mut a,
        "list_media_basic_infos",
        &[("MaxResults", "2")],
        "MediaInfos",
        "MediaId",
    );
    assert_eq!(
        every,
        [media[2].clone(), media[1].clone(), media[0].clone()]
    );
    let oldest = list(&mut a, &[("SortBy", "UtcCreate:Asc")]);
    assert_eq!(ids_of(&oldest["MediaInfos"], "MediaId"), media);
    assert!(
        oldest["MediaInfos"][0]["FileInfoList"]
            .as_array()
            .unwrap()
            .is_empty(),
        "files only when asked"
    );
    let one = list(&mut a, &[("MediaId", &media[1])]);
    assert_eq!(
        (
            one["TotalCount"].clone(),
            ids_of(&one["MediaInfos"], "MediaId")
        ),
        (json!(1), vec![media[1].clone()])
    );
    assert_eq!(
        list(&mut a, &[("Status", "ProduceFailed")])["TotalCount"],
        0
    );
    for (param, value) in [
        ("MaxResults", "500"),
        ("Status", "Lost"),
        ("SortBy", "Size:Desc"),
    ] {
        let (code, _, message) =
            err_code(&call(&mut a, "list_media_basic_infos", &[(param, value)]));
        assert_eq!(code, "InvalidParameter", "{param}: {message}");
        assert!(message.contains(param), "{message}");
    }

    // UpdateMediaInfo, read back through GetMediaInfo.
    let updated = ok_body(call(
        &mut a,
        "update_media_info",
        &[
            ("MediaId", &media[0]),
            ("Title", "Goal 1"),
            ("Description", "The first goal"),
            ("MediaTags", "goal,final"),
            ("CateId", "7"),
            ("UserData", r#"{"match":"final"}"#),
        ],
    ));
    assert_eq!(updated["MediaId"], media[0].as_str());
    ok_body(call(
        &mut a,
        "update_media_info",
        &[
            ("InputURL", "oss://lib/m1.mp4"),
            ("MediaTags", "replay,goal"),
            ("AppendTags", "true"),
        ],
    ));
    let info = ok_body(call(&mut a, "get_media_info", &[("MediaId", &media[0])]));
    let basic = &info["MediaInfo"]["MediaBasicInfo"];
    assert_eq!(basic["Title"], "Goal 1");
    assert_eq!(basic["Description"], "The first goal");
    assert_eq!(basic["MediaTags"], "goal,final,replay");
    assert_eq!(basic["CateId"], 7);
    assert_eq!(basic["UserData"], r#"{"match":"final"}"#);
    for (param, value) in [
        ("CateId", "-3"),
        ("UserData", "[1]"),
        ("Title", &"t".repeat(200)),
    ] {
        let (code, _, message) = err_code(&call(
            &mut a,
            "update_media_info",
            &[("MediaId", &media[0]), (param, value)],
        ));
        assert_eq!(code, "InvalidParameter", "{param}: {message}");
        assert!(message.contains(param), "{message}");
    }

    // Another account: nothing listed, nothing changed, its deletes ignored.
    assert_eq!(list(&mut b, &[])["TotalCount"], 0);
    let (code, _, _) = err_code(&call(
        &mut b,
        "update_media_info",
        &[("MediaId", &media[0]), ("Title", "x")],
    ));
    assert_eq!(code, "NotFound");
    let theirs = ok_body(call(
        &mut b,
        "delete_media_infos",
        &[("MediaIds", &media[0])],
    ));
    assert_eq!(theirs["IgnoredList"], json!([media[0]]));

    // Delete without the files: the asset goes, the file stays; with them, both go.
    let m1 = dir.path().join("buckets/lib/m1.mp4");
    let m2 = dir.path().join("buckets/lib/m2.mp4");
    let kept = ok_body(call(
        &mut a,
        "delete_media_infos",
        &[("MediaIds", &format!("{},nope", media[0]))],
    ));
    assert_eq!(kept["IgnoredList"], json!(["nope"]));
    assert_eq!(kept["ForbiddenList"], json!([]));
    assert!(m1.is_file(), "the file stays without DeletePhysicalFiles");
    let (code, _, _) = err_code(&call(&mut a, "get_media_info", &[("MediaId", &media[0])]));
    assert_eq!(code, "NotFound");
    ok_body(call(
        &mut a,
        "delete_media_infos",
        &[
            ("InputURLs", "oss://lib/m2.mp4"),
            ("DeletePhysicalFiles", "true"),
        ],
    ));
    assert!(!m2.exists(), "DeletePhysicalFiles removes the file");
    assert_eq!(list(&mut a, &[])["TotalCount"], 1);
    // The location of a deleted asset takes a new job.
    let again = submit_to(&mut a, Some("oss://lib/m2.mp4"), None);
    let job = a.wait_job(again["JobId"].as_str().unwrap(), Duration::from_secs(60));
    assert_eq!(job["Status"], "Success", "{job}");
    assert!(m2.is_file());
    let (code, _, _) = err_code(&call(&mut a, "delete_media_infos", &[]));
    assert_eq!(code, "MissingParameter");
}

/// The new calls are RAM actions of their own, and a key limited to a bucket cannot make a
/// project that writes elsewhere.
#[test]
fn project_and_library_calls_need_their_ram_actions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let reader = create_key(
        dir.path(),
        "ice:ListEditingProjects,ice:ListMediaBasicInfos",
    );
    let mut r = Sdk::new(&server.endpoint, reader);
    assert!(ok_body(call(&mut r, "list_editing_projects", &[]))["ProjectList"].is_array());
    assert_eq!(
        ok_body(call(&mut r, "list_media_basic_infos", &[]))["TotalCount"],
        0
    );
    for (op, params) in [
        ("create_editing_project", vec![("Title", "x")]),
        ("delete_media_infos", vec![("MediaIds", "abc")]),
        (
            "update_media_info",
            vec![("MediaId", "abc"), ("Title", "x")],
        ),
        ("delete_editing_projects", vec![("ProjectIds", "abc")]),
    ] {
        let (code, status, message) = err_code(&call(&mut r, op, &params));
        assert_eq!(
            (code.as_str(), status),
            ("Forbidden.RAM", 403),
            "{op}: {message}"
        );
    }
    let limited = create_key_with(dir.path(), &["--actions", "ice:*", "--buckets", "team-a"]);
    let mut l = Sdk::new(&server.endpoint, limited);
    let (code, _, message) = err_code(&call(
        &mut l,
        "create_editing_project",
        &[
            ("ProjectType", "LiveEditingProject"),
            ("BusinessConfig", LIVE_CONFIG),
        ],
    ));
    assert_eq!(code, "Forbidden.RAM", "{message}");
    assert!(
        message.contains("BusinessConfig.OutputMediaConfig.StorageLocation"),
        "{message}"
    );
    let mine = r#"{"OutputMediaConfig":{"StorageLocation":"team-a"}}"#;
    let made = ok_body(call(
        &mut l,
        "create_editing_project",
        &[
            ("ProjectType", "LiveEditingProject"),
            ("BusinessConfig", mine),
        ],
    ));
    assert_eq!(made["Project"]["StatusName"], "Draft");
}
