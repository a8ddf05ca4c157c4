package strait.bench.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per put, what Confluent's HTTP Sink V1 does (its documented behaviour, and the code of its
 * open-source ancestor thomaskwscott/kafka-connect-http, HttpApiWriter):
 *
 * <ul>
 *   <li>each record's value becomes a string: {@code toString()} with
 *       {@code request.body.format=string}; with {@code json}, the value written back to JSON
 *       text by Kafka's {@link JsonConverter} ({@code schemas.enable=false}), which for the
 *       schemaless maps of a JsonConverter-read topic is the record's JSON re-serialised. Null
 *       values are skipped ({@code behavior.on.null.values=ignore}) or fail the task;
 *   <li>records are grouped by the expanded {@code batch.key.pattern} (one group by default); a
 *       group is sent as one request when it holds {@code batch.max.size} records, and every
 *       non-empty group is sent at the end of the put, so a batch never spans puts;
 *   <li>a request's body is {@code batch.prefix} + the records joined by
 *       {@code batch.separator} + {@code batch.suffix}, or with {@code batch.json.as.array} one
 *       JSON array of the records; the URL's {@code ${topic}} and {@code ${key}} come from the
 *       batch's first record; the {@code headers} go with every request;
 *   <li>requests go one at a time and put() returns once every batch was answered 2xx, so the
 *       framework's default offset commit (what was put) commits only delivered records. A
 *       status in {@code retry.on.status.codes} or an I/O error is retried up to
 *       {@code max.retries} times, {@code retry.backoff.ms} apart; then, or on any other non-2xx
 *       status, the task fails ({@code behavior.on.error=fail}).
 * </ul>
 *
 * The client is the JDK's {@link HttpClient} on HTTP/1.1 (Confluent's sink speaks HTTP/1.1; the
 * JDK would otherwise try an h2c upgrade on every new connection).
 */
public class HttpSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(HttpSinkTask.class);

  private HttpSinkConfig config;
  private JsonConverter json;
  private HttpClient client;
  private String[] headers;
  private List<int[]> retryStatus;
  private int batchMaxSize;
  private long requests;
  private long records;

  /** One group of a put: the URL of its first record and the records' string forms. */
  private static final class Batch {
    final String url;
    final List<String> values = new ArrayList<>();

    Batch(String url) {
      this.url = url;
    }
  }

  @Override
  public String version() {
    return "1";
  }

  @Override
  public void start(Map<String, String> props) {
    config = new HttpSinkConfig(props);
    json = new JsonConverter();
    json.configure(Collections.singletonMap("schemas.enable", "false"), false);
    client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofMillis(config.getInt(HttpSinkConfig.CONNECT_TIMEOUT_MS)))
        .build();
    List<String> flat = new ArrayList<>();
    config.headers().forEach((name, value) -> {
      flat.add(name);
      flat.add(value);
    });
    headers = flat.toArray(new String[0]);
    retryStatus = config.retryStatus();
    batchMaxSize = config.getInt(HttpSinkConfig.BATCH_MAX_SIZE);
    log.info("HTTP sink task started: {} {}", config.getString(HttpSinkConfig.REQUEST_METHOD),
        config.getString(HttpSinkConfig.API_URL));
  }

  @Override
  public void put(Collection<SinkRecord> sinkRecords) {
    if (sinkRecords.isEmpty()) {
      return;
    }
    String pattern = config.getString(HttpSinkConfig.BATCH_KEY_PATTERN);
    String url = config.getString(HttpSinkConfig.API_URL);
    boolean asJson = config.json();
    boolean failOnNull = "fail".equals(config.getString(HttpSinkConfig.NULL_VALUES));
    Map<String, Batch> batches = new LinkedHashMap<>();
    for (SinkRecord r : sinkRecords) {
      if (r.value() == null) {
        if (failOnNull) {
          throw new ConnectException(String.format("Null valued record from topic %s, "
              + "partition %d and offset %d was failed (behavior.on.null.values=fail)",
              r.topic(), r.kafkaPartition(), r.kafkaOffset()));
        }
        continue;
      }
      String value = asJson
          ? new String(json.fromConnectData(r.topic(), r.valueSchema(), r.value()),
              StandardCharsets.UTF_8)
          : r.value().toString();
      String key = expand(pattern, r);
      Batch batch = batches.get(key);
      if (batch == null) {
        batch = new Batch(expand(url, r));
        batches.put(key, batch);
      }
      batch.values.add(value);
      if (batch.values.size() >= batchMaxSize) {
        send(batch);
        batches.remove(key);
      }
    }
    for (Batch batch : batches.values()) {
      send(batch);
    }
  }

  /** {@code ${topic}} and {@code ${key}} of the record in a template (untouched without any). */
  private static String expand(String template, SinkRecord r) {
    if (!template.contains("${")) {
      return template;
    }
    return template.replace("${topic}", r.topic()).replace("${key}", String.valueOf(r.key()));
  }

  private String body(Batch batch) {
    if (config.getBoolean(HttpSinkConfig.BATCH_JSON_AS_ARRAY)) {
      return "[" + String.join(",", batch.values) + "]";
    }
    return config.getString(HttpSinkConfig.BATCH_PREFIX)
        + String.join(config.getString(HttpSinkConfig.BATCH_SEPARATOR), batch.values)
        + config.getString(HttpSinkConfig.BATCH_SUFFIX);
  }

  private void send(Batch batch) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(batch.url))
        .timeout(Duration.ofMillis(config.getInt(HttpSinkConfig.REQUEST_TIMEOUT_MS)))
        .method(config.getString(HttpSinkConfig.REQUEST_METHOD),
            HttpRequest.BodyPublishers.ofString(body(batch), StandardCharsets.UTF_8));
    if (headers.length > 0) {
      builder.headers(headers);
    }
    HttpRequest request = builder.build();
    int maxRetries = config.getInt(HttpSinkConfig.MAX_RETRIES);
    long backoff = config.getLong(HttpSinkConfig.RETRY_BACKOFF_MS);
    String failure = null;
    for (int attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) {
        log.warn("HTTP request failed ({}); retry {} of {} in {} ms", failure, attempt,
            maxRetries, backoff);
        sleep(backoff);
      }
      try {
        HttpResponse<String> response =
            client.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          requests++;
          records += batch.values.size();
          return;
        }
        failure = "status " + status + ": " + response.body();
        if (!retried(status)) {
          break;
        }
      } catch (IOException e) {
        failure = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConnectException("interrupted while sending to " + batch.url, e);
      }
    }
    throw new ConnectException(String.format("%s %s failed for a batch of %d records: %s",
        request.method(), batch.url, batch.values.size(), failure));
  }

  private boolean retried(int status) {
    for (int[] range : retryStatus) {
      if (status >= range[0] && status <= range[1]) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("interrupted during a retry back-off", e);
    }
  }

  @Override
  public void stop() {
    log.info("HTTP sink task stopping after {} requests, {} records", requests, records);
  }
}
