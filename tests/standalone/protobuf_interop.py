"""Confluent's Python client (confluent-kafka 2.16.1, `confluent_kafka.schema_registry.protobuf`)
on the other end of Strait's ProtobufConverter; driven by tests/standalone/protobuf_interop.rs,
which writes this file into a temporary directory and runs it with the interpreter of
`cargo xtask py-clients` (STRAIT_TEST_PYTHON).

    protobuf_interop.py produce  BOOTSTRAP REGISTRY TOPIC N
    protobuf_interop.py consume  BOOTSTRAP REGISTRY TOPIC N
    protobuf_interop.py evolve   BOOTSTRAP REGISTRY TOPIC

Message classes are built at run time from FileDescriptorProtos (google.protobuf's descriptor
pool and message factory: no protoc). Each command prints one JSON document on stdout: what it
wrote or read, as Strait's Connect values print in plain JSON (the proto3 defaults of scalars
not set, null for messages and `optional` fields not set, a oneof as an object with only its
set member non-null, enums by name, decimals as unscaled integers, timestamps as epoch
milliseconds, dates as epoch days, times as milliseconds of the day, bytes as hex).
"""

import base64
import datetime
import json
import sys

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import timestamp_pb2  # noqa: F401 (puts timestamp.proto in the pool)

F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED
SUITS = ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"]
POOL = descriptor_pool.Default()


def file(name, package, deps=()):
    return descriptor_pb2.FileDescriptorProto(
        name=name, package=package, syntax="proto3", dependency=list(deps)
    )


def field(msg, name, number, ftype, type_name=None, label=OPTIONAL, **kw):
    f = msg.field.add(name=name, number=number, type=ftype, label=label, **kw)
    if type_name:
        f.type_name = type_name
    return f


def add_known_files():
    """google/type/date.proto, timeofday.proto and confluent/type/decimal.proto, which Python's
    serializer skips as known types (skip.known.types) and Strait knows built in."""
    date = file("google/type/date.proto", "google.type")
    m = date.message_type.add(name="Date")
    for i, n in enumerate(["year", "month", "day"], 1):
        field(m, n, i, F.TYPE_INT32)
    tod = file("google/type/timeofday.proto", "google.type")
    m = tod.message_type.add(name="TimeOfDay")
    for i, n in enumerate(["hours", "minutes", "seconds", "nanos"], 1):
        field(m, n, i, F.TYPE_INT32)
    dec = file("confluent/type/decimal.proto", "confluent.type")
    m = dec.message_type.add(name="Decimal")
    field(m, "value", 1, F.TYPE_BYTES)
    field(m, "precision", 2, F.TYPE_UINT32)
    field(m, "scale", 3, F.TYPE_INT32)
    for fd in (date, tod, dec):
        # google-api's and confluent-kafka's own copies may be in the pool already.
        try:
            POOL.FindFileByName(fd.name)
        except KeyError:
            POOL.Add(fd)


def payment_class():
    add_known_files()
    fd = file(
        "io/strait/interop/payment.proto",
        "io.strait.interop",
        [
            "google/protobuf/timestamp.proto",
            "google/type/date.proto",
            "google/type/timeofday.proto",
            "confluent/type/decimal.proto",
        ],
    )
    suit = fd.enum_type.add(name="Suit")
    for i, s in enumerate(SUITS):
        suit.value.add(name=s, number=i)
    m = fd.message_type.add(name="Payment")
    field(m, "id", 1, F.TYPE_INT64)
    field(m, "name", 2, F.TYPE_STRING)
    # A real oneof first: synthetic ones (proto3 `optional`) come after every real one.
    m.oneof_decl.add(name="choice")
    m.oneof_decl.add(name="_note")
    field(m, "note", 3, F.TYPE_STRING, oneof_index=1, proto3_optional=True)
    field(m, "amount", 4, F.TYPE_DOUBLE)
    field(m, "active", 5, F.TYPE_BOOL)
    field(m, "suit", 6, F.TYPE_ENUM, ".io.strait.interop.Suit")
    field(m, "tags", 7, F.TYPE_STRING, label=REPEATED)
    entry = m.nested_type.add(name="AttrsEntry")
    entry.options.map_entry = True
    field(entry, "key", 1, F.TYPE_STRING)
    field(entry, "value", 2, F.TYPE_INT64)
    field(m, "attrs", 8, F.TYPE_MESSAGE, ".io.strait.interop.Payment.AttrsEntry", label=REPEATED)
    field(m, "price", 9, F.TYPE_MESSAGE, ".confluent.type.Decimal")
    field(m, "ts", 10, F.TYPE_MESSAGE, ".google.protobuf.Timestamp")
    field(m, "day", 11, F.TYPE_MESSAGE, ".google.type.Date")
    field(m, "count", 12, F.TYPE_INT32)
    field(m, "ratio", 13, F.TYPE_FLOAT)
    field(m, "blob", 14, F.TYPE_BYTES)
    field(m, "at", 15, F.TYPE_MESSAGE, ".google.type.TimeOfDay")
    field(m, "delta", 16, F.TYPE_SINT32)
    field(m, "big", 17, F.TYPE_UINT32)
    addr = m.nested_type.add(name="Address")
    field(addr, "city", 1, F.TYPE_STRING)
    addr.oneof_decl.add(name="_zip")
    field(addr, "zip", 2, F.TYPE_INT32, oneof_index=0, proto3_optional=True)
    field(m, "address", 18, F.TYPE_MESSAGE, ".io.strait.interop.Payment.Address")
    field(m, "text", 19, F.TYPE_STRING, oneof_index=0)
    field(m, "number", 20, F.TYPE_INT64, oneof_index=0)
    POOL.Add(fd)
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName("io.strait.interop.Payment"))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
EPOCH_DAY = datetime.date(1970, 1, 1)


