"""billingd killed with SIGKILL mid-load loses nothing and doubles nothing.

Scenario (setUpClass), with an outside client (Python grpcio):
  1. billingd on the embedded journal; CLIENT_THREADS threads send
     COMMANDS CreateCustomer commands, each with its own idempotency key and
     customer id.
  2. Once K commands are acknowledged (K seeded-random in [100, 900]), the
     daemon gets SIGKILL. Commands in flight then fail (UNAVAILABLE); the
     ones not yet taken are never sent.
  3. billingd restarts on the same data_dir, on a fresh port (the killed
     daemon's may be taken by another test meanwhile); every unacknowledged
     command is sent again with its same key until answered (bounded
     attempts, waiting on channel readiness in between).
The test cases then check the outcome. Replay a run with E2E_SEED=<seed>
(the seed is printed first, and named in every failure).
"""

import os
import queue
import random
import shutil
import signal
import threading
import time
import unittest

import grpc

import e2e_support as e2e

customer_pb2, service_pb2, service_grpc = e2e.import_stubs()

# Commands sent in the scenario; each creates one customer.
COMMANDS = 1000
# Client threads sharing one channel (one HTTP/2 connection).
CLIENT_THREADS = 8
# The kill comes after K acknowledged commands, K uniform in this range.
KILL_AFTER_MIN, KILL_AFTER_MAX = 100, 900
# Attempts per unacknowledged command after the restart (UNAVAILABLE and
# connection errors are retried, nothing else).
RETRY_ATTEMPTS_MAX = 20
# Channel readiness waits: attempts and the bound of each, in seconds.
READY_ATTEMPTS_MAX = 10
READY_WAIT_S = 5.0
# Bound on closing the channel to the killed daemon (close_dead_channel).
CLOSE_WAIT_S = 10.0
# ListCustomers page size; the listing stops after COMMANDS/PAGE_SIZE + 3
# pages at most (a server that never ends the listing fails the test).
PAGE_SIZE = 128

# Reconnect quickly to the restarted daemon (grpc's default backoff grows to
# 120 s).
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")


def customer_id(i):
    return f"k9-{i:04d}"


def create_request(i, name=None):
    return service_pb2.CreateCustomerRequest(
        idempotency_key=f"k9-create-{i:04d}",
        customer=customer_pb2.Customer(
            customer_id=customer_id(i),
            name=name if name is not None else f"Kill Nine Customer {i}",
            email=f"billing+{i}@example.com",
            currency=CURRENCIES[i % len(CURRENCIES)]))


def mismatches(i, c):
    """What differs between customer `c` and what command `i` created."""
    want = create_request(i).customer
    out = []
    for field in ("customer_id", "name", "email", "currency"):
        if getattr(c, field) != getattr(want, field):
            out.append(f"{field} {getattr(c, field)!r} != "
                       f"{getattr(want, field)!r}")
    if c.version != 1:
        out.append(f"version {c.version} != 1")
    if c.created_on != e2e.TEST_CLOCK_DATE:
        out.append(f"created_on {c.created_on!r} != {e2e.TEST_CLOCK_DATE!r}")
    if c.updated_on != e2e.TEST_CLOCK_DATE:
        out.append(f"updated_on {c.updated_on!r} != {e2e.TEST_CLOCK_DATE!r}")
    per_entity = customer_pb2.INVOICE_DELIVERY_MODE_PER_ENTITY
    if c.invoice_delivery_mode != per_entity:
        out.append(f"invoice_delivery_mode {c.invoice_delivery_mode}")
    return out


