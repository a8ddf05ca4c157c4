package strait.bench.cassandra;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.datastax.oss.common.sink.AbstractField;
import com.datastax.oss.common.sink.AbstractSchema;
import com.datastax.oss.common.sink.AbstractStruct;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * A Kafka Connect {@link Schema} as DataStax's core sees one: its type, and for structs its
 * fields, for maps and arrays their key and value schemas. Logical types (Decimal, Date,
 * Timestamp, …) are seen as their physical type, as in DataStax's own connector.
 */
final class SchemaAdapter implements AbstractSchema {
  /** One shared adapter per primitive type: they carry nothing but the type. */
  private static final Map<Schema.Type, SchemaAdapter> PRIMITIVES = new EnumMap<>(Schema.Type.class);

  static {
    for (Schema.Type t : Schema.Type.values()) {
      if (t.isPrimitive()) {
        PRIMITIVES.put(t, new SchemaAdapter(null, type(t)));
      }
    }
  }

  /** The schema of {@code schema}, or null for none. */
  static AbstractSchema of(Schema schema) {
    if (schema == null) {
      return null;
    }
    SchemaAdapter shared = PRIMITIVES.get(schema.type());
    return shared != null ? shared : new SchemaAdapter(schema, type(schema.type()));
  }

  /** A struct wrapped for the core; any other value as it is. */
  static Object wrap(Object value) {
    return value instanceof Struct ? new StructAdapter((Struct) value) : value;
  }

  private final Schema schema;
  private final Type type;
  /** Struct fields by name, in schema order (empty for other types). */
  private final Map<String, AbstractField> fields;

  private SchemaAdapter(Schema schema, Type type) {
    this.schema = schema;
    this.type = type;
    if (type != Type.STRUCT) {
      this.fields = Collections.emptyMap();
    } else {
      Map<String, AbstractField> f = new LinkedHashMap<>();
      for (Field field : schema.fields()) {
        f.put(field.name(), new FieldAdapter(field.name(), field.schema()));
      }
      this.fields = f;
    }
  }

  private static Type type(Schema.Type t) {
    switch (t) {
      case INT8: return Type.INT8;
      case INT16: return Type.INT16;
      case INT32: return Type.INT32;
      case INT64: return Type.INT64;
      case FLOAT32: return Type.FLOAT32;
      case FLOAT64: return Type.FLOAT64;
      case BOOLEAN: return Type.BOOLEAN;
      case STRING: return Type.STRING;
      case BYTES: return Type.BYTES;
      case ARRAY: return Type.ARRAY;
      case MAP: return Type.MAP;
      case STRUCT: return Type.STRUCT;
      default: throw new IllegalArgumentException("Kafka Connect schema type " + t + " has no counterpart");
    }
  }

  @Override
  public AbstractSchema valueSchema() {
    return of(schema == null ? null : schema.valueSchema());
  }

  @Override
  public AbstractSchema keySchema() {
    return of(schema == null ? null : schema.keySchema());
  }

  @Override
  public Type type() {
    return type;
  }

  @Override
  public List<? extends AbstractField> fields() {
    return new ArrayList<>(fields.values());
  }

  @Override
  public AbstractField field(String name) {
    return fields.get(name);
  }

  @Override
  public String toString() {
    return schema == null ? type.toString() : schema.toString();
  }

  private static final class FieldAdapter implements AbstractField {
    private final String name;
    private final Schema schema;

    FieldAdapter(String name, Schema schema) {
      this.name = name;
      this.schema = schema;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public AbstractSchema schema() {
      return of(schema);
    }
  }

  /** A struct value; nested structs are wrapped as they are read. */
  private static final class StructAdapter implements AbstractStruct {
    private final Struct struct;

    StructAdapter(Struct struct) {
      this.struct = struct;
    }

    @Override
    public Object get(String field) {
      return wrap(struct.get(field));
    }

    @Override
    public AbstractSchema schema() {
      return of(struct.schema());
    }
  }
}
