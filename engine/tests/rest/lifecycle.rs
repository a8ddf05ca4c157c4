//! Connector and task lifecycle through the REST API, against the real broker: pause keeps
//! offsets, stop + PATCH offsets then resume starts from the patched position, a failed task
//! shows FAILED with its trace and can be restarted, the task count follows `tasks.max`, sink
//! offsets live in the consumer group, delete stops and forgets.

use std::time::Duration;

use serde_json::{json, Value};

use super::support::*;

const T: Duration = Duration::from_secs(30);

fn position(offsets: &Value) -> i64 {
    offsets["offsets"][0]["offset"]["position"]
        .as_i64()
        .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_pause_stop_patch_resume_reset_delete() {
    let w = KafkaWorker::start().await;
    let http = &w.http;
    let topic = unique("strait-rest-src");
    let name = unique("src");
    let create = json!({"name": name, "config": {"connector.class": SOURCE_CLASS, "topic": topic, "tasks.max": "1"}});
    let r = http
        .call("POST", "/connectors", Some(&create.to_string()))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.headers["location"],
        format!("/connectors/{name}").as_str()
    );
    let status_path = format!("/connectors/{name}/status");
    http.wait_for(&status_path, T, |s| {
        states(s) == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    let offsets_path = format!("/connectors/{name}/offsets");
    http.wait_for(&offsets_path, T, |o| position(o) >= 20).await;

    // Pause: tasks go PAUSED, nothing more is produced, committed offsets stay.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/pause"), None)
            .await
            .status,
        202
    );
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/pause"), None)
            .await
            .status,
        202,
        "pause is idempotent"
    );
    http.wait_for(&status_path, T, |s| {
        states(s) == ("PAUSED".into(), vec!["PAUSED".into()])
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paused_at = position(&http.get(&offsets_path).await.body);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        position(&http.get(&offsets_path).await.body),
        paused_at,
        "no progress while paused"
    );
    let topics = http.get(&format!("/connectors/{name}/topics")).await;
    assert_eq!(
        topics.body,
        json!({ name.clone(): {"topics": [topic.clone()]} })
    );

    // Offsets can only be changed once stopped.
    let patch =
        json!({"offsets": [{"partition": {"task": "0"}, "offset": {"position": 5}}]}).to_string();
    let r = http.call("PATCH", &offsets_path, Some(&patch)).await;
    assert_eq!(r.status, 400);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Connectors must be in the STOPPED state"));

    // Resume continues from where the pause left off.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/resume"), None)
            .await
            .status,
        202
    );
    http.wait_for(&offsets_path, T, |o| position(o) > paused_at + 10)
        .await;

    // Stop: tasks released, offsets may change.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/stop"), None)
            .await
            .status,
        204
    );
    let s = http.get(&status_path).await.body;
    assert_eq!(states(&s), ("STOPPED".into(), vec![]));
    assert_eq!(
        http.get(&format!("/connectors/{name}")).await.body["tasks"],
        json!([])
    );
    assert_eq!(
        http.get(&format!("/connectors/{name}/tasks")).await.body,
        json!([])
    );
    let before_patch = position(&http.get(&offsets_path).await.body);
    let r = http.call("PATCH", &offsets_path, Some(&patch)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
    );
    assert_eq!(
        http.get(&offsets_path).await.body,
        json!({"offsets": [{"partition": {"task": "0"}, "offset": {"position": 5}}]})
    );

    // Resume starts from the patched position: row-5.. is produced a second time.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/resume"), None)
            .await
            .status,
        202
    );
    http.wait_for(&status_path, T, |s| {
        states(s) == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    http.wait_for(&offsets_path, T, |o| {
        position(o) >= 15 && position(o) < before_patch
    })
    .await;
    let values = read_topic(&topic, before_patch as usize + 5);
    let c = counts(&values);
    assert_eq!(
        c.get("row-4"),
        Some(&1),
        "rows before the patched position are not repeated"
    );
    assert!(
        c.get("row-5").copied().unwrap_or(0) >= 2,
        "row-5 produced again after the patch: {c:?}"
    );

    // Reset: tombstones, then nothing is listed.
    assert_eq!(
        http.call("DELETE", &offsets_path, None).await.status,
        400,
        "reset needs STOPPED"
    );
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/stop"), None)
            .await
            .status,
        204
    );
    let r = http.call("DELETE", &offsets_path, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("have been reset successfully"));
    assert_eq!(http.get(&offsets_path).await.body, json!({"offsets": []}));
    assert_eq!(
        http.call("DELETE", &offsets_path, None).await.status,
        200,
        "reset is idempotent"
    );

    // Delete stops and forgets.
    assert_eq!(
        http.call("DELETE", &format!("/connectors/{name}"), None)
            .await
            .status,
        204
    );
    assert_eq!(http.get(&format!("/connectors/{name}")).await.status, 404);
    assert_eq!(http.get(&status_path).await.status, 404);
    assert_eq!(
        http.get(&format!("/connectors/{name}/topics")).await.body,
        json!({ name.clone(): {"topics": []} })
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_count_follows_tasks_max() {
    let w = KafkaWorker::start().await;
    let http = &w.http;
    let name = unique("tasks");
    let topic = unique("strait-rest-tasks");
    let config = |n: u32| {
        json!({"connector.class": SOURCE_CLASS, "topic": topic, "tasks.max": n.to_string()})
            .to_string()
    };
    let path = format!("/connectors/{name}/config");
    let r = http.call("PUT", &path, Some(&config(2))).await;
    assert_eq!(r.status, 201, "PUT creates: {}", r.body);
    let status_path = format!("/connectors/{name}/status");
    http.wait_for(&status_path, T, |s| {
        states(s).1 == vec!["RUNNING", "RUNNING"]
    })
    .await;

    let r = http.call("PUT", &path, Some(&config(3))).await;
    assert_eq!(r.status, 200, "PUT updates: {}", r.body);
    http.wait_for(&status_path, T, |s| {
        states(s).1 == vec!["RUNNING", "RUNNING", "RUNNING"]
    })
    .await;
    let tasks = http.get(&format!("/connectors/{name}/tasks")).await.body;
    assert_eq!(tasks.as_array().unwrap().len(), 3);
    assert_eq!(tasks[2]["id"], json!({"connector": name, "task": 2}));
    assert_eq!(
        tasks[2]["config"]["task.class"],
        "io.strait.test.CounterSourceTask"
    );

    let r = http.call("PATCH", &path, Some(r#"{"tasks.max": 1}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["config"]["tasks.max"], "1");
    http.wait_for(&status_path, T, |s| states(s).1 == vec!["RUNNING"])
        .await;
    assert_eq!(
        http.get(&format!("/connectors/{name}/tasks/1/status"))
            .await
            .status,
        404
    );

    // A config update that changes nothing leaves the running tasks alone (Java only
    // replaces tasks whose configs changed).
    let before = http.get(&status_path).await.body;
    let r = http
        .call("PATCH", &path, Some(r#"{"tasks.max": "1"}"#))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(http.get(&status_path).await.body, before);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_failure_restart_and_consumer_group_offsets() {
    let w = KafkaWorker::start().await;
    let http = &w.http;
    let topic = unique("strait-rest-sink");
    // Fill the topic with exactly 30 rows.
    let src = unique("fill");
    let body = json!({"name": src, "config": {"connector.class": SOURCE_CLASS, "topic": topic, "max.rows": "30"}});
    assert_eq!(
        http.call("POST", "/connectors", Some(&body.to_string()))
            .await
            .status,
        201
    );
    http.wait_for(&format!("/connectors/{src}/offsets"), T, |o| {
        position(o) == 30
    })
    .await;

    let name = unique("sink");
    let body = json!({"name": name, "config": {"connector.class": SINK_CLASS, "topics": topic}});
    let r = http
        .call("POST", "/connectors", Some(&body.to_string()))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = name.clone();
    eventually("the sink received 30 rows", T, || received(&n).len() >= 30).await;
    assert_eq!(
        http.get(&format!("/connectors/{name}/topics")).await.body[&name]["topics"],
        json!([topic])
    );
    let offsets_path = format!("/connectors/{name}/offsets");
    let expected = json!({"offsets": [{"partition": {"kafka_partition": 0, "kafka_topic": topic}, "offset": {"kafka_offset": 30}}]});
    http.wait_for(&offsets_path, T, |o| *o == expected).await;

    // Told to fail: the task goes FAILED with a trace; the connector stays RUNNING.
    set_failing(&name, true);
    let more = json!({"max.rows": "40"}).to_string();
    assert_eq!(
        http.call("PATCH", &format!("/connectors/{src}/config"), Some(&more))
            .await
            .status,
        200
    );
    let status_path = format!("/connectors/{name}/status");
    let failed = http
        .wait_for(&status_path, T, |s| {
            states(s) == ("RUNNING".into(), vec!["FAILED".into()])
        })
        .await;
    assert!(
        failed["tasks"][0]["trace"]
            .as_str()
            .unwrap()
            .contains("RecordingSink was told to fail"),
        "{failed}"
    );
    let task = http
        .get(&format!("/connectors/{name}/tasks/0/status"))
        .await
        .body;
    assert_eq!(task["state"], "FAILED");

    // Restart matrix: onlyFailed without includeTasks touches nothing; with it, the task.
    let r = http
        .call(
            "POST",
            &format!("/connectors/{name}/restart?onlyFailed=true"),
            None,
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(states(&r.body), ("RUNNING".into(), vec!["FAILED".into()]));
    set_failing(&name, false);
    let r = http
        .call(
            "POST",
            &format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
            None,
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        states(&r.body),
        ("RUNNING".into(), vec!["RESTARTING".into()])
    );
    http.wait_for(&status_path, T, |s| {
        states(s) == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    let n = name.clone();
    eventually("the restarted sink catches up to 40 rows", T, || {
        received(&n).len() >= 40
    })
    .await;

    // Single task restart, and its errors.
    assert_eq!(
        http.call("POST", &format!("/connectors/{name}/tasks/0/restart"), None)
            .await
            .status,
        204
    );
    let r = http
        .call("POST", &format!("/connectors/{name}/tasks/7/restart"), None)
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str().unwrap()),
        (404, format!("Task {name}-7 not found").as_str())
    );
    http.wait_for(&status_path, T, |s| {
        states(s) == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;

    // Sink offsets: stop, rewind the group to 10, resume: rows 10.. arrive again.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/stop"), None)
            .await
            .status,
        204
    );
    let rewind = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 10}}]}).to_string();
    let mut r = http.call("PATCH", &offsets_path, Some(&rewind)).await;
    for _ in 0..20 {
        // The stopped task's consumer may take a moment to leave the group (Java: "retry").
        if r.status != 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        r = http.call("PATCH", &offsets_path, Some(&rewind)).await;
    }
    assert_eq!(r.status, 200, "{}", r.body);
    let expected = json!({"offsets": [{"partition": {"kafka_partition": 0, "kafka_topic": topic}, "offset": {"kafka_offset": 10}}]});
    assert_eq!(http.get(&offsets_path).await.body, expected);
    let before = received(&name).len();
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/resume"), None)
            .await
            .status,
        202
    );
    let n = name.clone();
    eventually("rows 10..40 delivered again", T, || {
        received(&n).len() >= before + 30
    })
    .await;
    assert!(
        received(&name)[before..].starts_with(&["row-10".to_string()]),
        "resumed at the patched offset"
    );

    // Reset deletes the group; afterwards nothing is committed.
    assert_eq!(
        http.call("PUT", &format!("/connectors/{name}/stop"), None)
            .await
            .status,
        204
    );
    let mut r = http.call("DELETE", &offsets_path, None).await;
    for _ in 0..20 {
        if r.status != 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        r = http.call("DELETE", &offsets_path, None).await;
    }
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(http.get(&offsets_path).await.body, json!({"offsets": []}));
    assert_eq!(
        http.call("DELETE", &offsets_path, None).await.status,
        200,
        "reset is idempotent"
    );

    // Sink offset validation errors (400s).
    let bad = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": "x"}, "offset": null}]}).to_string();
    let r = http.call("PATCH", &offsets_path, Some(&bad)).await;
    assert_eq!(r.status, 400);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Failed to parse the following Kafka partition value"));
    w.stop().await;
}
