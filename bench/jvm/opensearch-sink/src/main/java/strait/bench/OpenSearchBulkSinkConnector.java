package strait.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * The JVM peer of Strait's Elasticsearch/OpenSearch sink in `cargo xtask bench
 * kafka_to_opensearch`: Kafka Connect running this connector does, per record, what Confluent's
 * {@code ElasticsearchSinkConnector} does with {@code key.ignore=true} and
 * {@code schema.ignore=true} (Confluent's connector is not on Maven Central, and Apache Camel's
 * OpenSearch sink is not served here). It is built on OpenSearch's official Java client, the
 * REST high-level client, whose {@code BulkProcessor} is the same class Confluent drives on
 * Elasticsearch's client. See {@link OpenSearchBulkSinkTask} for the per-record work.
 */
public class OpenSearchBulkSinkConnector extends SinkConnector {
  private Map<String, String> props;

  @Override
  public String version() {
    return "1";
  }

  @Override
  public void start(Map<String, String> props) {
    // Parse once here so that a bad config fails the connector, not only its tasks.
    new SinkConfig(props);
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return OpenSearchBulkSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      configs.add(props);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return SinkConfig.DEF;
  }
}
