package strait.bench.cassandra;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.datastax.oss.common.sink.AbstractSinkRecord;
import com.datastax.oss.common.sink.AbstractSinkTask;
import com.datastax.oss.common.sink.config.CassandraSinkConfig.IgnoreErrorsPolicy;
import com.datastax.oss.common.sink.config.TableConfig;
import com.datastax.oss.common.sink.config.TopicConfig;
import com.datastax.oss.common.sink.state.InstanceState;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Connect's side of the peer: wraps each {@link SinkRecord} for DataStax's core and hands
 * the batch to the core's {@link AbstractSinkTask}, which maps every record to a bound INSERT,
 * groups the statements of one {@code put} by table and partition key into unlogged batches of
 * at most {@code maxNumberOfRecordsInBatch}, sends them with at most
 * {@code maxConcurrentRequests} in flight, and returns only when every request has completed.
 * So when {@code put} returns, all of its records are written or have failed, and the offsets
 * Connect then commits are safe.
 *
 * <p>Failures follow DataStax's connector: unless {@code ignoreErrors} says to skip them, a
 * failed record's partition is rewound to the lowest failed offset (and that offset is what
 * {@link #preCommit} reports for the partition), so the record is consumed again.
 *
 * <p>For the benchmark, the task prints one line to standard output whenever its totals change
 * at a commit: {@code strait-bench cassandra-peer: requests=R statements=S failed=F}, where R
 * counts the CQL requests sent (single statements and batches alike, from the core's own
 * batch-size histogram) and S the statements they carried.
 */
public class DataStaxCoreSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(DataStaxCoreSinkTask.class);
  static final String STATS_PREFIX = "strait-bench cassandra-peer: ";

  /** Lowest failed offset per partition since the last put; what to consume next time. */
  private final Map<TopicPartition, Long> rewinds = new ConcurrentHashMap<>();
  private final Core core = new Core();
  private String lastStats = "";

  @Override
  public String version() {
    return DataStaxCoreSinkConnector.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    core.start(props);
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    List<AbstractSinkRecord> wrapped = new ArrayList<>(records.size());
    for (SinkRecord r : records) {
      wrapped.add(new RecordAdapter(r));
    }
    core.put(wrapped);
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(
      Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    rewinds.forEach((tp, offset) -> currentOffsets.put(tp, new OffsetAndMetadata(offset)));
    printStats();
    return currentOffsets;
  }

  @Override
  public void stop() {
    printStats();
    core.stop();
  }

  /** Totals over every table this task writes, from the core's metrics. */
  private void printStats() {
    InstanceState state = core.getInstanceState();
    if (state == null) {
      return;
    }
    long requests = 0, statements = 0, failed = 0;
    for (TopicConfig topic : state.getConfig().getTopicConfigs().values()) {
      for (TableConfig table : topic.getTableConfigs()) {
        String t = topic.getTopicName(), kt = table.getKeyspaceAndTable();
        requests += state.getBatchSizeHistogram(t, kt).getCount();
        statements += state.getRecordCounter(t, kt);
        failed += state.getFailedRecordCounter(t, kt);
      }
    }
    String stats = "requests=" + requests + " statements=" + statements + " failed=" + failed;
    if (!stats.equals(lastStats)) {
      lastStats = stats;
      // Standard output is the worker log the benchmark reads, whatever log4j's levels are.
      System.out.println(STATS_PREFIX + stats);
      System.out.flush();
    }
  }

  /** DataStax's core with this connector's failure handling plugged in. */
  private final class Core extends AbstractSinkTask {
    @Override
    protected void beforeProcessingBatch() {
      // A new put starts from the positions Connect seeks to after a rewind.
      rewinds.clear();
    }

    @Override
    protected synchronized void handleFailure(
        AbstractSinkRecord record, Throwable e, String cql, Runnable failCounter) {
      SinkRecord r = ((RecordAdapter) record).record();
      // A CQL text means the driver failed the write; none means mapping the record failed.
      boolean driverFailure = cql != null;
      IgnoreErrorsPolicy ignore = getInstanceState().getConfig().getIgnoreErrors();
      boolean retry =
          ignore == IgnoreErrorsPolicy.NONE
              || (ignore == IgnoreErrorsPolicy.DRIVER && !driverFailure);
      if (retry) {
        TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
        // Requests complete out of order, on driver threads (hence synchronized): keep the
        // lowest failed offset of the partition and seek there.
        Long lowest = rewinds.merge(tp, r.kafkaOffset(), Math::min);
        if (lowest == r.kafkaOffset()) {
          context.offset(tp, lowest);
        }
      }
      failCounter.run();
      if (driverFailure) {
        log.warn(
            "writing {}-{}@{} failed ({}): {}",
            r.topic(), r.kafkaPartition(), r.kafkaOffset(), cql, e.toString());
      } else {
        log.warn(
            "mapping {}-{}@{} failed: {}",
            r.topic(), r.kafkaPartition(), r.kafkaOffset(), e.toString());
      }
    }

    @Override
    public String version() {
      return DataStaxCoreSinkConnector.VERSION;
    }

    @Override
    public String applicationName() {
      return "Strait benchmark peer (DataStax connector core)";
    }
  }
}
