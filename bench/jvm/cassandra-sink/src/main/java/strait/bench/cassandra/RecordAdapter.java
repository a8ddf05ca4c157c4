package strait.bench.cassandra;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.datastax.oss.common.sink.AbstractSchema;
import com.datastax.oss.common.sink.AbstractSinkRecord;
import com.datastax.oss.common.sink.AbstractSinkRecordHeader;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A Kafka Connect {@link SinkRecord} as DataStax's core sees a record. Keys and values pass
 * through as the converter produced them, except that a {@code Struct} is wrapped
 * ({@link SchemaAdapter#wrap}): the core reads a {@code Map} (schemaless JSON) or a
 * {@code String} as JSON, a struct through its schema, and anything else as a raw value.
 */
final class RecordAdapter implements AbstractSinkRecord {
  private final SinkRecord record;

  RecordAdapter(SinkRecord record) {
    this.record = record;
  }

  SinkRecord record() {
    return record;
  }

  @Override
  public Iterable<AbstractSinkRecordHeader> headers() {
    Headers headers = record.headers();
    if (headers.isEmpty()) {
      return Collections.emptyList();
    }
    List<AbstractSinkRecordHeader> out = new ArrayList<>(headers.size());
    for (Header h : headers) {
      out.add(new HeaderAdapter(h));
    }
    return out;
  }

  @Override
  public Object key() {
    return SchemaAdapter.wrap(record.key());
  }

  @Override
  public Object value() {
    return SchemaAdapter.wrap(record.value());
  }

  @Override
  public Long timestamp() {
    return record.timestamp();
  }

  @Override
  public String topic() {
    return record.topic();
  }

  @Override
  public String toString() {
    return record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
  }

  /** One header: its key, its converted value and that value's schema. */
  private static final class HeaderAdapter implements AbstractSinkRecordHeader {
    private final Header header;

    HeaderAdapter(Header header) {
      this.header = header;
    }

    @Override
    public String key() {
      return header.key();
    }

    @Override
    public Object value() {
      return header.value();
    }

    @Override
    public AbstractSchema schema() {
      return SchemaAdapter.of(header.schema());
    }
  }
}
