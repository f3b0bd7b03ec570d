"""A newcomer's session through billingctl, against a real billingd.

billingd runs on the embedded journal with its test clock at
TEST_CLOCK_DATE; billingctl runs as a subprocess, as a person would run it.
Each case uses its own customer codes, so that the cases hold in any order
(one of them restarts the daemon on the same data_dir). The standard gRPC
health and reflection services are called with grpcio, with raw bytes.
"""

import json
import os
import shutil
import signal
import subprocess
import time
import unittest

import grpc

import e2e_support as e2e

# Deadline of one billingctl run, in seconds (its own call deadline is 30 s).
CTL_TIMEOUT_S = 60.0


class BillingctlTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-ctl-")
        cls.data_dir = os.path.join(cls.workdir, "data")
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir)

    @classmethod
    def tearDownClass(cls):
        e2e.stop_billingd(cls.daemon)
        shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- helpers ----------------------------------------------------------

    def ctl(self, *args, json_output=False):
        """Runs billingctl against the daemon; returns the CompletedProcess."""
        argv = [e2e.billingctl_path(), "--server", self.daemon.address]
        if json_output:
            argv.append("--json")
        argv.extend(args)
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=CTL_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"billingctl {' '.join(args)} still running after "
                      f"{CTL_TIMEOUT_S}s: {e.stdout!r} {e.stderr!r}")

    def ok(self, *args, json_output=False):
        r = self.ctl(*args, json_output=json_output)
        self.assertEqual(r.returncode, 0,
                         f"billingctl {' '.join(args)}: exit "
                         f"{r.returncode}\nstdout: {r.stdout}\nstderr: "
                         f"{r.stderr}")
        return json.loads(r.stdout) if json_output else r.stdout

    def refused(self, code, *args):
        """billingctl must exit 1 with `code` on stderr; returns stderr."""
        r = self.ctl(*args)
        self.assertEqual(r.returncode, 1,
                         f"billingctl {' '.join(args)}: exit {r.returncode}"
                         f"\nstdout: {r.stdout}\nstderr: {r.stderr}")
        self.assertIn(f"error: {code}: ", r.stderr)
        self.assertEqual(r.stdout, "")
        return r.stderr

    def get_json(self, customer_id):
        return self.ok("customer", "get", customer_id, json_output=True)

    def list_all_json(self):
        """Every customer, via `--json customer list --all` (a page a line)."""
        r = self.ctl("customer", "list", "--all", "--page-size", "2",
                     json_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        customers = []
        for line in r.stdout.splitlines():
            customers.extend(json.loads(line).get("customers", []))
        return customers

    # -- the session ------------------------------------------------------

    def test_create_prints_every_field_given(self):
        out = self.ok("customer", "create", "--id", "acme",
                      "--name", "ACME Telecom SA",
                      "--email", "invoices@acme.example",
                      "--vat-id", "FR40303265045",
                      "--currency", "EUR",
                      "--address-line", "12 rue de la Paix",
                      "--postal-code", "75002", "--city", "Paris",
                      "--country", "FR",
                      "--delivery-mode", "main-entity-detailed")
        for expected in ("customer  acme", "name      ACME Telecom SA",
                         "currency  EUR", "delivery  main-entity-detailed",
                         "e-mail    invoices@acme.example",
                         "vat id    FR40303265045",
                         "address   12 rue de la Paix, 75002 Paris, FR",
                         f"version   1 (created {e2e.TEST_CLOCK_DATE}, "
                         f"updated {e2e.TEST_CLOCK_DATE})"):
            self.assertIn(expected, out)

    def test_get_shows_the_created_customer(self):
        created = self.ok("customer", "create", "--id", "getme",
                          "--name", "Get Me SARL", "--currency", "CHF")
        self.assertEqual(self.ok("customer", "get", "getme"), created)

    def test_list_shows_created_customers_in_code_order(self):
        for code in ("list-b", "list-a"):
            self.ok("customer", "create", "--id", code, "--name",
                    f"Listed {code}")
        out = self.ok("customer", "list", "--all")
        self.assertRegex(out.splitlines()[0], r"^ID\s+NAME\s+CURRENCY")
        rows = [line.split()[0] for line in out.splitlines()[1:]]
        self.assertIn("list-a", rows)
        self.assertIn("list-b", rows)
        self.assertLess(rows.index("list-a"), rows.index("list-b"))
        self.assertRegex(out, r"(?m)^list-a\s+Listed list-a\s+EUR\s+"
                              r"per-entity\s+1$")

    def test_list_pages_with_a_token(self):
        for code in ("page-1", "page-2", "page-3"):
            self.ok("customer", "create", "--id", code, "--name", code)
        out = self.ok("customer", "list", "--page-size", "1")
        self.assertIn("next page: --page-token ", out)
        token = out.rsplit("--page-token ", 1)[1].strip()
        second = self.ok("customer", "list", "--page-size", "1",
                         "--page-token", token)
        self.assertNotEqual(out.splitlines()[1], second.splitlines()[1])

    def test_update_changes_the_fields_given_and_bumps_version_to_2(self):
        self.ok("customer", "create", "--id", "upd", "--name", "Before",
                "--email", "before@upd.example")
        out = self.ok("customer", "update", "--id", "upd", "--name", "After",
                      "--expected-version", "1")
        self.assertIn("name      After", out)
        self.assertIn("e-mail    before@upd.example", out)  # not in the mask
        self.assertIn("version   2 ", out)
        got = self.get_json("upd")
        self.assertEqual(got["name"], "After")
        self.assertEqual(got["version"], "2")  # uint64: a JSON string

    def test_update_with_a_stale_expected_version_is_aborted(self):
        self.ok("customer", "create", "--id", "stale", "--name", "One")
        self.ok("customer", "update", "--id", "stale", "--name", "Two")
        self.refused("ABORTED", "customer", "update", "--id", "stale",
                     "--name", "Three", "--expected-version", "1")
        self.assertEqual(self.get_json("stale")["name"], "Two")

    def test_json_output_parses_with_proto_field_names(self):
        c = self.ok("customer", "create", "--id", "json-1",
                    "--name", "Json One", "--currency", "USD",
                    json_output=True)
        self.assertEqual(c["customer_id"], "json-1")
        self.assertEqual(c["name"], "Json One")
        self.assertEqual(c["currency"], "USD")
        self.assertEqual(c["invoice_delivery_mode"],
                         "INVOICE_DELIVERY_MODE_PER_ENTITY")
        self.assertEqual(c["created_on"], e2e.TEST_CLOCK_DATE)
        self.assertEqual(c["updated_on"], e2e.TEST_CLOCK_DATE)
        self.assertEqual(c["version"], "1")
        self.assertNotIn("customerId", c)  # proto names, not lowerCamel
        self.assertEqual(self.get_json("json-1"), c)
        page = self.ok("customer", "list", "--page-size", "1000",
                       json_output=True)
        self.assertIn("customers", page)
        self.assertIn(c, page["customers"])

    def test_bad_currency_is_invalid_argument_and_creates_nothing(self):
        before = self.list_all_json()
        err = self.refused("INVALID_ARGUMENT", "customer", "create",
                           "--id", "euro", "--name", "Bad Currency",
                           "--currency", "EURO")
        self.assertIn('customer.currency: "EURO" is not an ISO 4217 code',
                      err)
        self.refused("NOT_FOUND", "customer", "get", "euro")
        self.assertEqual(self.list_all_json(), before)

    def test_get_of_an_unknown_customer_is_not_found(self):
        err = self.refused("NOT_FOUND", "customer", "get", "nobody")
        self.assertIn("nobody", err)

    def test_create_of_an_existing_code_is_already_exists(self):
        self.ok("customer", "create", "--id", "twice", "--name", "First")
        self.refused("ALREADY_EXISTS", "customer", "create", "--id", "twice",
                     "--name", "Second")
        self.assertEqual(self.get_json("twice")["name"], "First")

    def test_same_key_twice_answers_the_same_customer(self):
        args = ("customer", "create", "--id", "keyed", "--name", "Keyed",
                "--key", "newcomer-retry-1")
        first = self.ok(*args, json_output=True)
        before = self.list_all_json()
        again = self.ok(*args, json_output=True)
        self.assertEqual(again, first)
        self.assertEqual(again["version"], "1")
        self.assertEqual(self.list_all_json(), before)
        # The same key with other flags is another request: refused.
        self.refused("FAILED_PRECONDITION", "customer", "create", "--id",
                     "keyed", "--name", "Keyed Differently", "--key",
                     "newcomer-retry-1")

    def test_usage_error_exits_2(self):
        r = self.ctl("customer", "create", "--id", "no-name")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_health_check_is_serving(self):
        with grpc.insecure_channel(self.daemon.address) as channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=None,
                                        response_deserializer=None)
            # HealthCheckRequest{service: ""} is b''; the answer
            # HealthCheckResponse{status: SERVING} is field 1 = 1.
            self.assertEqual(check(b"", timeout=e2e.CALL_TIMEOUT_S),
                             b"\x08\x01")

    def test_reflection_lists_the_customer_service(self):
        with grpc.insecure_channel(self.daemon.address) as channel:
            info = channel.stream_stream(
                "/grpc.reflection.v1alpha.ServerReflection/"
                "ServerReflectionInfo",
                request_serializer=None, response_deserializer=None)
            # ServerReflectionRequest{list_services: ""}: field 7, wire
            # type 2, length 0.
            answers = list(info(iter([b"\x3a\x00"]),
                                timeout=e2e.CALL_TIMEOUT_S))
        self.assertEqual(len(answers), 1)
        self.assertIn(b"billing.v1.CustomerService", answers[0])
        self.assertIn(b"grpc.health.v1.Health", answers[0])

    def test_created_on_is_the_test_clock_date(self):
        c = self.ok("customer", "create", "--id", "clocked", "--name",
                    "Clocked", json_output=True)
        self.assertEqual(c["created_on"], e2e.TEST_CLOCK_DATE)
        self.assertEqual(c["updated_on"], e2e.TEST_CLOCK_DATE)

    def test_business_date_of_the_request_wins_over_the_clock(self):
        c = self.ok("customer", "create", "--id", "dated", "--name", "Dated",
                    "--business-date", "2026-01-15", json_output=True)
        self.assertEqual(c["created_on"], "2026-01-15")
        self.assertEqual(c["updated_on"], "2026-01-15")
        u = self.ok("customer", "update", "--id", "dated", "--name",
                    "Dated Again", "--business-date", "2026-02-01",
                    json_output=True)
        self.assertEqual(u["created_on"], "2026-01-15")
        self.assertEqual(u["updated_on"], "2026-02-01")
        self.assertEqual(u["version"], "2")

    def test_restart_on_the_same_data_dir_keeps_every_customer(self):
        self.ok("customer", "create", "--id", "durable", "--name", "Durable",
                "--vat-id", "FR40303265045")
        self.ok("customer", "update", "--id", "durable", "--name",
                "Durable Two")
        before = self.list_all_json()
        self.assertIn("durable", [c["customer_id"] for c in before])
        rc = type(self).daemon.stop()
        self.assertEqual(rc, 0, type(self).daemon.describe())
        type(self).daemon.close()
        type(self).daemon = e2e.Billingd(self.data_dir, self.workdir)
        self.assertEqual(self.list_all_json(), before)
        got = self.get_json("durable")
        self.assertEqual(got["name"], "Durable Two")
        self.assertEqual(got["version"], "2")
        # The restarted daemon still writes, and still knows the codes.
        self.refused("ALREADY_EXISTS", "customer", "create", "--id",
                     "durable", "--name", "Again")

    def test_sigusr1_prints_the_state_memory_and_billingd_goes_on(self):
        daemon = type(self).daemon
        os.kill(daemon.pid, signal.SIGUSR1)
        line = ""
        deadline = time.monotonic() + CTL_TIMEOUT_S
        while not line and time.monotonic() < deadline:
            line = next((ln for ln in daemon.stderr_text().splitlines()
                         if ln.startswith("billingd: state memory ")), "")
            if not line:
                time.sleep(0.05)
        self.assertTrue(line, daemon.describe())
        fields = dict(f.split("=", 1) for f in line.split()[3:])
        self.assertEqual(sorted(fields),
                         ["cache_bytes", "cache_pinned_bytes",
                          "memtable_bytes", "table_readers_bytes"])
        for name, value in fields.items():
            self.assertGreaterEqual(int(value), 0, name)
        # Not a shutdown: billingd still answers.
        self.ok("customer", "create", "--id", "after-usr1", "--name",
                "After USR1", "--vat-id", "FR40303265045")


if __name__ == "__main__":
    unittest.main(verbosity=2)
