"""Telephony usage from Kafka, end to end, exactly once.

Scenario (setUpClass):
  1. mock_kafka_broker (its own process) with billing.events.v1 (4
     partitions) and billing.usage.v1 (3 partitions).
  2. billingd --kafka_brokers=<bootstrap>: it consumes billing.usage.v1.
  3. Through grpcio: customer u-kafka, entity A, account ACC1 with numbers
     N1 (+33142680000) and N2 (+33142680001), rate plan PRO on ACC1 (voice
     to +33: 0.020000 EUR/min, first minute then per second, set-up 0.05).
  4. First burst: protobuf records produced by Python's confluent-kafka, JSON
     lines by kcat (-K: -l FILE), including duplicates (the same platform
     record ids again, in either format), a record for an unknown number and
     a malformed message. Bounded loop on GetUsageTotals until the totals
     settle.
  5. Second burst (protobuf, with more duplicates): billingd is killed with
     SIGKILL while it is ingesting it, restarted on the same data directory,
     and the totals settle again.
The cases check the exact totals (computed here from the records, with the
rating rule of docs/usage.md), that duplicates are not billed, the unknown
number and the malformed message in ListQuarantine with their Kafka source,
and that the kill lost or doubled nothing.
"""

import itertools
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

import grpc
from confluent_kafka import Consumer, Producer, TopicPartition

import e2e_support as e2e

customer_pb2, customer_service_pb2, customer_service_grpc = e2e.import_stubs()
# import_stubs put BILLING_PY_STUBS on sys.path.
from billing.v1 import structure_pb2 as spb  # noqa: E402
from billing.v1 import structure_service_pb2 as sspb  # noqa: E402
from billing.v1 import structure_service_pb2_grpc as ssgrpc  # noqa: E402
from billing.v1 import usage_pb2 as upb  # noqa: E402
from billing.v1 import usage_service_pb2 as uspb  # noqa: E402
from billing.v1 import usage_service_pb2_grpc as usgrpc  # noqa: E402

EVENTS_TOPIC = "billing.events.v1"
USAGE_TOPIC = "billing.usage.v1"
USAGE_PARTITIONS = 3
CUSTOMER = "u-kafka"
NUMBERS = {"N1": "+33142680000", "N2": "+33142680001"}
UNKNOWN_NUMBER = "+33999999999"
MALFORMED = b"this is neither protobuf nor JSON"
START = "2026-03-20T10:00:00+01:00"
MONTH = "2026-03"
# Records of the bursts.
FIRST_PROTO = 200
FIRST_JSON = 100
SECOND_PROTO = 6000
# SIGKILL once this many records of the second burst are billed.
KILL_AFTER = 1500
# Records a second of the second burst: about 4 s for the 6,300 records,
# so the kill comes while they are still coming.
SECOND_RATE = 1500
# Bound of every wait for the totals to settle, of a kcat run, of a flush.
SETTLE_TIMEOUT_S = 120.0
KCAT_TIMEOUT_S = 60.0
FLUSH_TIMEOUT_S = 60.0
TIMEOUT = e2e.CALL_TIMEOUT_S

_keys = itertools.count(1)


def new_key():
    return f"e2e-usage-kafka-{next(_keys)}"


def seconds_of(record_id):
    """A deterministic call length, 0 to 239 s, from the record id."""
    return sum(record_id.encode()) % 240


def amount_micros(seconds):
    """The plan's rating: 0 s costs nothing; else at least 60 s then per
    second, 0.020000 per 60 s rounded half up to the micro, plus 0.05."""
    if seconds == 0:
        return 0, 0
    billed = max(60, seconds)
    return billed, 50000 + (2 * billed * 20000 + 60) // 120


def record(record_id, object_name, seconds=None):
    return upb.UsageRecord(
        platform_id="PBX1", record_id=record_id,
        object=NUMBERS.get(object_name, object_name), start_time=START,
        kind=upb.USAGE_KIND_VOICE,
        quantity=seconds_of(record_id) if seconds is None else seconds,
        destination="+33612345678")


