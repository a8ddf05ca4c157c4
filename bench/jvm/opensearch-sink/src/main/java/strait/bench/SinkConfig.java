package strait.bench;

import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The keys of Confluent's Elasticsearch sink that the benchmark peer honours, with Confluent's
 * defaults (batch.size 2000, bulk.size.bytes 5 MB, linger.ms 1, max.in.flight.requests 5,
 * max.buffered.records 20000, flush.timeout.ms 3 min, max.retries 5, retry.backoff.ms 100).
 * The peer implements only the path the benchmark measures; asking for another one is an error
 * naming the key rather than a silently different workload.
 */
final class SinkConfig extends AbstractConfig {
  static final String CONNECTION_URL = "connection.url";
  static final String KEY_IGNORE = "key.ignore";
  static final String SCHEMA_IGNORE = "schema.ignore";
  static final String BATCH_SIZE = "batch.size";
  static final String BULK_SIZE_BYTES = "bulk.size.bytes";
  static final String LINGER_MS = "linger.ms";
  static final String MAX_IN_FLIGHT = "max.in.flight.requests";
  static final String MAX_BUFFERED = "max.buffered.records";
  static final String FLUSH_TIMEOUT_MS = "flush.timeout.ms";
  static final String FLUSH_SYNCHRONOUSLY = "flush.synchronously";
  static final String MAX_RETRIES = "max.retries";
  static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  static final String TYPE_NAME = "type.name";

  static final ConfigDef DEF = new ConfigDef()
      .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "OpenSearch URL, e.g. http://127.0.0.1:9200 (one URL).")
      .define(KEY_IGNORE, Type.BOOLEAN, false, Importance.HIGH,
          "Must be true: document ids are topic+partition+offset.")
      .define(SCHEMA_IGNORE, Type.BOOLEAN, false, Importance.HIGH,
          "Must be true: no mappings are created from Connect schemas.")
      .define(BATCH_SIZE, Type.INT, 2000, Range.between(1, 1_000_000), Importance.MEDIUM,
          "Actions per bulk request.")
      .define(BULK_SIZE_BYTES, Type.LONG, 5L * 1024 * 1024, Range.atLeast(-1), Importance.LOW,
          "Bytes per bulk request.")
      .define(LINGER_MS, Type.LONG, 1L, Range.between(0, 7 * 24 * 3600 * 1000L), Importance.LOW,
          "How long a partial bulk waits for more records.")
      .define(MAX_IN_FLIGHT, Type.INT, 5, Range.between(1, 1000), Importance.MEDIUM,
          "Bulk requests in flight at once.")
      .define(MAX_BUFFERED, Type.INT, 20000, Range.atLeast(1), Importance.LOW,
          "Records buffered (unacknowledged) before put() blocks.")
      .define(FLUSH_TIMEOUT_MS, Type.LONG, 180_000L, Range.atLeast(1), Importance.LOW,
          "How long put() waits for buffer space, and stop() for in-flight bulks.")
      .define(FLUSH_SYNCHRONOUSLY, Type.BOOLEAN, false, Importance.LOW,
          "Must be false: offsets are tracked per record and committed as bulks are acknowledged.")
      .define(MAX_RETRIES, Type.INT, 5, Range.atLeast(0), Importance.LOW,
          "Retries of a failed request.")
      .define(RETRY_BACKOFF_MS, Type.LONG, 100L, Range.atLeast(0), Importance.LOW,
          "Initial backoff before a retry (jittered, doubling).")
      .define(TYPE_NAME, Type.STRING, "", Importance.LOW,
          "Ignored (removed in Confluent's 11.x; OpenSearch 2 has no mapping types).");

  SinkConfig(Map<String, String> props) {
    super(DEF, props);
    require(getBoolean(KEY_IGNORE), KEY_IGNORE, "true");
    require(getBoolean(SCHEMA_IGNORE), SCHEMA_IGNORE, "true");
    require(!getBoolean(FLUSH_SYNCHRONOUSLY), FLUSH_SYNCHRONOUSLY, "false");
    if (getString(CONNECTION_URL).contains(",")) {
      throw new ConfigException(CONNECTION_URL, getString(CONNECTION_URL),
          "the benchmark peer connects to one URL");
    }
  }

  private static void require(boolean ok, String key, String only) {
    if (!ok) {
      throw new ConfigException(key + ": the benchmark peer supports only " + key + "=" + only);
    }
  }
}
