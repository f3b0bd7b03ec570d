"""Usage on the embedded default, end to end.

billingd runs on the embedded journal; Python grpcio (a client we did not
write) streams call detail records into UsageService.IngestUsage, billingctl
imports a JSON Lines file, and the totals are read back. Numbers from the
issue: a 61 s call at 0.020000 EUR/min, per second after the first minute,
set-up 0.05 -> 0.070333 EUR (70333 micros).

Cases: rating and totals; duplicates counted, not billed; a record for an
unknown number quarantined, then rated once after the number exists and the
quarantine is replayed; 5,000 records with 10 % duplicates, shuffled, give
the totals of the clean set; kill -9 of billingd in the middle of a stream,
restart, send everything again: the same totals, nothing lost or doubled.
"""

import os
import random
import shutil
import subprocess
import threading
import time
import unittest

import grpc

import e2e_support as e2e

customer_pb2, customer_service_pb2, customer_service_grpc = e2e.import_stubs()
from billing.v1 import structure_pb2 as spb  # noqa: E402
from billing.v1 import structure_service_pb2 as sspb  # noqa: E402
from billing.v1 import structure_service_pb2_grpc as ssgrpc  # noqa: E402
from billing.v1 import usage_pb2 as upb  # noqa: E402
from billing.v1 import usage_service_pb2 as uspb  # noqa: E402
from billing.v1 import usage_service_pb2_grpc as usgrpc  # noqa: E402

TIMEOUT = e2e.CALL_TIMEOUT_S
# Deadline of one ingest stream, in seconds: the 110,000-record stream takes
# 8 to 15 s alone here; bounded well inside ctest's 300 s for the file, so a
# stuck stream fails with its own message instead of the file timing out.
INGEST_TIMEOUT_S = 120.0
# Longest the kill test waits for the stream to reach its kill point, in
# seconds (a bounded poll on the totals, never a sleep).
KILL_POINT_TIMEOUT_S = 60.0
# Records a second a killed stream is sent at: 6,000 in about 2 s.
SEND_RATE = 3000
SEED = int(os.environ.get("E2E_SEED", str(random.SystemRandom().randrange(
    1, 2**31))))
print(f"usage_e2e_test: E2E_SEED={SEED}", flush=True)
NUMBER = "+33142680000"
INGEST_USAGE = "/billing.v1.UsageService/IngestUsage"


def call(record_id, seconds, start="2026-03-20T10:00:00+01:00",
         number=NUMBER):
    return upb.UsageRecord(
        platform_id="PBX1", record_id=record_id, object=number,
        start_time=start, kind=upb.USAGE_KIND_VOICE, quantity=seconds,
        destination="+33612345678")