def json_line(r):
    """kcat -K: line: the number as key, one JSON object as value."""
    value = {"platform_id": r.platform_id, "record_id": r.record_id,
             "object": r.object, "start_time": r.start_time,
             "kind": "USAGE_KIND_VOICE", "quantity": r.quantity,
             "destination": r.destination}
    return f"{r.object}:{json.dumps(value, separators=(',', ':'))}\n"


def expected_totals(records):
    """{object_id: (records, quantity, billed, amount)} of the distinct
    records (by record id; the first one sent wins, as billing does)."""
    seen, totals = set(), {}
    for object_id, r in records:
        if r.record_id in seen:
            continue
        seen.add(r.record_id)
        billed, amount = amount_micros(r.quantity)
        n, q, b, a = totals.get(object_id, (0, 0, 0, 0))
        totals[object_id] = (n + 1, q + r.quantity, b + billed, a + amount)
    return totals


class UsageKafkaE2eTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-usage-kafka-")
        cls.data_dir = os.path.join(cls.workdir, "data")
        cls.broker = None
        cls.daemon = None
        cls.channel = None
        try:
            cls._run_scenario()
        except BaseException:
            cls._cleanup()
            raise

    # -- processes and stubs ------------------------------------------------

    @classmethod
    def _start_billingd(cls):
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir,
                                  kafka_brokers=cls.broker.bootstrap_servers,
                                  extra_flags=[f"--usage_topic={USAGE_TOPIC}"])
        cls.channel = e2e.connect(grpc, cls.daemon)
        cls.customers = customer_service_grpc.CustomerServiceStub(cls.channel)
        cls.structure = ssgrpc.BillingStructureServiceStub(cls.channel)
        cls.usage = usgrpc.UsageServiceStub(cls.channel)

    @classmethod
    def _totals(cls):
        """{object_id: (records, quantity, billed, amount)} of MONTH."""
        out = {}
        for t in cls.usage.GetUsageTotals(
                uspb.GetUsageTotalsRequest(customer_id=CUSTOMER, month=MONTH),
                timeout=TIMEOUT).totals:
            n, q, b, a = out.get(t.object_id, (0, 0, 0, 0))
            out[t.object_id] = (n + t.records, q + t.quantity,
                                b + t.billed_quantity, a + t.amount_micros)
        return out

    @classmethod
    def _records_billed(cls):
        return sum(v[0] for v in cls._totals().values())

    @classmethod
    def _settle(cls, records_expected, what):
        """Bounded loop on GetUsageTotals until `records_expected` records
        are billed; returns how many calls it took."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        calls = 0
        while time.monotonic() < deadline:
            calls += 1
            billed = cls._records_billed()
            if billed >= records_expected:
                return calls
        raise TimeoutError(
            f"{what}: {cls._records_billed()} of {records_expected} records "
            f"billed within {SETTLE_TIMEOUT_S}s; {cls.daemon.describe()}")

    @classmethod
    def _settle_quarantine(cls, inputs_expected, what):
        """Bounded loop on ListQuarantine until it holds that many inputs."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            held = cls.usage.ListQuarantine(uspb.ListQuarantineRequest(),
                                            timeout=TIMEOUT).inputs
            if len(held) >= inputs_expected:
                return
        raise TimeoutError(f"{what}: quarantine holds {len(held)} of "
                           f"{inputs_expected} inputs within "
                           f"{SETTLE_TIMEOUT_S}s")

    @classmethod
    def _produce_protobuf(cls, records, rate=None):
        """confluent-kafka, keyed by the record's object; waits for every
        delivery report. With `rate`, record i is produced no sooner than
        i / rate seconds after the first (a load generator's pacing)."""
        failures = []

        def report(err, msg):
            if err is not None:
                failures.append(err)

        p = Producer({"bootstrap.servers": cls.broker.bootstrap_servers,
                      "enable.idempotence": True, "linger.ms": 5})
        t0 = time.monotonic()
        for i, r in enumerate(records):
            if rate is not None:
                due = t0 + i / rate
                if due > time.monotonic():
                    p.poll(0)
                    time.sleep(max(0.0, due - time.monotonic()))
            p.produce(USAGE_TOPIC, key=r.object.encode(),
                      value=r.SerializeToString(), on_delivery=report)
            p.poll(0)
        left = p.flush(FLUSH_TIMEOUT_S)
        if left or failures:
            raise AssertionError(f"confluent-kafka: {left} undelivered, "
                                 f"failures {failures[:3]}")

    @classmethod
    def _produce_kcat(cls, lines, name):
        path = os.path.join(cls.workdir, name)
        with open(path, "w") as f:
            f.write("".join(lines))
        r = subprocess.run(
            [e2e.kcat_path(), "-P", "-b", cls.broker.bootstrap_servers,
             "-t", USAGE_TOPIC, "-K:", "-l", path],
            capture_output=True, text=True, timeout=KCAT_TIMEOUT_S,
            stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise AssertionError(f"kcat exited {r.returncode}: {r.stderr}")

    # -- the scenario ---------------------------------------------------------

    @classmethod
    def _given_customer_with_plan(cls):
        cls.customers.CreateCustomer(
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key=new_key(), business_date="2026-01-02",
                customer=customer_pb2.Customer(customer_id=CUSTOMER,
                                               name="Usage over Kafka")),
            timeout=TIMEOUT)
        cls.structure.CreateBillingEntity(
            sspb.CreateBillingEntityRequest(
                idempotency_key=new_key(), business_date="2026-01-02",
                customer_id=CUSTOMER,
                entity=spb.BillingEntity(entity_id="A", name="Paris")),
            timeout=TIMEOUT)
        cls.structure.CreateObject(
            sspb.CreateObjectRequest(
                idempotency_key=new_key(), business_date="2026-01-15",
                customer_id=CUSTOMER,
                object=spb.BillableObject(object_id="ACC1",
                                          kind=spb.OBJECT_KIND_ACCOUNT)),
            timeout=TIMEOUT)
        for object_id, e164 in NUMBERS.items():
            cls.structure.CreateObject(
                sspb.CreateObjectRequest(
                    idempotency_key=new_key(), business_date="2026-01-15",
                    customer_id=CUSTOMER,
                    object=spb.BillableObject(
                        object_id=object_id,
                        kind=spb.OBJECT_KIND_PHONE_NUMBER,
                        parent_id="ACC1", e164=e164)),
                timeout=TIMEOUT)
        cls.usage.DefineRatePlanVersion(
            uspb.DefineRatePlanVersionRequest(
                idempotency_key=new_key(), customer_id=CUSTOMER,
                version=upb.RatePlanVersion(
                    plan_id="PRO", effective_from="2026-01-01T00:00:00+01:00",
                    currency="EUR",
                    entries=[upb.RateEntry(
                        kind=upb.USAGE_KIND_VOICE, destination_prefix="+33",
                        price_micros=20000, per_quantity=60,
                        setup_fee_micros=50000, first_increment=60,
                        increment=1, zone_label="France")])),
            timeout=TIMEOUT)
        cls.usage.AssignRatePlan(
            uspb.AssignRatePlanRequest(
                idempotency_key=new_key(), customer_id=CUSTOMER,
                object_id="ACC1", plan_id="PRO"),
            timeout=TIMEOUT)

    @classmethod
    def _run_scenario(cls):
        cls.broker = e2e.MockKafkaBroker(
            cls.workdir, topics=[f"{EVENTS_TOPIC}:4",
                                 f"{USAGE_TOPIC}:{USAGE_PARTITIONS}"])
        print(f"\nusage_kafka_e2e: broker {cls.broker.bootstrap_servers}",
              flush=True)
        cls._start_billingd()
        cls._given_customer_with_plan()

        # First burst. (object_id, record) of every record sent, in order.
        sent = []
        # The issue's call: 61 s -> 0.070333.
        proto = [("N1", record("ISSUE-61", "N1", 61))]
        proto += [(f"N{1 + i % 2}", record(f"P{i}", f"N{1 + i % 2}"))
                  for i in range(FIRST_PROTO)]
        as_json = [(f"N{1 + i % 2}", record(f"J{i}", f"N{1 + i % 2}"))
                   for i in range(FIRST_JSON)]
        # Duplicates in the other format: P0..P19 as JSON, J0..J9 as
        # protobuf.
        json_dups = proto[1:21]
        proto_dups = as_json[:10]
        cls._produce_protobuf([r for _, r in proto + proto_dups])
        cls._produce_kcat(
            [json_line(r) for _, r in as_json + json_dups] +
            [json_line(record("X1", UNKNOWN_NUMBER, 30)),
             f"{NUMBERS['N1']}:{MALFORMED.decode()}\n"],
            "first-burst.jsonl")
        sent += proto + proto_dups + as_json + json_dups
        cls.first_sent = list(sent)
        cls.first_expected = expected_totals(sent)
        first_distinct = sum(v[0] for v in cls.first_expected.values())
        cls._settle(first_distinct, "first burst")
        cls._settle_quarantine(2, "first burst")
        cls.first_totals = cls._totals()
        cls.issue_record = [
            r for r in cls.usage.ListRatedUsage(
                uspb.ListRatedUsageRequest(customer_id=CUSTOMER, month=MONTH,
                                           object_id="N1", limit=10000),
                timeout=TIMEOUT).records
            if r.record.record_id == "ISSUE-61"]
        cls.first_quarantine = cls.usage.ListQuarantine(
            uspb.ListQuarantineRequest(), timeout=TIMEOUT)

        # Second burst, with 300 duplicates of the first; SIGKILL while it
        # is being ingested.
        second = [(f"N{1 + i % 2}", record(f"B{i}", f"N{1 + i % 2}"))
                  for i in range(SECOND_PROTO)]
        dups = cls.first_sent[:300]
        burst = []
        for i, item in enumerate(second):
            burst.append(item)
            if i % 12 == 0 and dups:
                burst.append(dups.pop())
        burst += [(o, r) for o, r in dups]
        # Paced, so that billingd, however fast, is killed while records
        # are still coming (the rest are produced while it is down).
        producer_error = []

        def produce_burst():
            try:
                cls._produce_protobuf([r for _, r in burst],
                                      rate=SECOND_RATE)
            except Exception as e:  # reported after the join
                producer_error.append(e)

        producer = threading.Thread(target=produce_burst)
        producer.start()
        sent += burst
        cls.expected = expected_totals(sent)
        total_distinct = sum(v[0] for v in cls.expected.values())
        cls.billed_at_kill = None
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline and not producer_error:
            billed = cls._records_billed()
            if billed >= first_distinct + KILL_AFTER:
                cls.billed_at_kill = billed
                break
        cls.channel.close()
        cls.channel = None
        cls.daemon.kill9()
        producer.join(SETTLE_TIMEOUT_S)
        if producer.is_alive() or producer_error:
            raise AssertionError(f"second burst not produced: "
                                 f"{producer_error[:1]}")
        cls.killed_stderr = cls.daemon.stderr_text()
        cls.daemon.close()
        print(f"usage_kafka_e2e: SIGKILL with {cls.billed_at_kill} of "
              f"{total_distinct} records billed", flush=True)

        cls._start_billingd()
        cls._settle(total_distinct, "after the restart")
        cls.final_totals = cls._totals()
        cls.restart_stderr = cls.daemon.stderr_text()
        cls.final_quarantine = cls.usage.ListQuarantine(
            uspb.ListQuarantineRequest(), timeout=TIMEOUT)
        cls.total_distinct = total_distinct

    @classmethod
    def _cleanup(cls):
        if cls.channel is not None:
            cls.channel.close()
        if cls.daemon is not None:
            cls.daemon.close()
        if cls.broker is not None:
            cls.broker.close()

    @classmethod
    def tearDownClass(cls):
        try:
            channel, cls.channel = cls.channel, None
            e2e.stop_billingd(cls.daemon, channel)
            e2e.stop_broker(cls.broker)
        finally:
            cls._cleanup()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- cases ----------------------------------------------------------------

    def test_issue_call_is_rated_0_070333(self):
        self.assertEqual(len(self.issue_record), 1)
        rated = self.issue_record[0].rated
        self.assertEqual(rated.billed_quantity, 61)
        self.assertEqual(rated.amount_micros, 70333)

    def test_first_burst_totals_are_exact_and_duplicates_not_billed(self):
        self.assertEqual(self.first_totals, self.first_expected)
        sent = len(self.first_sent)
        distinct = sum(v[0] for v in self.first_expected.values())
        self.assertEqual(sent - distinct, 30, "30 duplicates were sent")
        self.assertEqual(distinct, 1 + FIRST_PROTO + FIRST_JSON)

    def test_unknown_number_and_malformed_message_are_quarantined(self):
        inputs = list(self.first_quarantine.inputs)
        self.assertEqual(len(inputs), 2, inputs)
        by_raw = {i.input.raw: i.input for i in inputs}
        self.assertIn(MALFORMED, by_raw)
        unknown = [i.input for i in inputs if i.input.record.record_id == "X1"]
        self.assertEqual(len(unknown), 1)
        self.assertEqual(unknown[0].record.object, UNKNOWN_NUMBER)
        self.assertIn(UNKNOWN_NUMBER, unknown[0].reason)
        for i in inputs:
            # kafka:<topic>/<partition>/<offset>
            prefix, partition, offset = i.input.source.rsplit("/", 2)
            self.assertEqual(prefix, f"kafka:{USAGE_TOPIC}")
            self.assertIn(int(partition), range(USAGE_PARTITIONS))
            self.assertGreaterEqual(int(offset), 0)
            self.assertNotEqual(i.input.reason, "")

    def test_kill9_mid_burst_then_restart_loses_and_doubles_nothing(self):
        self.assertIsNotNone(self.billed_at_kill,
                             "no progress seen before the kill")
        self.assertLess(self.billed_at_kill, self.total_distinct,
                        "the kill came after the whole burst was billed")
        self.assertEqual(self.final_totals, self.expected)
        self.assertEqual(self._records_billed(), self.total_distinct)

    def test_restart_resumes_from_the_offsets_in_the_state(self):
        # "usage consumer T: consuming 3 partitions from 0@0 (earliest),
        # 1@790, 2@543": every partition that holds records resumes at an
        # offset stored in the state, inside the log.
        starts = [l for l in self.restart_stderr.splitlines()
                  if f"usage consumer {USAGE_TOPIC}: consuming" in l]
        self.assertEqual(len(starts), 1, self.restart_stderr)
        entries = starts[0].split(" from ", 1)[1].split(", ")
        self.assertEqual(len(entries), USAGE_PARTITIONS, starts[0])
        consumer = Consumer({"bootstrap.servers":
                             self.broker.bootstrap_servers,
                             "group.id": "e2e-usage-watermarks"})
        try:
            for entry in entries:
                partition, rest = entry.split("@", 1)
                offset = int(rest.split(" ", 1)[0])
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(USAGE_TOPIC, int(partition)),
                    timeout=TIMEOUT)
                if high > 0:
                    self.assertNotIn("earliest", entry)
                    self.assertGreater(offset, 0, entry)
                    self.assertLessEqual(offset, high, entry)
        finally:
            consumer.close()

    def test_quarantine_is_not_doubled_by_the_restart(self):
        self.assertEqual(
            sorted(i.input.source for i in self.final_quarantine.inputs),
            sorted(i.input.source for i in self.first_quarantine.inputs))

    def test_totals_stay_settled(self):
        # Nothing else arrives later (no redelivery billed twice).
        self.assertEqual(self._totals(), self.expected)


if __name__ == "__main__":
    unittest.main(verbosity=2)
