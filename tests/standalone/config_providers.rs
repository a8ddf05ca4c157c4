//! Config providers (KIP-297 / KIP-421) end to end: `${file:…}`, `${directory:…}` and `${env:…}`
//! variables in connector configs resolve when connectors and tasks start (records flow to the
//! resolved topic), the REST API and task configs keep the raw `${…}` text, a worker key
//! resolves from a file, and `allowed.paths` keeps paths outside it unread with Java's message.
//! Also the worker's connector naming policy (`connector.name.policy`, a Strait addition), which
//! these operations keys sit beside.

use super::*;

/// `method path` with a JSON body; the status and the JSON answer.
fn send(port: u16, method: &str, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status: u16 = resp.split_whitespace().nth(1).unwrap().parse().unwrap();
    let text = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    let start = text.find(['{', '[']).unwrap_or(0);
    let end = text.rfind(['}', ']']).map(|e| e + 1).unwrap_or(text.len());
    (
        status,
        serde_json::from_str(&text[start..end]).unwrap_or(serde_json::Value::Null),
    )
}

const FILE: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const DIRECTORY: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
const ENV: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

/// A FileStreamSource whose `file` comes from a directory provider and `topic` from a file
/// provider, and a FileStreamSink whose `topics` comes from the environment: the lines go
/// through the resolved topic into the sink's file; `/config` and `/tasks` show the variables;
/// the worker's own offsets file name came from a file too.
#[test]
fn file_directory_and_env_variables_resolve_and_stay_raw_in_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("cp-topic");
    let secrets = dir.path().join("secrets");
    let files = dir.path().join("files");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::create_dir_all(&files).unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&input, make_lines(20, 0)).unwrap();
    let offsets = dir.path().join("resolved.offsets");
    let secrets_file = secrets.join("secrets.properties");
    std::fs::write(
        &secrets_file,
        format!("topic={topic}\noffsets={}\n", offsets.display()),
    )
    .unwrap();
    // A directory provider value is the file's whole content (no trailing newline wanted).
    std::fs::write(files.join("input"), input.display().to_string()).unwrap();

    let worker_extra = format!(
        "config.providers=file,directory,env\n\
         config.providers.file.class={FILE}\n\
         config.providers.file.param.allowed.paths={secrets}\n\
         config.providers.directory.class={DIRECTORY}\n\
         config.providers.directory.param.allowed.paths={root}\n\
         config.providers.env.class={ENV}\n\
         config.providers.env.param.allowlist.pattern=CP_.*\n\
         offset.storage.file.filename=${{file:{secrets_file}:offsets}}\n",
        secrets = secrets.display(),
        root = dir.path().display(),
        secrets_file = secrets_file.display(),
    );
    let topic_ref = format!("${{file:{}:topic}}", secrets_file.display());
    let file_ref = format!("${{directory:{}:input}}", files.display());
    let source = format!(
        "name={topic}-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile={file_ref}\ntopic={topic_ref}\n"
    );
    let sink = serde_json::json!({"name": format!("{topic}-sink"), "config": {
        "connector.class": "FileStreamSink", "tasks.max": "1",
        "file": output.display().to_string(), "topics": "${env:CP_TOPIC}"}})
    .to_string();
    let w = Worker::start_with_env(
        dir.path(),
        "providers",
        &worker_extra,
        &[("source.properties", source), ("sink.json", sink)],
        &[("CP_TOPIC", topic.clone())],
    );
    wait_rest(&w);
    wait_lines(&w, &output, 20, Duration::from_secs(60));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), make_lines(20, 0));

    // The raw form everywhere the API shows configs.
    let (code, config) = w.get(&format!("/connectors/{topic}-source/config"));
    assert_eq!(code, 200, "{config}");
    assert_eq!(config["topic"], topic_ref.as_str());
    assert_eq!(config["file"], file_ref.as_str());
    let (_, info) = w.get(&format!("/connectors/{topic}-sink"));
    assert_eq!(info["config"]["topics"], "${env:CP_TOPIC}");
    let (_, tasks) = w.get(&format!("/connectors/{topic}-source/tasks"));
    assert_eq!(tasks[0]["config"]["topic"], topic_ref.as_str(), "{tasks}");
    assert_eq!(tasks[0]["config"]["file"], file_ref.as_str(), "{tasks}");
    let (_, tasks) = w.get(&format!("/connectors/{topic}-sink/tasks"));
    assert_eq!(tasks[0]["config"]["topics"], "${env:CP_TOPIC}", "{tasks}");

    // The worker key: source offsets land in the file the variable named.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !offsets.exists() {
        assert!(
            Instant::now() < deadline,
            "no offsets at {}; log:\n{}",
            offsets.display(),
            w.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Validation sees resolved values; a variable outside the allowlist stays as written.
    let (code, infos) = send(
        w.port,
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        &serde_json::json!({"connector.class": "FileStreamSink", "name": "v",
            "topics": "${env:CP_TOPIC}", "file": "${env:HOME}"}),
    );
    assert_eq!(code, 200, "{infos}");
    let value = |name: &str| {
        infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == name)
            .map(|c| c["value"]["value"].clone())
            .unwrap()
    };
    assert_eq!(value("topics"), topic.as_str());
    assert_eq!(value("file"), "${env:HOME}");
    w.stop();
}