class UsageE2eTest(unittest.TestCase):

    def setUp(self):
        self.workdir = e2e.make_temp_dir("billing-e2e-usage-")
        self.data_dir = os.path.join(self.workdir, "data")
        self.keys = 0
        self.start_daemon()
        self.setup_customer("C1")

    def tearDown(self):
        e2e.stop_billingd(self.daemon, self.channel, require_exit_0=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start_daemon(self, listen="127.0.0.1:0"):
        self.daemon = e2e.Billingd(self.data_dir, self.workdir, listen=listen)
        self.channel = e2e.connect(grpc, self.daemon)
        self.customers = customer_service_grpc.CustomerServiceStub(self.channel)
        self.structure = ssgrpc.BillingStructureServiceStub(self.channel)
        self.usage = usgrpc.UsageServiceStub(self.channel)

    def key(self):
        self.keys += 1
        return f"e2e-usage-{self.keys}"

    def setup_customer(self, customer_id):
        self.customers.CreateCustomer(customer_service_pb2.CreateCustomerRequest(
            idempotency_key=self.key(), business_date="2026-01-05",
            customer=customer_pb2.Customer(customer_id=customer_id,
                                           name="Acme")), timeout=TIMEOUT)
        self.structure.CreateBillingEntity(sspb.CreateBillingEntityRequest(
            idempotency_key=self.key(), business_date="2026-01-05",
            customer_id=customer_id,
            entity=spb.BillingEntity(entity_id="PARIS", name="Paris")),
            timeout=TIMEOUT)
        self.create_number("ACC1", spb.OBJECT_KIND_ACCOUNT, "", "")
        self.create_number("N1", spb.OBJECT_KIND_PHONE_NUMBER, "ACC1", NUMBER)
        self.usage.DefineRatePlanVersion(uspb.DefineRatePlanVersionRequest(
            idempotency_key=self.key(), customer_id=customer_id,
            version=upb.RatePlanVersion(
                plan_id="PRO", effective_from="2026-01-01T00:00:00+01:00",
                currency="EUR", entries=[upb.RateEntry(
                    kind=upb.USAGE_KIND_VOICE, destination_prefix="+33",
                    price_micros=20000, per_quantity=60,
                    setup_fee_micros=50000, first_increment=60, increment=1,
                    zone_label="France")])), timeout=TIMEOUT)
        self.usage.AssignRatePlan(uspb.AssignRatePlanRequest(
            idempotency_key=self.key(), customer_id=customer_id,
            object_id="ACC1", plan_id="PRO"), timeout=TIMEOUT)

    def create_number(self, object_id, kind, parent, e164):
        self.structure.CreateObject(sspb.CreateObjectRequest(
            idempotency_key=self.key(), business_date="2026-01-05",
            customer_id="C1",
            object=spb.BillableObject(object_id=object_id, kind=kind,
                                      parent_id=parent, e164=e164)),
            timeout=TIMEOUT)

    def ingest(self, records):
        return self.usage.IngestUsage(iter(records), timeout=INGEST_TIMEOUT_S)

    def ingest_bytes(self, messages):
        """IngestUsage with raw messages: bytes no generated stub would send."""
        stream = self.channel.stream_unary(
            INGEST_USAGE, request_serializer=None,
            response_deserializer=uspb.IngestSummary.FromString)
        return stream(iter(messages), timeout=INGEST_TIMEOUT_S)

    def billingctl(self, *args):
        return subprocess.run(
            [e2e.billingctl_path(), "--server", self.daemon.address, "--json",
             *args], capture_output=True, timeout=60)

    def quarantine(self):
        return self.usage.ListQuarantine(uspb.ListQuarantineRequest(),
                                         timeout=TIMEOUT).inputs

    def rated_count(self):
        return self.totals().get(("N1", "France"), (0,))[0]

    def assignment(self, month="2026-03"):
        resp = self.usage.GetUsageTotals(uspb.GetUsageTotalsRequest(
            customer_id="C1", month=month), timeout=TIMEOUT)
        return {t.object_id: (t.assignment.entity_id,
                              t.assignment.discount_hundredths)
                for t in resp.totals}

    def totals(self, month="2026-03"):
        resp = self.usage.GetUsageTotals(uspb.GetUsageTotalsRequest(
            customer_id="C1", month=month), timeout=TIMEOUT)
        return {(t.object_id, t.zone): (t.records, t.quantity,
                                         t.billed_quantity, t.amount_micros)
                for t in resp.totals}

    def test_call_is_rated_and_duplicates_are_counted_not_billed(self):
        summary = self.ingest([call("R1", 61), call("R1", 61),
                               call("R2", 20)])
        self.assertEqual((summary.received, summary.rated, summary.duplicates,
                          summary.quarantined), (3, 2, 1, 0))
        # 61 s -> 0.070333; 20 s billed as the first minute -> 0.070000.
        self.assertEqual(self.totals(), {("N1", "France"):
                                         (2, 81, 121, 140333)})
        again = self.ingest([call("R1", 61)])
        self.assertEqual(again.duplicates, 1)
        self.assertEqual(self.totals()[("N1", "France")][3], 140333)

    def test_totals_take_the_entity_and_discount_of_their_month(self):
        self.ingest([call("M1", 61, "2026-03-02T09:00:00+01:00")])
        self.assertEqual(self.assignment(), {"N1": ("PARIS", 0)})
        # Reassigned on the 25th: the whole of March moves, including the
        # record of the 2nd that came before the command.
        self.structure.CreateBillingEntity(sspb.CreateBillingEntityRequest(
            idempotency_key=self.key(), business_date="2026-01-05",
            customer_id="C1",
            entity=spb.BillingEntity(entity_id="LYON", name="Lyon")),
            timeout=TIMEOUT)
        self.structure.ReassignObjects(sspb.ReassignObjectsRequest(
            idempotency_key=self.key(), business_date="2026-03-25",
            customer_id="C1",
            selection=spb.ObjectSelection(
                ids=spb.ObjectSelection.Ids(object_ids=["N1"])),
            entity_id="LYON", discount_percent="12.5"), timeout=TIMEOUT)
        self.ingest([call("M2", 61, "2026-03-30T09:00:00+01:00"),
                     call("F1", 61, "2026-02-27T09:00:00+01:00")])
        self.assertEqual(self.assignment(), {"N1": ("LYON", 1250)})
        self.assertEqual(self.assignment("2026-02"), {"N1": ("PARIS", 0)})
        self.assertEqual(self.totals()[("N1", "France")][0], 2)

    def test_unknown_number_is_quarantined_then_replayed_once(self):
        summary = self.ingest([call("R9", 61, number="+33199999999")])
        self.assertEqual(summary.quarantined, 1)
        held = self.usage.ListQuarantine(uspb.ListQuarantineRequest(),
                                         timeout=TIMEOUT)
        self.assertEqual(len(held.inputs), 1)
        self.assertIn('"+33199999999" is not a phone number of any customer',
                      held.inputs[0].input.reason)
        self.assertEqual(held.inputs[0].input.source, "grpc:PBX1/R9")
        self.assertEqual(self.totals(), {})
        self.create_number("N2", spb.OBJECT_KIND_PHONE_NUMBER, "ACC1",
                           "+33199999999")
        replay = self.usage.ReplayQuarantine(uspb.ReplayQuarantineRequest(),
                                             timeout=TIMEOUT)
        self.assertEqual((replay.rated, replay.quarantined), (1, 0))
        self.assertEqual(self.totals(), {("N2", "France"): (1, 61, 61, 70333)})
        self.assertEqual(len(self.usage.ListQuarantine(
            uspb.ListQuarantineRequest(), timeout=TIMEOUT).inputs), 0)
        # Replayed again, or sent again: billed once.
        self.assertEqual(self.ingest([call("R9", 61, number="+33199999999")])
                         .duplicates, 1)
        self.assertEqual(self.totals()[("N2", "France")][3], 70333)

    def test_bad_records_are_quarantined_with_their_field(self):
        bad = call("R3", -4)
        summary = self.ingest([bad])
        self.assertEqual(summary.quarantined, 1)
        held = self.usage.ListQuarantine(uspb.ListQuarantineRequest(),
                                         timeout=TIMEOUT)
        self.assertEqual(held.inputs[0].input.reason,
                         "record.quantity: -4 is negative")

    def test_billingctl_imports_json_lines(self):
        path = os.path.join(self.workdir, "cdr.jsonl")
        with open(path, "w") as f:
            f.write('{"platform_id": "PBX1", "record_id": "F1", "object": '
                    f'"{NUMBER}", "start_time": "2026-03-20T10:00:00+01:00", '
                    '"kind": "USAGE_KIND_VOICE", "quantity": 61, '
                    '"destination": "+33612345678"}\n')
            f.write("not a record\n")
        out = subprocess.run(
            [e2e.billingctl_path(), "--server", self.daemon.address, "--json",
             "usage", "import", path], capture_output=True, text=True,
            timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('"rated":"1"', out.stdout.replace(" ", ""))
        self.assertIn('"quarantined":"1"', out.stdout.replace(" ", ""))
        held = self.usage.ListQuarantine(uspb.ListQuarantineRequest(),
                                         timeout=TIMEOUT)
        self.assertEqual(held.inputs[0].input.source, f"file:{path}:2")

    def test_shuffled_duplicated_late_records_give_the_clean_totals(self):
        """The issue's data set: 100,000 records, 10 % sent twice, shuffled
        (so many arrive after later ones: late), through the gRPC stream."""
        rng = random.Random(SEED)
        count = 100_000
        clean = [call(f"S{i:06d}", 1 + (i * 7919) % 900,
                      f"2026-03-{1 + i % 28:02d}T{8 + i % 10:02d}:"
                      f"{i % 60:02d}:00+01:00")
                 for i in range(count)]
        messy = clean + [rng.choice(clean) for _ in range(count // 10)]
        rng.shuffle(messy)
        summary = self.ingest(messy)
        self.assertEqual((summary.rated, summary.duplicates),
                         (count, count // 10), f"seed {SEED}")
        expected_amount = sum(
            50000 + (20000 * max(60, r.quantity) * 2 + 60) // 120
            for r in clean)
        records, quantity, _, amount = self.totals()[("N1", "France")]
        self.assertEqual(records, count)
        self.assertEqual(quantity, sum(r.quantity for r in clean))
        self.assertEqual(amount, expected_amount, f"seed {SEED}")

    def send_and_kill(self, records, kill_after):
        """Streams `records`; SIGKILL once `kill_after` records are rated.

        Returns (rated before the kill as read after the restart, the
        sender's errors). The wait for the kill point is a bounded poll.
        """
        errors = []
        summaries = []

        def paced():
            # A load generator's pacing: however fast billingd rates, the
            # kill point comes while records are still being sent.
            t0 = time.monotonic()
            for i, r in enumerate(records):
                due = t0 + i / SEND_RATE
                if due > time.monotonic():
                    time.sleep(max(0.0, due - time.monotonic()))
                yield r

        def stream():
            try:
                summaries.append(self.ingest(paced()))
            except grpc.RpcError as e:
                errors.append(e.code())

        sender = threading.Thread(target=stream)
        sender.start()
        deadline = time.monotonic() + KILL_POINT_TIMEOUT_S
        rated = 0
        while rated < kill_after and time.monotonic() < deadline:
            rated = self.rated_count()
        self.daemon.kill9()
        sender.join(timeout=INGEST_TIMEOUT_S)
        self.assertFalse(sender.is_alive(), f"seed {SEED}")
        self.assertGreaterEqual(rated, kill_after,
                                f"seed {SEED}: kill point not reached within "
                                f"{KILL_POINT_TIMEOUT_S}s")
        self.channel.close()
        self.daemon.close()
        self.start_daemon()
        return self.rated_count(), errors, summaries

    def test_kill9_during_ingest_then_resend_loses_and_doubles_nothing(self):
        """SIGKILL at two seeded random points of the stream (after K1, then
        after K2 more records are rated), restart, send everything again."""
        count = 6000
        records = [call(f"K{i:05d}", 61) for i in range(count)]
        rng = random.Random(SEED)
        before = 0
        for kill in (1, 2):
            # The first in the first half; the second after it, with at
            # least two stream batches (512 each) left after its point.
            kill_after = rng.randrange(before + 1,
                                       max(before + 2, count // 2 if kill == 1
                                           else count - 2 * 512))
            print(f"seed {SEED}: kill {kill} after {kill_after} rated",
                  flush=True)
            after, errors, summaries = self.send_and_kill(records, kill_after)
            # The kill landed mid-way: the stream had records rated before
            # it, not all of them, and it failed (it did not end OK).
            self.assertGreaterEqual(after, kill_after, f"seed {SEED}")
            self.assertLess(after, count,
                            f"seed {SEED}: the kill came too late to matter")
            self.assertEqual(summaries, [], f"seed {SEED}")
            self.assertEqual(errors, [grpc.StatusCode.UNAVAILABLE],
                             f"seed {SEED}")
            before = after
        summary = self.ingest(records)  # the platform sends them all again
        self.assertEqual(summary.rated + summary.duplicates, count)
        self.assertEqual(summary.duplicates, before, f"seed {SEED}")
        self.assertEqual(self.totals(), {("N1", "France"):
                                         (count, count * 61, count * 61,
                                          count * 70333)})

    def test_unreadable_message_in_stream_is_quarantined_and_stream_goes_on(
            self):
        """Once, [valid, ff ff ff ff, valid, valid] was answered OK with
        received 1, rated 1: the last two were gone."""
        bad = b"\xff\xff\xff\xff"
        summary = self.ingest_bytes([call("U1", 61).SerializeToString(), bad,
                                     call("U2", 61).SerializeToString(),
                                     call("U3", 61).SerializeToString()])
        self.assertEqual((summary.received, summary.rated, summary.duplicates,
                          summary.quarantined), (4, 3, 0, 1))
        held = self.quarantine()
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0].input.raw, bad)
        self.assertEqual(held[0].input.source, "grpc:stream message 2")
        self.assertEqual(self.totals()[("N1", "France")][0], 3)

    def test_latin1_byte_in_a_json_import_is_quarantined_not_poisonous(self):
        """Once, `billingctl usage import lat.jsonl` with record_id "r\\xe9"
        stopped billingd for good (DATA_LOSS)."""
        path = os.path.join(self.workdir, "lat.jsonl")
        line = ('{"platform_id":"PBXL","record_id":"r\xe9","object":'
                f'"{NUMBER}","start_time":"2026-03-20T10:00:00+01:00",'
                '"kind":"USAGE_KIND_VOICE","quantity":61,'
                '"destination":"+33145550000"}\n').encode("latin-1")
        with open(path, "wb") as f:
            f.write(line)
        out = self.billingctl("usage", "import", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b'"quarantined":"1"', out.stdout.replace(b" ", b""))
        held = self.quarantine()
        self.assertEqual(held[0].input.reason,
                         "record.record_id: not valid UTF-8")
        self.assertEqual(held[0].input.raw, line.rstrip(b"\n"))
        # billingd still serves, and the journal still replays: restart.
        self.assertEqual(self.ingest([call("L1", 61)]).rated, 1)
        self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
        self.daemon.close()
        self.channel.close()
        self.start_daemon()
        self.assertEqual(self.rated_count(), 1)

    def test_csv_import_refuses_a_header_without_quantity_sending_nothing(
            self):
        """Once, every row was rated at 0 and used its id."""
        path = os.path.join(self.workdir, "calls.csv")
        with open(path, "w") as f:
            f.write("platform_id,record_id,object,start_time,kind,"
                    "destination\n")
            f.write(f"PBX1,C1,{NUMBER},2026-03-20T10:00:00+01:00,voice,"
                    "+33612345678\n")
        out = self.billingctl("usage", "import", path)
        self.assertEqual(out.returncode, 2, out.stdout)
        self.assertIn(b'column "quantity" is missing', out.stderr)
        self.assertEqual(self.totals(), {})
        self.assertEqual(len(self.quarantine()), 0)
        # Then the right file: C1 is rated (its id was not used up); an empty
        # quantity cell is quarantined naming the field.
        with open(path, "w") as f:
            f.write("platform_id,record_id,object,start_time,kind,quantity,"
                    "destination\n")
            f.write(f"PBX1,C1,{NUMBER},2026-03-20T10:00:00+01:00,voice,61,"
                    "+33612345678\n")
            f.write(f"PBX1,C2,{NUMBER},2026-03-20T10:00:00+01:00,voice,,"
                    "+33612345678\n")
        out = self.billingctl("usage", "import", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.totals(), {("N1", "France"):
                                         (1, 61, 61, 70333)})
        held = self.quarantine()
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0].input.reason,
                         "client: record.quantity: is empty")
        self.assertEqual(held[0].input.source, f"file:{path}:3")

    def test_unknown_customer_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as totals:
            self.usage.GetUsageTotals(uspb.GetUsageTotalsRequest(
                customer_id="NOPE", month="2026-03"), timeout=TIMEOUT)
        self.assertEqual(totals.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn('"NOPE"', totals.exception.details())
        with self.assertRaises(grpc.RpcError) as replay:
            self.usage.ReplayQuarantine(uspb.ReplayQuarantineRequest(
                customer_id="NOPE"), timeout=TIMEOUT)
        self.assertEqual(replay.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_describes_the_ingest_streams(self):
        """The raw-bytes handlers keep the method names and types."""
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=None, response_deserializer=None)
        symbol = b"billing.v1.UsageService"
        # ServerReflectionRequest{file_containing_symbol: ...}: field 4.
        answers = list(info(iter([b"\x22" + bytes([len(symbol)]) + symbol]),
                            timeout=TIMEOUT))
        self.assertEqual(len(answers), 1)
        self.assertIn(b"IngestUsage", answers[0])
        self.assertIn(b"IngestRawUsage", answers[0])

if __name__ == "__main__":
    unittest.main()
