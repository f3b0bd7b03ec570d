"""billingd on Kafka: the log is the truth, a fresh instance rebuilds from it.

Scenario (setUpClass):
  1. mock_kafka_broker (librdkafka's mock cluster, its own process) with the
     topic billing.events.v1 of 4 partitions.
  2. billingd --kafka_brokers=<bootstrap> on data_dir A; CUSTOMERS customers
     created through grpcio (a few client threads); SIGTERM, bounded wait.
  3. A new billingd on a NEW, empty data_dir B against the same broker.
The cases check that B's state was rebuilt from the Kafka log, and that an
outside Kafka client (kcat) reads every customer id as a message key.
"""

import os
import queue
import shutil
import subprocess
import threading
import unittest

import grpc

import e2e_support as e2e

customer_pb2, service_pb2, service_grpc = e2e.import_stubs()

TOPIC = "billing.events.v1"
PARTITIONS = 4
CUSTOMERS = 50
CLIENT_THREADS = 4
# Bound of the kcat run, in seconds (-e: it exits at the end of the log).
KCAT_TIMEOUT_S = 60.0
# Bound of the ListCustomers paging loop.
PAGES_MAX = 10


def customer_id(i):
    return f"kafka-{i:03d}"


def create_request(i):
    return service_pb2.CreateCustomerRequest(
        idempotency_key=f"kafka-create-{i:03d}",
        customer=customer_pb2.Customer(
            customer_id=customer_id(i), name=f"Kafka Customer {i}",
            email=f"kafka{i}@example.com",
            currency=("EUR", "USD", "SEK")[i % 3]))


def list_all(stub):
    customers, token = [], ""
    for _ in range(PAGES_MAX):
        page = stub.ListCustomers(
            service_pb2.ListCustomersRequest(page_size=20, page_token=token),
            timeout=e2e.CALL_TIMEOUT_S)
        customers.extend(page.customers)
        token = page.next_page_token
        if not token:
            return customers
    raise AssertionError(f"ListCustomers did not end within {PAGES_MAX} "
                         "pages")


class KafkaJournalE2eTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-kafka-")
        cls.broker = None
        cls.daemon = None
        cls.channel = None
        try:
            cls._run_scenario()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _run_scenario(cls):
        cls.broker = e2e.MockKafkaBroker(
            cls.workdir, topics=[f"{TOPIC}:{PARTITIONS}"])
        print(f"\nkafka_journal_e2e: broker {cls.broker.bootstrap_servers}",
              flush=True)

        first = e2e.Billingd(os.path.join(cls.workdir, "data-a"),
                             cls.workdir,
                             kafka_brokers=cls.broker.bootstrap_servers)
        cls.daemon = first
        cls.answers, errors = {}, {}
        lock = threading.Lock()
        with e2e.connect(grpc, first) as channel:
            stub = service_grpc.CustomerServiceStub(channel)
            work = queue.Queue()
            for i in range(CUSTOMERS):
                work.put(i)

            def create():
                while True:
                    try:
                        i = work.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        c = stub.CreateCustomer(create_request(i),
                                                timeout=e2e.CALL_TIMEOUT_S)
                    except grpc.RpcError as e:
                        with lock:
                            errors[customer_id(i)] = (e.code(), e.details())
                        continue
                    with lock:
                        cls.answers[i] = c

            threads = [threading.Thread(target=create, daemon=True)
                       for _ in range(CLIENT_THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=CUSTOMERS * e2e.CALL_TIMEOUT_S)
            cls.create_errors = errors
            cls.first_listing = list_all(stub)
        cls.first_exit_code = first.stop()
        first.close()

        cls.daemon = e2e.Billingd(os.path.join(cls.workdir, "data-b"),
                                  cls.workdir,
                                  kafka_brokers=cls.broker.bootstrap_servers)
        cls.channel = e2e.connect(grpc, cls.daemon)
        cls.stub = service_grpc.CustomerServiceStub(cls.channel)
        # Before any case writes through the new instance.
        cls.rebuilt_listing = list_all(cls.stub)

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
            e2e.stop_billingd(cls.daemon, cls.channel)
            e2e.stop_broker(cls.broker)
        finally:
            cls._cleanup()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def test_every_customer_is_created(self):
        self.assertEqual(self.create_errors, {})
        self.assertEqual(sorted(self.answers), list(range(CUSTOMERS)))
        for i, c in self.answers.items():
            self.assertEqual(c.customer_id, customer_id(i))
            self.assertEqual(c.version, 1)
            self.assertEqual(c.created_on, e2e.TEST_CLOCK_DATE)
        self.assertEqual(len(self.first_listing), CUSTOMERS)

    def test_first_billingd_stops_cleanly_on_sigterm(self):
        self.assertEqual(self.first_exit_code, 0)

    def test_new_data_dir_rebuilds_every_customer_from_the_log(self):
        rebuilt = self.rebuilt_listing
        self.assertEqual([c.customer_id for c in rebuilt],
                         [customer_id(i) for i in range(CUSTOMERS)])
        self.assertEqual(rebuilt, self.first_listing)

    def test_rebuilt_instance_remembers_idempotency_keys(self):
        before = list_all(self.stub)
        for i in (0, CUSTOMERS // 2, CUSTOMERS - 1):
            again = self.stub.CreateCustomer(create_request(i),
                                             timeout=e2e.CALL_TIMEOUT_S)
            self.assertEqual(again, self.answers[i])
        self.assertEqual(list_all(self.stub), before)

    def test_rebuilt_instance_accepts_new_commands(self):
        created = self.stub.CreateCustomer(
            service_pb2.CreateCustomerRequest(
                idempotency_key="kafka-create-rebuilt",
                customer=customer_pb2.Customer(customer_id="kafka-rebuilt",
                                               name="Created After Rebuild")),
            timeout=e2e.CALL_TIMEOUT_S)
        self.assertEqual(created.version, 1)
        updated = self.stub.UpdateCustomer(
            service_pb2.UpdateCustomerRequest(
                idempotency_key="kafka-update-007",
                customer=customer_pb2.Customer(customer_id=customer_id(7),
                                               name="Renamed After Rebuild"),
                update_mask={"paths": ["name"]}, expected_version=1),
            timeout=e2e.CALL_TIMEOUT_S)
        self.assertEqual(updated.version, 2)
        self.assertEqual(updated.created_on, self.answers[7].created_on)
        # The rebuilt state knows the codes taken before it.
        with self.assertRaises(grpc.RpcError) as raised:
            self.stub.CreateCustomer(
                service_pb2.CreateCustomerRequest(
                    idempotency_key="kafka-create-008-another-key",
                    customer=create_request(8).customer),
                timeout=e2e.CALL_TIMEOUT_S)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.ALREADY_EXISTS)

    def test_kcat_reads_every_customer_id_as_a_message_key(self):
        argv = [e2e.kcat_path(), "-C", "-b", self.broker.bootstrap_servers,
                "-t", TOPIC, "-e", "-q", "-f", "%k\n"]
        try:
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=KCAT_TIMEOUT_S,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"kcat did not reach the end of {TOPIC} within "
                      f"{KCAT_TIMEOUT_S}s: {e.stderr!r}")
        self.assertEqual(r.returncode, 0, r.stderr)
        keys = set(r.stdout.splitlines())
        missing = sorted({customer_id(i) for i in range(CUSTOMERS)} - keys)
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
