"""Confluent's Python client (confluent-kafka 2.16.1, `confluent_kafka.schema_registry.avro`)
on the other end of Strait's AvroConverter; driven by tests/standalone/avro_interop.rs, which
writes this file into a temporary directory and runs it with the interpreter of
`cargo xtask py-clients` (STRAIT_TEST_PYTHON).

    avro_interop.py produce  BOOTSTRAP REGISTRY TOPIC N
    avro_interop.py consume  BOOTSTRAP REGISTRY TOPIC N
    avro_interop.py evolve   BOOTSTRAP REGISTRY TOPIC
    avro_interop.py levels   BOOTSTRAP REGISTRY TOPIC_PREFIX

Each prints one JSON document on stdout: what it wrote or read, in plain JSON (decimals as
unscaled integers, timestamps as epoch milliseconds, dates as epoch days, times as
milliseconds of the day, bytes as hex), for the test to
compare with what Strait made of it.
"""

import datetime
import decimal
import json
import sys

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

SUITS = ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"]

# One field per Avro type the brief names: long, string, optional string, double, boolean, enum,
# array, map, decimal (bytes), timestamp-millis, date.
ALL_TYPES = {
    "type": "record",
    "name": "Payment",
    "namespace": "io.strait.interop",
    "doc": "A payment, written by confluent-kafka's AvroSerializer.",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "amount", "type": "double"},
        {"name": "active", "type": "boolean"},
        {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": SUITS}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        },
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        # Beyond the brief's list: the remaining primitives, time-millis and a nested record.
        {"name": "count", "type": "int"},
        {"name": "ratio", "type": "float"},
        {"name": "blob", "type": "bytes"},
        {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
        {
            "name": "address",
            "type": {
                "type": "record",
                "name": "Address",
                "fields": [
                    {"name": "city", "type": "string"},
                    {"name": "zip", "type": ["null", "int"], "default": None},
                ],
            },
        },
    ],
}

EPOCH_DAY = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def producer(bootstrap):
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})


def deliver(p, topic, value):
    """Produce `value`; its schema id (Confluent's wire format: magic byte, 4-byte id)."""
    p.produce(topic, value=value)
    p.poll(0)
    return int.from_bytes(value[1:5], "big")


def payment(i):
    # Values on both sides of the epoch; doubles that are exact in binary, so the JSON text is
    # not what is being compared.
    ts = datetime.datetime(1969, 12, 31, 22, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        milliseconds=i * 3_600_123
    )
    day = datetime.date(1969, 12, 25) + datetime.timedelta(days=i * 3)
    price = decimal.Decimal(i * 12_345 - 99_999).scaleb(-2)
    return {
        "id": i * 1_000_003 - 5 if i % 5 else -(2**62) + i,
        "name": "né-%d 🚀 \"quoted\"" % i if i % 2 else "",
        "note": None if i % 3 == 0 else "note %d" % i,
        "amount": i * 1.25 - 3.5 + i / 1024,
        "active": i % 2 == 0,
        "suit": SUITS[i % 4],
        "tags": ["t%d" % j for j in range(i % 3)],
        "attrs": {"k%d" % j: j * i - 7 for j in range(i % 4)},
        "price": price,
        "ts": ts,
        "day": day,
        "count": -(2**31) + i if i % 7 == 0 else i * 7,
        "ratio": i / 8 - 2.0,
        "blob": bytes(range(i % 5)) + b"\xff" * (i % 2),
        "at": datetime.time(i % 24, (i * 7) % 60, (i * 13) % 60, (i * 1000) % 1_000_000),
        "address": {"city": "City_%d" % i, "zip": None if i % 4 == 1 else 10_000 + i},
    }


def plain(rec):
    out = dict(rec)
    out["price"] = int(rec["price"].scaleb(2))
    delta = rec["ts"] - EPOCH
    out["ts"] = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    out["day"] = (rec["day"] - EPOCH_DAY).days
    out["blob"] = rec["blob"].hex()
    at = rec["at"]
    out["at"] = ((at.hour * 60 + at.minute) * 60 + at.second) * 1000 + at.microsecond // 1000
    return out