def run_threads(count, target):
    threads = [threading.Thread(target=target, daemon=True)
               for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        # Bounded: every call has a deadline and every loop a count.
        t.join(timeout=RETRY_ATTEMPTS_MAX * e2e.CALL_TIMEOUT_S)
        if t.is_alive():
            raise TimeoutError("a client thread did not finish")


def connect(daemon):
    """A ready channel to `daemon`: bounded readiness waits, quick
    reconnects."""
    return e2e.connect(grpc, daemon, options=CHANNEL_OPTIONS,
                       timeout_s=READY_WAIT_S, attempts=READY_ATTEMPTS_MAX)


def close_dead_channel(channel):
    """Closes the channel to the killed daemon without waiting on it forever:
    grpcio's Channel.close() can block when calls were in flight as the peer
    died (grpc/grpc#20026, #19910). Closed on a daemon thread, joined with a
    bound; a close still blocked is left behind (the process ends anyway)."""
    t = threading.Thread(target=channel.close, daemon=True)
    t.start()
    t.join(timeout=CLOSE_WAIT_S)
    if t.is_alive():
        print(f"kill9_exactly_once: the dead channel did not close within "
              f"{CLOSE_WAIT_S}s; left to the process exit", flush=True)


def list_all(stub):
    """Every customer, by paging ListCustomers; bounded page count."""
    customers, token = [], ""
    for _ in range(COMMANDS // PAGE_SIZE + 3):
        page = stub.ListCustomers(
            service_pb2.ListCustomersRequest(page_size=PAGE_SIZE,
                                             page_token=token),
            timeout=e2e.CALL_TIMEOUT_S)
        customers.extend(page.customers)
        token = page.next_page_token
        if not token:
            return customers
    raise AssertionError("ListCustomers did not reach its last page within "
                         f"{COMMANDS // PAGE_SIZE + 3} pages")


class Kill9ExactlyOnceTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        seed = int(os.environ.get("E2E_SEED",
                                  random.SystemRandom().randrange(1 << 32)))
        print(f"\nkill9_exactly_once: seed {seed} (replay with "
              f"E2E_SEED={seed})", flush=True)
        cls.rng = random.Random(seed)
        cls.kill_after = cls.rng.randint(KILL_AFTER_MIN, KILL_AFTER_MAX)
        cls.context = f"[seed {seed}, kill after {cls.kill_after} acks]"
        cls.workdir = e2e.make_temp_dir("billing-e2e-kill9-")
        cls.data_dir = os.path.join(cls.workdir, "data")
        cls.daemon = None
        cls.channel = None
        try:
            cls._run_scenario()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _run_scenario(cls):
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir)
        first_daemon = cls.daemon
        cls.channel = connect(cls.daemon)
        stub = service_grpc.CustomerServiceStub(cls.channel)

        # Phase 1: load, and SIGKILL after `kill_after` acknowledgements.
        work = queue.Queue()
        for i in range(COMMANDS):
            work.put(i)
        lock = threading.Lock()
        cls.answers = {}          # index -> Customer, first acknowledgement
        cls.phase1_failures = {}  # index -> (code, details)
        killed = threading.Event()

        def load():
            while not killed.is_set():
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    c = stub.CreateCustomer(create_request(i),
                                            timeout=e2e.CALL_TIMEOUT_S)
                except grpc.RpcError as e:
                    with lock:
                        cls.phase1_failures[i] = (e.code(), e.details())
                    continue
                with lock:
                    cls.answers[i] = c
                    if (len(cls.answers) == cls.kill_after and
                            not killed.is_set()):
                        os.kill(first_daemon.pid, signal.SIGKILL)  # mid-load
                        killed.set()

        started = time.monotonic()
        run_threads(CLIENT_THREADS, load)
        first_daemon.kill9()  # reap it (and kill it, had the kill not come)
        cls.killed = killed.is_set()
        cls.phase1_acked = len(cls.answers)
        unsent = []
        while not work.empty():
            unsent.append(work.get_nowait())
        cls.unacknowledged = sorted(set(cls.phase1_failures) | set(unsent))
        print(f"kill9_exactly_once: SIGKILL after {cls.kill_after} acks; "
              f"phase 1 acknowledged {cls.phase1_acked}, failed "
              f"{len(cls.phase1_failures)} in flight, {len(unsent)} unsent "
              f"({time.monotonic() - started:.1f}s)", flush=True)

        # Phase 2: restart on the same data_dir, on a fresh port the kernel
        # picks (as every e2e daemon does): the killed daemon's port may be
        # taken meanwhile by another test under ctest -j. Retry with the same
        # keys on a new channel to the new address.
        first_daemon.close()
        close_dead_channel(cls.channel)
        cls.channel = None
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir)
        cls.channel = connect(cls.daemon)
        stub = service_grpc.CustomerServiceStub(cls.channel)
        # What survived the kill, before any retry: every acknowledged
        # command, plus those that were durable but not yet answered.
        cls.survivors = {c.customer_id: c for c in list_all(stub)}
        print(f"kill9_exactly_once: restarted on {cls.daemon.address} (was "
              f"{first_daemon.address}); {len(cls.survivors)} "
              f"customers survived the kill, of which "
              f"{len(cls.survivors) - cls.phase1_acked} unacknowledged",
              flush=True)
        retry = queue.Queue()
        for i in cls.unacknowledged:
            retry.put(i)
        cls.retry_failures = {}  # index -> (code, details) of the last try

        def resend():
            while True:
                try:
                    i = retry.get_nowait()
                except queue.Empty:
                    return
                for _ in range(RETRY_ATTEMPTS_MAX):
                    try:
                        c = stub.CreateCustomer(create_request(i),
                                                timeout=e2e.CALL_TIMEOUT_S)
                    except grpc.RpcError as e:
                        with lock:
                            cls.retry_failures[i] = (e.code(), e.details())
                        if e.code() != grpc.StatusCode.UNAVAILABLE:
                            break
                        try:
                            e2e.wait_for_channel_ready(
                                grpc, cls.channel, READY_WAIT_S,
                                READY_ATTEMPTS_MAX)
                        except TimeoutError:
                            break
                        continue
                    with lock:
                        cls.retry_failures.pop(i, None)
                        cls.answers[i] = c
                    break

        started = time.monotonic()
        run_threads(CLIENT_THREADS, resend)
        print(f"kill9_exactly_once: {len(cls.unacknowledged)} retried, "
              f"{len(cls.retry_failures)} still failing "
              f"({time.monotonic() - started:.1f}s)", flush=True)
        cls.stub = stub

    @classmethod
    def _cleanup(cls):
        if cls.channel is not None:
            cls.channel.close()
        if cls.daemon is not None:
            cls.daemon.close()

    @classmethod
    def tearDownClass(cls):
        try:
            e2e.stop_billingd(cls.daemon, cls.channel)
        finally:
            cls._cleanup()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def test_kill_came_mid_load(self):
        self.assertTrue(self.killed, f"{self.context} the kill never came")
        self.assertGreaterEqual(self.phase1_acked, self.kill_after)
        self.assertLess(self.phase1_acked, COMMANDS,
                        f"{self.context} nothing was left to retry")

    def test_acknowledged_commands_survive_the_kill_before_any_retry(self):
        acknowledged = {customer_id(i): c for i, c in self.answers.items()
                        if i not in set(self.unacknowledged)}
        self.assertEqual(len(acknowledged), self.phase1_acked)
        lost = sorted(set(acknowledged) - set(self.survivors))
        self.assertEqual(lost, [], f"{self.context} acknowledged, then lost")
        changed = {k: (str(self.survivors[k]), str(c))
                   for k, c in acknowledged.items()
                   if self.survivors[k] != c}
        self.assertEqual(changed, {}, self.context)
        unknown = sorted(set(self.survivors) -
                         {customer_id(i) for i in range(COMMANDS)})
        self.assertEqual(unknown, [], f"{self.context} never sent")

    def test_commands_in_flight_at_the_kill_failed_unavailable(self):
        other = {customer_id(i): f
                 for i, f in self.phase1_failures.items()
                 if f[0] != grpc.StatusCode.UNAVAILABLE}
        self.assertEqual(other, {}, self.context)

    def test_every_command_is_acknowledged_with_its_customer(self):
        self.assertEqual(
            {customer_id(i): f for i, f in self.retry_failures.items()}, {},
            f"{self.context} retries with the same key did not succeed")
        self.assertEqual(sorted(self.answers), list(range(COMMANDS)),
                         self.context)
        wrong = {customer_id(i): mismatches(i, c)
                 for i, c in self.answers.items() if mismatches(i, c)}
        self.assertEqual(wrong, {}, self.context)

    def test_every_command_exists_exactly_once(self):
        listed = list_all(self.stub)
        ids = [c.customer_id for c in listed]
        self.assertEqual(len(ids), len(set(ids)),
                         f"{self.context} a customer is listed twice")
        expected = {customer_id(i) for i in range(COMMANDS)}
        self.assertEqual(sorted(set(ids) - expected), [],
                         f"{self.context} extra customers")
        self.assertEqual(sorted(expected - set(ids)), [],
                         f"{self.context} missing customers")
        self.assertEqual(len(listed), COMMANDS, self.context)
        wrong = {c.customer_id: mismatches(int(c.customer_id[3:]), c)
                 for c in listed if mismatches(int(c.customer_id[3:]), c)}
        self.assertEqual(wrong, {}, self.context)
        self.assertEqual(ids, sorted(ids, key=lambda s: s.encode()),
                         f"{self.context} listing not ordered by id")

    def test_resending_acknowledged_commands_returns_the_same_customer(self):
        before = list_all(self.stub)
        lock = threading.Lock()
        work = queue.Queue()
        for i in range(COMMANDS):
            work.put(i)
        differ, errors = {}, {}

        def resend():
            while True:
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    c = self.stub.CreateCustomer(create_request(i),
                                                 timeout=e2e.CALL_TIMEOUT_S)
                except grpc.RpcError as e:
                    with lock:
                        errors[customer_id(i)] = (e.code(), e.details())
                    continue
                first = self.answers.get(i)
                if c != first:
                    with lock:
                        differ[customer_id(i)] = (str(c), str(first))

        run_threads(CLIENT_THREADS, resend)
        self.assertEqual(errors, {}, self.context)
        self.assertEqual(differ, {}, self.context)
        after = list_all(self.stub)
        self.assertEqual(len(after), COMMANDS, self.context)
        self.assertEqual(after, before,
                         f"{self.context} re-sending changed the state")

    def test_key_reused_with_another_payload_is_failed_precondition(self):
        # The last command acknowledged before the kill: its record is the
        # nearest to the crash.
        i = max(set(self.answers) - set(self.unacknowledged))
        before = self.stub.GetCustomer(
            service_pb2.GetCustomerRequest(customer_id=customer_id(i)),
            timeout=e2e.CALL_TIMEOUT_S)
        with self.assertRaises(grpc.RpcError) as raised:
            self.stub.CreateCustomer(create_request(i, name="Another Name"),
                                     timeout=e2e.CALL_TIMEOUT_S)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION,
                         f"{self.context} {raised.exception.details()}")
        after = self.stub.GetCustomer(
            service_pb2.GetCustomerRequest(customer_id=customer_id(i)),
            timeout=e2e.CALL_TIMEOUT_S)
        self.assertEqual(after, before, self.context)
        self.assertEqual(len(list_all(self.stub)), COMMANDS, self.context)


if __name__ == "__main__":
    unittest.main(verbosity=2)