def big_integer_bytes(v):
    """Java's BigInteger.toByteArray."""
    n = (v.bit_length() + 8) // 8
    return v.to_bytes(n, "big", signed=True)


def payment(cls, i):
    """Record i as a message, and as the plain JSON Strait's Connect value prints as."""
    m = cls()
    plain = {}
    m.id = i * 1_000_003 - 5 if i % 5 else -(2**62) + i
    plain["id"] = m.id
    m.name = "né-%d 🚀 \"quoted\"" % i if i % 2 else ""
    plain["name"] = m.name
    if i % 3:
        m.note = "note %d" % i
    plain["note"] = m.note if i % 3 else None
    m.amount = i * 1.25 - 3.5 + i / 1024
    plain["amount"] = m.amount
    m.active = i % 2 == 0
    plain["active"] = m.active
    m.suit = i % 4
    plain["suit"] = SUITS[i % 4]
    m.tags.extend(["t%d" % j for j in range(i % 3)])
    plain["tags"] = list(m.tags)
    for j in range(i % 4):
        m.attrs["k%d" % j] = j * i - 7
    plain["attrs"] = dict(m.attrs)
    unscaled = i * 12_345 - 99_999
    m.price.value = big_integer_bytes(unscaled)
    m.price.precision = len(str(abs(unscaled)))
    plain["price"] = unscaled
    ms = -7_200_000 + i * 3_600_123
    m.ts.seconds, m.ts.nanos = ms // 1000, (ms % 1000) * 1_000_000
    plain["ts"] = ms
    day = datetime.date(1969, 12, 25) + datetime.timedelta(days=i * 3)
    m.day.year, m.day.month, m.day.day = day.year, day.month, day.day
    plain["day"] = (day - EPOCH_DAY).days
    m.count = -(2**31) + i if i % 7 == 0 else i * 7
    plain["count"] = m.count
    m.ratio = i / 8 - 2.0
    plain["ratio"] = m.ratio
    m.blob = bytes(range(i % 5)) + b"\xff" * (i % 2)
    plain["blob"] = m.blob.hex()
    m.at.hours, m.at.minutes, m.at.seconds = i % 24, (i * 7) % 60, (i * 13) % 60
    m.at.nanos = (i * 1000) % 1_000_000 * 1000
    plain["at"] = ((m.at.hours * 60 + m.at.minutes) * 60 + m.at.seconds) * 1000 + m.at.nanos // 1_000_000
    m.delta = -i * 1001
    plain["delta"] = m.delta
    m.big = 4_294_967_295 - i
    plain["big"] = m.big
    if i % 6 != 5:
        m.address.city = "City_%d" % i
        if i % 4 != 1:
            m.address.zip = 10_000 + i
        plain["address"] = {"city": m.address.city, "zip": None if i % 4 == 1 else 10_000 + i}
    else:
        plain["address"] = None
    if i % 3 == 0:
        m.text = "t-%d" % i
        plain["choice_0"] = {"text": m.text, "number": None}
    elif i % 3 == 1:
        m.number = i * 11
        plain["choice_0"] = {"text": None, "number": m.number}
    else:
        plain["choice_0"] = None
    return m, plain


def producer(bootstrap):
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})


def deliver(p, topic, value):
    p.produce(topic, value=value)
    p.poll(0)
    return int.from_bytes(value[1:5], "big")


def produce(bootstrap, registry, topic, n):
    cls = payment_class()
    sr = SchemaRegistryClient({"url": registry})
    ser = ProtobufSerializer(cls, sr, {"use.deprecated.format": False})
    p = producer(bootstrap)
    ctx = SerializationContext(topic, MessageField.VALUE)
    records, ids, first = [], set(), None
    for i in range(n):
        msg, plain = payment(cls, i)
        value = ser(msg, ctx)
        first = first or value
        ids.add(deliver(p, topic, value))
        records.append(plain)
    if p.flush(60) != 0:
        raise SystemExit("records not delivered")
    # Magic byte, id, then the message indexes of the file's first message: the byte 0.
    return {"records": records, "ids": sorted(ids), "index_byte": first[5]}