def produce(bootstrap, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    ser = AvroSerializer(sr, json.dumps(ALL_TYPES))
    p = producer(bootstrap)
    ctx = SerializationContext(topic, MessageField.VALUE)
    records, ids = [], set()
    for i in range(n):
        rec = payment(i)
        ids.add(deliver(p, topic, ser(rec, ctx)))
        records.append(plain(rec))
    if p.flush(60) != 0:
        raise SystemExit("records not delivered")
    return {"records": records, "ids": sorted(ids)}


def consume(bootstrap, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    de = AvroDeserializer(sr)
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": topic + "-python",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe([topic])
    records, ids = [], []
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
        records.append(de(m.value(), ctx))
    c.close()
    subject = topic + "-value"
    latest = sr.get_latest_version(subject)
    return {
        "records": records,
        "ids": sorted(set(ids)),
        "subject_versions": sr.get_versions(subject),
        "latest_id": latest.schema_id,
        "schema": json.loads(latest.schema.schema_str),
    }


def reading(version):
    """Version 1: id, sensor, legacy. 2 adds `unit` with a default (BACKWARD-compatible). 3
    removes `legacy` (also BACKWARD-compatible: a v3 reader ignores it in old data)."""
    fields = [{"name": "id", "type": "long"}, {"name": "sensor", "type": "string"}]
    if version < 3:
        fields.append({"name": "legacy", "type": "string"})
    if version >= 2:
        fields.append({"name": "unit", "type": "string", "default": "celsius"})
    return json.dumps(
        {"type": "record", "name": "Reading", "namespace": "io.strait.interop", "fields": fields}
    )


def evolve(bootstrap, registry, topic):
    sr = SchemaRegistryClient({"url": registry})
    subject = topic + "-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    p = producer(bootstrap)
    records, ids = [], {}
    counts = {1: 7, 2: 4, 3: 5}
    for version in (1, 2, 3):
        ser = AvroSerializer(sr, reading(version))
        for _ in range(counts[version]):
            i = len(records)
            rec = {"id": i, "sensor": "s-%d" % i}
            if version < 3:
                rec["legacy"] = "old-%d" % i
            if version >= 2:
                rec["unit"] = "kelvin" if i % 2 else "celsius"
            ids[version] = deliver(p, topic, ser(rec, ctx))
            records.append({"version": version, "value": rec})
        if p.flush(60) != 0:
            raise SystemExit("records not delivered")
        if version == 1:
            # BACKWARD for this subject only, once it exists (the global level stays as it is).
            sr.set_compatibility(subject, "BACKWARD")
    # Incompatible under BACKWARD: a new field without a default (a v4 reader could not read
    # v3 data). The registry must refuse it and the subject keep three versions.
    bad = json.loads(reading(3))
    bad["fields"].append({"name": "mandatory", "type": "long"})
    refused = None
    try:
        sr.register_schema(subject, Schema(json.dumps(bad), "AVRO"))
    except SchemaRegistryError as e:
        refused = {"status": e.http_status_code, "message": e.error_message}
    versions = sr.get_versions(subject)
    return {
        "records": records,
        "ids": {str(k): v for k, v in ids.items()},
        "subject_versions": versions,
        # What the registry holds under each version (get_latest_version is cached by the
        # client, get_version is keyed by the version).
        "version_ids": [sr.get_version(subject, v).schema_id for v in versions],
        "compatibility": sr.get_compatibility(subject),
        "refused": refused,
    }


LEVELS = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]


def full_reading(version):
    """Like `reading`, but `legacy` has a default, so every step (v2 adds `unit` with a default,
    v3 removes `legacy`) is FULL_TRANSITIVE-compatible and every level accepts it."""
    fields = [{"name": "id", "type": "long"}, {"name": "sensor", "type": "string"}]
    if version < 3:
        fields.append({"name": "legacy", "type": "string", "default": "none"})
    if version >= 2:
        fields.append({"name": "unit", "type": "string", "default": "celsius"})
    return {"type": "record", "name": "Reading", "namespace": "io.strait.interop", "fields": fields}


def levels(bootstrap, registry, prefix):
    """Per compatibility level, a topic `<prefix>-<level>`: the level set on its subject, then
    two records of each of three versions; then three probes the registry must judge by the
    level (`test_compatibility_all_versions`: the same check as registering; nothing
    registered): a new field without a default (breaks BACKWARD), `sensor` removed (it has no
    default: breaks FORWARD)."""
    sr = SchemaRegistryClient({"url": registry})
    p = producer(bootstrap)
    out = {}
    for level in LEVELS:
        topic = "%s-%s" % (prefix, level.lower().replace("_", "-"))
        subject = topic + "-value"
        ctx = SerializationContext(topic, MessageField.VALUE)
        records = []
        for version in (1, 2, 3):
            ser = AvroSerializer(sr, json.dumps(full_reading(version)))
            for _ in range(2):
                i = len(records)
                rec = {"id": i, "sensor": "%s-%d" % (level, i)}
                if version < 3:
                    rec["legacy"] = "old-%d" % i
                if version >= 2:
                    rec["unit"] = "kelvin"
                deliver(p, topic, ser(rec, ctx))
                records.append({"version": version, "value": rec})
            if p.flush(60) != 0:
                raise SystemExit("records not delivered")
            if version == 1:
                sr.set_compatibility(subject, level)
        v3 = full_reading(3)
        add_required = json.loads(json.dumps(v3))
        add_required["fields"].append({"name": "mandatory", "type": "long"})
        no_sensor = json.loads(json.dumps(v3))
        no_sensor["fields"] = [f for f in no_sensor["fields"] if f["name"] != "sensor"]
        probe = lambda schema: sr.test_compatibility_all_versions(
            subject, Schema(json.dumps(schema), "AVRO")
        )
        out[level] = {
            "topic": topic,
            "records": records,
            "versions": sr.get_versions(subject),
            "compatibility": sr.get_compatibility(subject),
            "add_required": probe(add_required),
            "remove_required": probe(no_sensor),
        }
    return out


def main():
    cmd, bootstrap, registry, topic = sys.argv[1:5]
    if cmd == "produce":
        out = produce(bootstrap, registry, topic, int(sys.argv[5]))
    elif cmd == "consume":
        out = consume(bootstrap, registry, topic, int(sys.argv[5]))
    elif cmd == "evolve":
        out = evolve(bootstrap, registry, topic)
    elif cmd == "levels":
        out = levels(bootstrap, registry, topic)
    else:
        raise SystemExit("unknown command " + cmd)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
