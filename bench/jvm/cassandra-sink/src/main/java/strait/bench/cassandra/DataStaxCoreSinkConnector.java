package strait.bench.cassandra;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.datastax.oss.common.sink.config.CassandraSinkConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * The JVM peer of Strait's Cassandra sink in `cargo xtask bench kafka_to_cassandra`: a stand-in
 * for DataStax's {@code com.datastax.oss.kafka.sink.CassandraSinkConnector}, whose jar is not on
 * Maven Central. It runs DataStax's connector core (messaging-connectors-commons-core 1.0.15:
 * the same config parsing, mapping, statement grouping into unlogged batches and driver
 * session that DataStax's Kafka connector uses) behind a glue layer written here, so it takes
 * DataStax's configuration keys ({@code contactPoints}, {@code loadBalancing.localDc},
 * {@code topic.<topic>.<keyspace>.<table>.mapping}, …) unchanged.
 *
 * <p>Like DataStax's connector, every task gets the connector's whole configuration: the core
 * keeps one driver session per connector instance and shares it between that instance's
 * tasks.
 */
public class DataStaxCoreSinkConnector extends SinkConnector {
  /** The DataStax core this glue runs on (see pom.xml). */
  static final String VERSION = "1.0.15+strait-glue";

  private Map<String, String> props;

  @Override
  public String version() {
    return VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    // Parse once here (pure, no I/O), so that a malformed config fails the connector itself
    // rather than each of its tasks.
    new CassandraSinkConfig(props);
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return DataStaxCoreSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      configs.add(props);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    // The global keys; the per-topic keys (topic.<topic>.…) are dynamic and validated when
    // the config is parsed.
    return CassandraSinkConfig.GLOBAL_CONFIG_DEF;
  }
}