/// `allowed.paths` as Java enforces it: a file outside is not read (Java's warning, the
/// variable left as written), and an entry that is not absolute or does not exist fails
/// start-up with Java's message.
#[test]
fn paths_outside_allowed_paths_are_refused_with_javas_messages() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    let outside = dir.path().join("outside.properties");
    std::fs::write(&outside, "secret=leaked\n").unwrap();
    let base = string_worker(dir.path());

    for (param, message) in [
        (
            "relative/dir".to_string(),
            "Path relative/dir is not absolute",
        ),
        (
            format!("{}/missing", dir.path().display()),
            "does not exist",
        ),
    ] {
        let (code, err) = run_to_exit(
            dir.path(),
            &format!(
                "{base}config.providers=file\nconfig.providers.file.class={FILE}\nconfig.providers.file.param.allowed.paths={param}\n"
            ),
            &[],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(message), "{err}");
    }

    let w = Worker::start(
        dir.path(),
        "allowed",
        &format!(
            "config.providers=file\nconfig.providers.file.class={FILE}\nconfig.providers.file.param.allowed.paths={}\n",
            allowed.display()
        ),
        &[],
    );
    wait_rest(&w);
    for path in [
        outside.display().to_string(),
        // `..` is folded before the check, as Java's `Path.normalize`.
        format!("{}/../outside.properties", allowed.display()),
    ] {
        let variable = format!("${{file:{path}:secret}}");
        let (code, infos) = send(
            w.port,
            "PUT",
            "/connector-plugins/FileStreamSink/config/validate",
            &serde_json::json!({"connector.class": "FileStreamSink", "name": "v",
                "topics": "t", "file": variable}),
        );
        assert_eq!(code, 200, "{infos}");
        let file = infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == "file")
            .unwrap();
        assert_eq!(file["value"]["value"], variable.as_str(), "{infos}");
        let log = w.log();
        assert!(
            log.contains(&format!("The path {path} is not allowed to be accessed")),
            "{log}"
        );
        assert!(!infos.to_string().contains("leaked"));
    }
    w.stop();
}

/// `connector.name.policy`: creates with other names are refused with a Kafka Connect-shaped
/// 400 naming the form, over REST and from a standalone connector file; good names are created.
#[test]
fn the_naming_policy_refuses_other_names_on_create() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("naming");
    let sink = |name: &str| {
        serde_json::json!({"connector.class": "FileStreamSink", "tasks.max": "1", "name": name,
            "topics": topic, "file": dir.path().join(format!("{name}.out")).display().to_string()})
    };

    // A standalone connector file with another name fails start-up (exit code 3).
    let base = string_worker(dir.path());
    let file = format!(
        "name=my-sink\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n",
        dir.path().join("f.out").display()
    );
    let (code, err) = run_to_exit(
        dir.path(),
        &format!("{base}connector.name.policy=dedicated\n"),
        &[("bad.properties", &file)],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Connector name 'my-sink' does not follow this worker's naming policy (connector.name.policy=dedicated)"),
        "{err}"
    );
    let (code, err) = run_to_exit(
        dir.path(),
        &format!("{base}connector.name.policy=strict\n"),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("connector.name.policy"), "{err}");

    let w = Worker::start(dir.path(), "naming", "connector.name.policy=dedicated", &[]);
    wait_rest(&w);
    let (code, body) = send(
        w.port,
        "POST",
        "/connectors",
        &serde_json::json!({"name": "my-sink", "config": sink("my-sink")}),
    );
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error_code"], 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("expected {business_unit}-{stage}-{id}-connector (e.g. sales-dev-analytics-snowflake-connector)"),
        "{message}"
    );
    assert!(
        message.contains("stage is one of dev, qas, run"),
        "{message}"
    );
    let (code, body) = send(
        w.port,
        "PUT",
        "/connectors/sales-prod-x-connector/config",
        &sink("sales-prod-x-connector"),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("'sales-prod-x-connector'"),
        "{body}"
    );
    // The shared form is not the dedicated one.
    let shared = "edh-shared-scada-dev-analytics-snowflake-connector";
    let (code, _) = send(
        w.port,
        "POST",
        "/connectors",
        &serde_json::json!({"name": shared, "config": sink(shared)}),
    );
    assert_eq!(code, 400);

    let good = "sales-dev-analytics-snowflake-connector";
    let (code, body) = send(
        w.port,
        "POST",
        "/connectors",
        &serde_json::json!({"name": good, "config": sink(good)}),
    );
    assert_eq!(code, 201, "{body}");
    let good_put = "sales-qas-crm-http-connector";
    let (code, body) = send(
        w.port,
        "PUT",
        &format!("/connectors/{good_put}/config"),
        &sink(good_put),
    );
    assert_eq!(code, 201, "{body}");
    // Updating an existing connector is not a create.
    let (code, body) = send(
        w.port,
        "PUT",
        &format!("/connectors/{good}/config"),
        &sink(good),
    );
    assert_eq!(code, 200, "{body}");
    let (_, names) = w.get("/connectors");
    assert_eq!(names.as_array().unwrap().len(), 2, "{names}");
    w.stop();

    let w = Worker::start(
        dir.path(),
        "naming-shared",
        "connector.name.policy=shared",
        &[],
    );
    wait_rest(&w);
    let (code, body) = send(
        w.port,
        "POST",
        "/connectors",
        &serde_json::json!({"name": shared, "config": sink(shared)}),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = send(
        w.port,
        "POST",
        "/connectors",
        &serde_json::json!({"name": good, "config": sink(good)}),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("connector.name.policy=shared"),
        "{body}"
    );
    w.stop();
}
