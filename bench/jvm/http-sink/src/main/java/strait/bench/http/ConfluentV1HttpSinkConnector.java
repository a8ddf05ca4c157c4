package strait.bench.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * The JVM peer of Strait's HTTP sink in `cargo xtask bench kafka_to_http`: Kafka Connect running
 * this connector does, per put, what Confluent's HTTP Sink V1
 * ({@code io.confluent.connect.http.HttpSinkConnector}) does with the same keys. Confluent's
 * connector is closed source and not on Maven Central, Aiven's is not published there and
 * Apache Camel's HTTP sink connector is not served here, so this stands in for "a JVM HTTP sink
 * a user would run". See {@link HttpSinkTask} for the per-put work.
 */
public class ConfluentV1HttpSinkConnector extends SinkConnector {
  private Map<String, String> props;

  @Override
  public String version() {
    return "1";
  }

  @Override
  public void start(Map<String, String> props) {
    // Parse once here so that a bad config fails the connector, not only its tasks.
    new HttpSinkConfig(props);
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return HttpSinkTask.class;
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
    return HttpSinkConfig.DEF;
  }
}
