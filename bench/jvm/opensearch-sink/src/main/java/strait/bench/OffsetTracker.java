package strait.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * What Confluent's AsyncOffsetTracker does: one state object per record, kept in offset order per
 * partition; once bulks are acknowledged, each partition's committable offset moves over the
 * contiguous prefix of processed records. Bulks finish on executor threads while the task thread
 * adds records, hence the locking.
 */
final class OffsetTracker {
  static final class State {
    private final long offset;
    private volatile boolean processed;

    State(long offset) {
      this.offset = offset;
    }

    void markProcessed() {
      processed = true;
    }
  }

  private final SinkTaskContext context;
  private final Map<TopicPartition, Map<Long, State>> byPartition = new HashMap<>();
  private final Map<TopicPartition, Long> maxProcessed = new HashMap<>();
  private final AtomicLong entries = new AtomicLong();

  OffsetTracker(SinkTaskContext context) {
    this.context = context;
  }

  /** Records arrive in offset order; a redelivered one already committed gets a loose state. */
  synchronized State addPending(SinkRecord record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.kafkaPartition());
    if (!context.assignment().contains(tp)) {
      throw new ConnectException(String.format("Found a topic name '%s' that doesn't match "
          + "assigned partitions. Connector doesn't support topic mutating SMTs", record.topic()));
    }
    Long max = maxProcessed.get(tp);
    if (max == null || record.kafkaOffset() > max) {
      Map<Long, State> states = byPartition.computeIfAbsent(tp, k -> new LinkedHashMap<>());
      State existing = states.get(record.kafkaOffset());
      if (existing != null) {
        return existing;
      }
      State state = new State(record.kafkaOffset());
      states.put(record.kafkaOffset(), state);
      entries.incrementAndGet();
      return state;
    }
    return new State(record.kafkaOffset());
  }

  long numEntries() {
    return entries.get();
  }

  synchronized void updateOffsets() {
    byPartition.forEach((tp, states) -> {
      Long max = maxProcessed.get(tp);
      boolean moved = false;
      Iterator<State> it = states.values().iterator();
      while (it.hasNext()) {
        State s = it.next();
        if (!s.processed) {
          break;
        }
        it.remove();
        entries.decrementAndGet();
        if (max == null || s.offset > max) {
          max = s.offset;
          moved = true;
        }
      }
      if (moved) {
        maxProcessed.put(tp, max);
      }
    });
  }

  /** The next offsets to read: one past the last contiguously acknowledged record. */
  synchronized Map<TopicPartition, OffsetAndMetadata> offsets() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    maxProcessed.forEach((tp, max) -> out.put(tp, new OffsetAndMetadata(max + 1)));
    return out;
  }

  synchronized void closePartitions(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      Map<Long, State> states = byPartition.remove(tp);
      if (states != null) {
        entries.addAndGet(-states.size());
      }
      maxProcessed.remove(tp);
    }
  }
}
