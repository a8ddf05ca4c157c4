package strait.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.http.HttpHost;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.action.DocWriteRequest;
import org.opensearch.action.bulk.BackoffPolicy;
import org.opensearch.action.bulk.BulkItemResponse;
import org.opensearch.action.bulk.BulkProcessor;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.bulk.BulkResponse;
import org.opensearch.action.index.IndexRequest;
import org.opensearch.client.RequestOptions;
import org.opensearch.client.RestClient;
import org.opensearch.client.RestHighLevelClient;
import org.opensearch.client.indices.CreateIndexRequest;
import org.opensearch.client.indices.GetIndexRequest;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.unit.ByteSizeUnit;
import org.opensearch.core.common.unit.ByteSizeValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per record, what Confluent's {@code ElasticsearchSinkTask} does with {@code key.ignore=true},
 * {@code schema.ignore=true} and its defaults otherwise (INSERT, behavior.on.null.values=FAIL,
 * behavior.on.malformed.documents=FAIL, flush.synchronously=false):
 *
 * <ul>
 *   <li>the record's offset state is registered with an asynchronous offset tracker (one
 *       entry per record, insertion-ordered per partition), partitions are paused when too many
 *       are outstanding;
 *   <li>the index is the lower-cased topic, created once if missing;
 *   <li>the value is written back to JSON text by Kafka's {@link JsonConverter}
 *       ({@code schemas.enable=false}, {@code fromConnectData}), as Confluent's DataConverter
 *       does;
 *   <li>an {@link IndexRequest} (op type INDEX, id {@code topic+partition+offset}, no external
 *       version since the key is ignored) goes to a {@link BulkProcessor} configured like
 *       Confluent's: batch.size actions, bulk.size.bytes, linger.ms flush interval,
 *       max.in.flight.requests - 1 concurrent requests, no BulkProcessor backoff; bulks run
 *       synchronously on a pool of max.in.flight.requests threads with jittered exponential
 *       retries;
 *   <li>when a bulk is acknowledged its successful items are marked processed and each
 *       partition's committable offset advances over the contiguous processed prefix;
 *       {@code preCommit} flushes the processor (without waiting) and returns those offsets,
 *       so only acknowledged records are ever committed.
 * </ul>
 */