def consume(bootstrap, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    subject = topic + "-value"
    latest = sr.get_latest_version(subject)
    # The reader's message class: Datagen's `users` as ProtobufData.fromConnectSchema lays it
    # out (the test also compares the registered text). The deserializer reads the framing
    # (magic byte, id, message indexes) without the registry: Apicurio answers
    # `format=serialized` with the raw descriptor bytes instead of base64, which the Python
    # client cannot decode.
    fd = file("strait/%s.proto" % topic, "ksql")
    m = fd.message_type.add(name="users")
    field(m, "registertime", 1, F.TYPE_INT64)
    for i, name in enumerate(["userid", "regionid", "gender"], 2):
        field(m, name, i, F.TYPE_STRING)
    POOL.Add(fd)
    full = "ksql.users"
    cls = message_factory.GetMessageClass(POOL.FindMessageTypeByName(full))
    de = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": topic + "-python",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe([topic])
    records, ids, index_bytes = [], [], set()
    ctx = SerializationContext(topic, MessageField.VALUE)
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=60)
    while len(records) < n and datetime.datetime.now() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise SystemExit(str(m.error()))
        ids.append(int.from_bytes(m.value()[1:5], "big"))
        index_bytes.add(m.value()[5])
        msg = de(m.value(), ctx)
        records.append({f.name: getattr(msg, f.name) for f in msg.DESCRIPTOR.fields})
    c.close()
    return {
        "records": records,
        "ids": sorted(set(ids)),
        "index_bytes": sorted(index_bytes),
        "subject_versions": sr.get_versions(subject),
        "latest_id": latest.schema_id,
        "schema": latest.schema.schema_str,
        "message": full,
    }


def reading_class(version):
    """Version 1: id, sensor, legacy. 2 adds `unit` (BACKWARD-compatible: proto3 fields are
    optional). 3 removes `legacy`, its number reserved (also BACKWARD-compatible)."""
    fd = file("io/strait/interop/reading_v%d.proto" % version, "io.strait.interop.v%d" % version)
    m = fd.message_type.add(name="Reading")
    field(m, "id", 1, F.TYPE_INT64)
    field(m, "sensor", 2, F.TYPE_STRING)
    if version < 3:
        field(m, "legacy", 3, F.TYPE_STRING)
    else:
        m.reserved_range.add(start=3, end=4)
        m.reserved_name.append("legacy")
    if version >= 2:
        field(m, "unit", 4, F.TYPE_STRING)
    POOL.Add(fd)
    return message_factory.GetMessageClass(
        POOL.FindMessageTypeByName("io.strait.interop.v%d.Reading" % version)
    )


def evolve(bootstrap, registry, topic):
    sr = SchemaRegistryClient({"url": registry})
    subject = topic + "-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    p = producer(bootstrap)
    records, ids = [], {}
    counts = {1: 7, 2: 4, 3: 5}
    for version in (1, 2, 3):
        cls = reading_class(version)
        ser = ProtobufSerializer(cls, sr, {"use.deprecated.format": False})
        for _ in range(counts[version]):
            i = len(records)
            msg = cls(id=i, sensor="s-%d" % i)
            rec = {"id": i, "sensor": "s-%d" % i}
            if version < 3:
                msg.legacy = rec["legacy"] = "old-%d" % i
            if version >= 2:
                msg.unit = rec["unit"] = "kelvin" if i % 2 else "celsius"
            ids[version] = deliver(p, topic, ser(msg, ctx))
            records.append({"version": version, "value": rec})
        if p.flush(60) != 0:
            raise SystemExit("records not delivered")
        if version == 1:
            sr.set_compatibility(subject, "BACKWARD")
    # Incompatible under BACKWARD: field 2 changes its type from string to int64. The
    # registry must refuse it and the subject keep three versions.
    bad = descriptor_pb2.FileDescriptorProto()
    reading_class(3).DESCRIPTOR.file.CopyToProto(bad)
    bad.message_type[0].field[1].type = F.TYPE_INT64
    refused = None
    try:
        sr.register_schema(
            subject,
            Schema(base64.standard_b64encode(bad.SerializeToString()).decode("ascii"), "PROTOBUF"),
        )
    except SchemaRegistryError as e:
        refused = {"status": e.http_status_code, "message": e.error_message}
    versions = sr.get_versions(subject)
    return {
        "records": records,
        "ids": {str(k): v for k, v in ids.items()},
        "subject_versions": versions,
        "version_ids": [sr.get_version(subject, v).schema_id for v in versions],
        "compatibility": sr.get_compatibility(subject),
        "refused": refused,
    }


def main():
    cmd, bootstrap, registry, topic = sys.argv[1:5]
    if cmd == "produce":
        out = produce(bootstrap, registry, topic, int(sys.argv[5]))
    elif cmd == "consume":
        out = consume(bootstrap, registry, topic, int(sys.argv[5]))
    elif cmd == "evolve":
        out = evolve(bootstrap, registry, topic)
    else:
        raise SystemExit("unknown command " + cmd)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
