package strait.bench.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The keys of Confluent's HTTP Sink V1 that the benchmark peer honours, with Confluent's
 * defaults (request.method POST, header.separator "|", request.body.format string,
 * batch.max.size 1, batch.key.pattern "someKey", batch.separator ",", batch.json.as.array false,
 * behavior.on.null.values ignore, max.retries 10, retry.backoff.ms 3000, retry.on.status.codes
 * "400-", connect and request timeouts 30 s). Keys of paths the benchmark does not take (auth,
 * TLS, proxies, regex replacements, response reporters) are not defined: Kafka's AbstractConfig
 * logs them as unused rather than the peer pretending to honour them.
 */
final class HttpSinkConfig extends AbstractConfig {
  static final String API_URL = "http.api.url";
  static final String REQUEST_METHOD = "request.method";
  static final String HEADERS = "headers";
  static final String HEADER_SEPARATOR = "header.separator";
  static final String BODY_FORMAT = "request.body.format";
  static final String BATCH_MAX_SIZE = "batch.max.size";
  static final String BATCH_KEY_PATTERN = "batch.key.pattern";
  static final String BATCH_PREFIX = "batch.prefix";
  static final String BATCH_SUFFIX = "batch.suffix";
  static final String BATCH_SEPARATOR = "batch.separator";
  static final String BATCH_JSON_AS_ARRAY = "batch.json.as.array";
  static final String NULL_VALUES = "behavior.on.null.values";
  static final String MAX_RETRIES = "max.retries";
  static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  static final String RETRY_ON_STATUS_CODES = "retry.on.status.codes";
  static final String CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
  static final String REQUEST_TIMEOUT_MS = "http.request.timeout.ms";

  static final ConfigDef DEF = new ConfigDef()
      .define(API_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "The endpoint; ${topic} and ${key} are replaced from a batch's first record.")
      .define(REQUEST_METHOD, Type.STRING, "POST",
          ValidString.in("POST", "PUT", "PATCH"), Importance.HIGH, "HTTP method of each request.")
      .define(HEADERS, Type.STRING, "", Importance.MEDIUM,
          "Name:Value pairs sent with every request, separated by header.separator.")
      .define(HEADER_SEPARATOR, Type.STRING, "|", Importance.LOW, "Separator of headers.")
      .define(BODY_FORMAT, Type.STRING, "string", ValidString.in("string", "json"),
          Importance.MEDIUM,
          "string: each value's toString(); json: each value as JSON (JsonConverter, no schemas).")
      .define(BATCH_MAX_SIZE, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
          "Records per request (batches never span puts).")
      .define(BATCH_KEY_PATTERN, Type.STRING, "someKey", Importance.LOW,
          "Records are batched per distinct value of this pattern (${key}, ${topic}).")
      .define(BATCH_PREFIX, Type.STRING, "", Importance.LOW, "Written once before a batch.")
      .define(BATCH_SUFFIX, Type.STRING, "", Importance.LOW, "Written once after a batch.")
      .define(BATCH_SEPARATOR, Type.STRING, ",", Importance.LOW, "Written between records.")
      .define(BATCH_JSON_AS_ARRAY, Type.BOOLEAN, false, Importance.LOW,
          "With request.body.format=json: each batch is one JSON array.")
      .define(NULL_VALUES, Type.STRING, "ignore", ValidString.in("ignore", "fail"),
          Importance.LOW, "Records with a null value are skipped, or fail the task.")
      .define(MAX_RETRIES, Type.INT, 10, Range.atLeast(0), Importance.MEDIUM,
          "Retries of a failed request before the task fails.")
      .define(RETRY_BACKOFF_MS, Type.LONG, 3000L, Range.atLeast(0), Importance.LOW,
          "Pause before each retry.")
      .define(RETRY_ON_STATUS_CODES, Type.STRING, "400-", Importance.LOW,
          "Statuses that are retried: codes and ranges, e.g. 408,429,500- (others fail at once).")
      .define(CONNECT_TIMEOUT_MS, Type.INT, 30000, Range.atLeast(1), Importance.LOW,
          "Connect timeout.")
      .define(REQUEST_TIMEOUT_MS, Type.INT, 30000, Range.atLeast(1), Importance.LOW,
          "Timeout of one request's response.");

  HttpSinkConfig(Map<String, String> props) {
    super(DEF, props);
    headers();
    retryStatus();
    if (getBoolean(BATCH_JSON_AS_ARRAY) && !"json".equals(getString(BODY_FORMAT))) {
      throw new ConfigException(BATCH_JSON_AS_ARRAY + " applies to " + BODY_FORMAT + "=json only");
    }
  }

  boolean json() {
    return "json".equals(getString(BODY_FORMAT));
  }

  /** The headers key parsed into names and values, in order. */
  Map<String, String> headers() {
    Map<String, String> out = new LinkedHashMap<>();
    String all = getString(HEADERS);
    if (all.isEmpty()) {
      return out;
    }
    for (String h : all.split(Pattern.quote(getString(HEADER_SEPARATOR)))) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new ConfigException(HEADERS, all, "expected Name:Value, got '" + h + "'");
      }
      out.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    return out;
  }

  /** retry.on.status.codes as inclusive [low, high] ranges. */
  List<int[]> retryStatus() {
    List<int[]> out = new ArrayList<>();
    String spec = getString(RETRY_ON_STATUS_CODES);
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      try {
        int dash = p.indexOf('-');
        if (dash < 0) {
          int code = Integer.parseInt(p);
          out.add(new int[] {code, code});
        } else {
          String hi = p.substring(dash + 1).trim();
          out.add(new int[] {Integer.parseInt(p.substring(0, dash).trim()),
              hi.isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(hi)});
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(RETRY_ON_STATUS_CODES, spec, "bad code or range '" + p + "'");
      }
    }
    return out;
  }
}