public class OpenSearchBulkSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(OpenSearchBulkSinkTask.class);
  /** Poll timeout while partitions are paused, so they are resumed soon (as Confluent). */
  private static final long PAUSE_POLL_TIMEOUT_MS = 100;
  /** How often put() re-checks for buffer space while max.buffered.records are outstanding. */
  private static final long WAIT_TIME_MS = 10;
  /** Item failures Confluent classes as malformed documents. */
  private static final List<String> MALFORMED_DOC_ERRORS = List.of(
      "strict_dynamic_mapping_exception", "mapper_parsing_exception",
      "illegal_argument_exception", "action_request_validation_exception",
      "document_parsing_exception");

  private SinkConfig config;
  private JsonConverter json;
  private RestHighLevelClient client;
  private ExecutorService bulkExecutor;
  private BulkProcessor bulkProcessor;
  private final ConcurrentMap<DocWriteRequest<?>, OffsetTracker.State> requestToOffset =
      new ConcurrentHashMap<>();
  private final AtomicInteger numBuffered = new AtomicInteger();
  private final AtomicReference<ConnectException> error = new AtomicReference<>();
  private final Object bufferedChanged = new Object();
  private final Set<String> indexCache = new HashSet<>();
  private OffsetTracker offsets;
  private boolean paused;

  @Override
  public String version() {
    return "1";
  }

  @Override
  public void start(Map<String, String> props) {
    config = new SinkConfig(props);
    json = new JsonConverter();
    json.configure(Collections.singletonMap("schemas.enable", "false"), false);
    offsets = new OffsetTracker(context);
    int maxInFlight = config.getInt(SinkConfig.MAX_IN_FLIGHT);
    AtomicInteger threads = new AtomicInteger();
    bulkExecutor = Executors.newFixedThreadPool(maxInFlight, r -> {
      Thread t = new Thread(r, "opensearch-bulk-executor-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    client = new RestHighLevelClient(
        RestClient.builder(HttpHost.create(config.getString(SinkConfig.CONNECTION_URL))));
    String version = callWithRetries("get the server version",
        () -> client.info(RequestOptions.DEFAULT).getVersion().getNumber());
    bulkProcessor = BulkProcessor.builder(this::executeBulk, new Listener())
        .setBulkActions(config.getInt(SinkConfig.BATCH_SIZE))
        .setBulkSize(new ByteSizeValue(config.getLong(SinkConfig.BULK_SIZE_BYTES),
            ByteSizeUnit.BYTES))
        // 0 = one bulk at a time: the processor counts concurrent requests beside the current one.
        .setConcurrentRequests(maxInFlight - 1)
        .setFlushInterval(TimeValue.timeValueMillis(config.getLong(SinkConfig.LINGER_MS)))
        // Retries happen in executeBulk, for every kind of failure, as in Confluent's client.
        .setBackoffPolicy(BackoffPolicy.noBackoff())
        .build();
    log.info("OpenSearch bulk sink task started against OpenSearch {}", version);
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    throwIfFailed();
    maybeResume();
    for (SinkRecord record : records) {
      OffsetTracker.State state = offsets.addPending(record);
      if (record.value() == null) {
        // behavior.on.null.values=FAIL, Confluent's default.
        throw new DataException(String.format(
            "record from topic=%s partition=%s offset=%s has a null value",
            record.topic(), record.kafkaPartition(), record.kafkaOffset()));
      }
      String index = indexName(record.topic());
      ensureIndexExists(index);
      String payload = new String(
          json.fromConnectData(record.topic(), record.valueSchema(), record.value()),
          StandardCharsets.UTF_8);
      String id = String.format("%s+%d+%d", record.topic(), record.kafkaPartition(),
          record.kafkaOffset());
      IndexRequest request = new IndexRequest(index).id(id)
          .source(payload, XContentType.JSON).opType(DocWriteRequest.OpType.INDEX);
      throwIfFailed();
      waitForBufferSpace();
      requestToOffset.put(request, state);
      numBuffered.incrementAndGet();
      bulkProcessor.add(request);
    }
    maybePause();
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(
      Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    try {
      // Starts the buffered partial bulk; does not wait for it.
      bulkProcessor.flush();
    } catch (IllegalStateException e) {
      log.debug("BulkProcessor already closed", e);
    }
    return offsets.offsets();
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    offsets.closePartitions(partitions);
  }

  @Override
  public void stop() {
    try {
      if (bulkProcessor != null && !bulkProcessor.awaitClose(
          config.getLong(SinkConfig.FLUSH_TIMEOUT_MS), TimeUnit.MILLISECONDS)) {
        log.warn("In-flight bulk requests did not finish within flush.timeout.ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (bulkExecutor != null) {
        bulkExecutor.shutdownNow();
      }
      if (client != null) {
        try {
          client.close();
        } catch (IOException e) {
          log.warn("Closing the OpenSearch client", e);
        }
      }
    }
  }

  /** Confluent's topic → index rule: lower case, ≤ 255 chars, no leading - or _, not . or ... */
  private static String indexName(String topic) {
    String index = topic.toLowerCase();
    if (index.length() > 255) {
      index = index.substring(0, 255);
    }
    if (index.startsWith("-") || index.startsWith("_")) {
      index = index.substring(1);
    }
    if (index.equals(".") || index.equals("..")) {
      index = index.replace(".", "dot");
    }
    return index;
  }

  private void ensureIndexExists(String index) {
    if (indexCache.contains(index)) {
      return;
    }
    boolean exists = callWithRetries("check if index " + index + " exists",
        () -> client.indices().exists(new GetIndexRequest(index), RequestOptions.DEFAULT));
    if (!exists) {
      callWithRetries("create index " + index, () -> {
        try {
          client.indices().create(new CreateIndexRequest(index), RequestOptions.DEFAULT);
        } catch (OpenSearchStatusException | IOException e) {
          if (e.getMessage() == null
              || !e.getMessage().contains("resource_already_exists_exception")) {
            throw e;
          }
        }
        return null;
      });
    }
    indexCache.add(index);
  }

  /** Blocks while max.buffered.records are outstanding, up to flush.timeout.ms. */
  private void waitForBufferSpace() {
    long deadline = System.currentTimeMillis() + config.getLong(SinkConfig.FLUSH_TIMEOUT_MS);
    int max = config.getInt(SinkConfig.MAX_BUFFERED);
    synchronized (bufferedChanged) {
      while (numBuffered.get() >= max) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new ConnectException("Could not make space in the internal buffer fast enough. "
              + "Consider increasing flush.timeout.ms or max.buffered.records.");
        }
        try {
          bufferedChanged.wait(Math.min(left, WAIT_TIME_MS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ConnectException(e);
        }
      }
    }
  }

  private void throwIfFailed() {
    ConnectException e = error.get();
    if (e != null) {
      throw e;
    }
  }

  private void maybePause() {
    long high = config.getInt(SinkConfig.MAX_BUFFERED) * 10L;
    if (!paused && offsets.numEntries() > high) {
      context.pause(context.assignment().toArray(new TopicPartition[0]));
      context.timeout(PAUSE_POLL_TIMEOUT_MS);
      paused = true;
    }
  }

  private void maybeResume() {
    if (!paused) {
      return;
    }
    long low = config.getInt(SinkConfig.MAX_BUFFERED) * 5L;
    if (offsets.numEntries() <= low) {
      context.resume(context.assignment().toArray(new TopicPartition[0]));
      paused = false;
    } else {
      context.timeout(PAUSE_POLL_TIMEOUT_MS);
    }
  }

  /**
   * Runs one bulk synchronously on the executor, with retries, and reports to the processor's
   * listener. The processor starts no more than max.in.flight.requests of these at once.
   */
  private void executeBulk(BulkRequest request, ActionListener<BulkResponse> listener) {
    bulkExecutor.submit(() -> {
      try {
        listener.onResponse(callWithRetries("execute bulk request",
            () -> client.bulk(request, RequestOptions.DEFAULT)));
      } catch (Exception e) {
        listener.onFailure(e);
      } catch (Throwable t) {
        listener.onFailure(new ConnectException("Bulk request failed", t));
      }
    });
  }

  private final class Listener implements BulkProcessor.Listener {
    @Override
    public void beforeBulk(long executionId, BulkRequest request) {}

    @Override
    public void afterBulk(long executionId, BulkRequest request, BulkResponse response) {
      List<DocWriteRequest<?>> requests = request.requests();
      int i = 0;
      for (BulkItemResponse item : response) {
        DocWriteRequest<?> req = i < requests.size() ? requests.get(i) : null;
        i++;
        if (!failed(item) && req != null) {
          OffsetTracker.State state = requestToOffset.get(req);
          if (state != null) {
            state.markProcessed();
          }
        }
      }
      offsets.updateOffsets();
      finished(request);
    }

    @Override
    public void afterBulk(long executionId, BulkRequest request, Throwable failure) {
      log.warn("Bulk request {} failed", executionId, failure);
      error.compareAndSet(null, new ConnectException("Bulk request failed", failure));
      finished(request);
    }

    /**
     * Confluent's item handling without a DLQ: malformed documents fail the task (the
     * default behavior.on.malformed.documents=FAIL); version conflicts cannot happen without
     * external versioning but would be logged and treated as written; anything else fails.
     */
    private boolean failed(BulkItemResponse item) {
      if (!item.isFailed()) {
        return false;
      }
      String message = item.getFailureMessage();
      for (String malformed : MALFORMED_DOC_ERRORS) {
        if (message.contains(malformed)) {
          error.compareAndSet(null, new ConnectException(
              "Indexing record failed (malformed document): " + message));
          return true;
        }
      }
      if (message.contains("version_conflict_engine_exception")) {
        log.warn("version conflict for document {} in index {}", item.getId(), item.getIndex());
        return false;
      }
      error.compareAndSet(null, new ConnectException("Indexing record failed: " + message));
      return true;
    }

    private void finished(BulkRequest request) {
      request.requests().forEach(requestToOffset::remove);
      synchronized (bufferedChanged) {
        numBuffered.addAndGet(-request.requests().size());
        bufferedChanged.notifyAll();
      }
    }
  }

  /** Confluent's RetryUtil: max.retries + 1 attempts, jittered exponential backoff. */
  private <T> T callWithRetries(String description, Callable<T> call) {
    int attempts = config.getInt(SinkConfig.MAX_RETRIES) + 1;
    long backoff = config.getLong(SinkConfig.RETRY_BACKOFF_MS);
    for (int attempt = 1; ; attempt++) {
      try {
        return call.call();
      } catch (Exception e) {
        if (attempt >= attempts) {
          throw new ConnectException(String.format("Failed to %s due to '%s' after %d attempt(s)",
              description, e, attempt), e);
        }
        long cap = attempt > 32 ? TimeUnit.HOURS.toMillis(24)
            : Math.min(TimeUnit.HOURS.toMillis(24), backoff << attempt);
        long wait = cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(0, cap);
        log.warn("Failed to {} due to {}; retrying ({}/{}) after {} ms", description, e,
            attempt, attempts, wait);
        try {
          Thread.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ConnectException(ie);
        }
      }
    }
  }
}
