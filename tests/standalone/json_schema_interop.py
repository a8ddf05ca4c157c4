"""Confluent's Python client (confluent-kafka 2.16.1, `confluent_kafka.schema_registry.json_schema`)
on the other end of Strait's JsonSchemaConverter; driven by tests/standalone/json_schema_interop.rs,
which writes this file into a temporary directory and runs it with the interpreter of
`cargo xtask py-clients` (STRAIT_TEST_PYTHON).

    json_schema_interop.py produce  BOOTSTRAP REGISTRY TOPIC N
    json_schema_interop.py consume  BOOTSTRAP REGISTRY TOPIC N
    json_schema_interop.py evolve   BOOTSTRAP REGISTRY TOPIC

Each prints one JSON document on stdout: what it wrote or read, in plain JSON (decimals as
unscaled integers, bytes as hex), for the test to compare with what Strait made of it.
"""

import base64
import datetime
import json
import sys

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SUITS = ["SPADES", "HEARTS", "DIAMONDS", "CLUBS"]


def optional(schema):
    return {"oneOf": [{"type": "null"}, schema]}


# A JSON Schema as a Python user writes it, with the `connect.*`/`title` annotations
# JsonSchemaData reads for the Connect types plain JSON Schema has no word for (int32, float32,
# bytes, map, Decimal, Timestamp, Date). Property order is document order.
ALL_TYPES = {
    "title": "io.strait.interop.Payment",
    "description": "A payment, written by confluent-kafka's JSONSerializer.",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "note": optional({"type": "string"}),
        "amount": {"type": "number"},
        "active": {"type": "boolean"},
        "suit": {"type": "string", "enum": SUITS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "attrs": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "connect.type": "map",
        },
        "price": {
            "type": "string",
            "title": "org.apache.kafka.connect.data.Decimal",
            "connect.type": "bytes",
            "connect.parameters": {"scale": "2"},
        },
        "ts": {
            "type": "integer",
            "title": "org.apache.kafka.connect.data.Timestamp",
            "connect.type": "int64",
        },
        "day": {
            "type": "integer",
            "title": "org.apache.kafka.connect.data.Date",
            "connect.type": "int32",
        },
        "count": {"type": "integer", "connect.type": "int32"},
        "ratio": {"type": "number", "connect.type": "float32"},
        "blob": {"type": "string", "connect.type": "bytes"},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": optional({"type": "integer"})},
            "required": ["city", "zip"],
        },
    },
    "required": [
        "id", "name", "note", "amount", "active", "suit", "tags", "attrs", "price", "ts",
        "day", "count", "ratio", "blob", "address",
    ],
}


def producer(bootstrap):
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})


def deliver(p, topic, value):
    """Produce `value`; its schema id (Confluent's wire format: magic byte, 4-byte id)."""
    p.produce(topic, value=value)
    p.poll(0)
    return int.from_bytes(value[1:5], "big")


def decimal_bytes(unscaled):
    """Connect's Decimal bytes: the unscaled value, big-endian two's complement, minimal."""
    n = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return unscaled.to_bytes(n, "big", signed=True)


def payment(i):
    """(the JSON value the serializer gets, the plain form the test compares)."""
    unscaled = i * 12_345 - 99_999
    blob = bytes(range(i % 5)) + b"\xff" * (i % 2)
    rec = {
        "id": i * 1_000_003 - 5 if i % 5 else -(2**62) + i,
        "name": "né-%d 🚀 \"quoted\"" % i if i % 2 else "",
        "note": None if i % 3 == 0 else "note %d" % i,
        "amount": i * 1.25 - 3.5 + i / 1024,
        "active": i % 2 == 0,
        "suit": SUITS[i % 4],
        "tags": ["t%d" % j for j in range(i % 3)],
        "attrs": {"k%d" % j: j * i - 7 for j in range(i % 4)},
        "price": base64.b64encode(decimal_bytes(unscaled)).decode(),
        "ts": -7_200_000 + i * 3_600_123,
        "day": -7 + i * 3,
        "count": -(2**31) + i if i % 7 == 0 else i * 7,
        "ratio": i / 8 - 2.0,
        "blob": base64.b64encode(blob).decode(),
        "address": {"city": "City_%d" % i, "zip": None if i % 4 == 1 else 10_000 + i},
    }
    plain = dict(rec)
    plain["price"] = unscaled
    plain["blob"] = blob.hex()
    return rec, plain


def produce(bootstrap, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    ser = JSONSerializer(json.dumps(ALL_TYPES), sr)
    p = producer(bootstrap)
    ctx = SerializationContext(topic, MessageField.VALUE)
    records, ids = [], set()
    for i in range(n):
        rec, plain = payment(i)
        ids.add(deliver(p, topic, ser(rec, ctx)))
        records.append(plain)
    if p.flush(60) != 0:
        raise SystemExit("records not delivered")
    return {"records": records, "ids": sorted(ids)}


def consume(bootstrap, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    # No reader schema: the writer's, fetched by id; the deserializer validates every record
    # against it.
    de = JSONDeserializer(None, schema_registry_client=sr)
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


def reading(version, extra=None):
    """Version 1: id, sensor, legacy, closed (additionalProperties false). 2 adds `unit` with a
    default (BACKWARD-compatible for a closed model). 3 removes `legacy` and opens the model
    (BACKWARD-compatible: a v3 reader takes `legacy` in old data as an additional property)."""
    props = {
        "id": {"type": "integer"},
        "sensor": {"type": "string"},
    }
    if version < 3:
        props["legacy"] = {"type": "string"}
    if version >= 2:
        props["unit"] = {"type": "string", "default": "celsius"}
    props.update(extra or {})
    return json.dumps(
        {
            "title": "io.strait.interop.Reading",
            "type": "object",
            "properties": props,
            "required": [k for k in props if k != "unit"],
            "additionalProperties": version >= 3,
        }
    )


def evolve(bootstrap, registry, topic):
    sr = SchemaRegistryClient({"url": registry})
    subject = topic + "-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    p = producer(bootstrap)
    records, ids = [], {}
    counts = {1: 7, 2: 4, 3: 5}
    for version in (1, 2, 3):
        ser = JSONSerializer(reading(version), sr)
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
    # Incompatible under BACKWARD: a new required property (a v4 reader could not read v3
    # data). The registry must refuse it and the subject keep three versions.
    refused = None
    try:
        bad = reading(3, {"mandatory": {"type": "integer"}})
        sr.register_schema(subject, Schema(bad, "JSON"))
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
