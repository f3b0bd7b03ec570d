"""Contracts and billing rules through gRPC, against a real billingd.

An outside client (Python grpcio over the generated stubs) records the
reference data in the reserved partition "@reference", a contract, a flat
rule and a consumed-units rule, two readings and a one-off price increase,
then reads back what is due as of 2026-04-01. The expected numbers:

  R1 flat 100.00 a month in advance from 2026-01-15, never billed (catch-up):
     Jan 15 - Feb 14 at 100.00, Feb 15 - Mar 14 at 100.00, Mar 15 - Apr 14
     at 103.00 (the 3 % increase effective 2026-03-01)         = 303.00
  METER 0.05 a unit, monthly in arrears from 2026-01-01 (catch-up to the
     billing date 2026-04-01): installation 1,000, reading 1,250 = 250 units
                                                               =  12.50
  total                                                        = 315.50

Events expected in the log: contract.article_defined,
contract.contract_created, contract.rule_created (x2),
contract.reading_recorded (x2), contract.price_increase_recorded. The due
computation is then read again after a restart on the same data_dir, and
through billingctl.
"""

import itertools
import os
import shutil
import subprocess
import unittest

import grpc

import e2e_support as e2e

customer_pb2, customer_service_pb2, customer_service_grpc = e2e.import_stubs()
# import_stubs put BILLING_PY_STUBS on sys.path.
from billing.v1 import contracts_pb2 as cpb  # noqa: E402
from billing.v1 import contract_service_pb2 as cspb  # noqa: E402
from billing.v1 import contract_service_pb2_grpc as csgrpc  # noqa: E402

TIMEOUT = e2e.CALL_TIMEOUT_S
# Deadline of one billingctl run, in seconds (its own call deadline is 30 s).
CTL_TIMEOUT_S = 60.0
CUSTOMER = "E2E-K1"

_keys = itertools.count(1)


def new_key():
    return f"e2e-contracts-{next(_keys)}"


class ContractsE2eTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-contracts-")
        cls.data_dir = os.path.join(cls.workdir, "data")
        cls.start_daemon()
        cls.record_scenario()

    @classmethod
    def start_daemon(cls):
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir)
        cls.channel = e2e.connect(grpc, cls.daemon)
        cls.customers = customer_service_grpc.CustomerServiceStub(cls.channel)
        cls.contracts = csgrpc.ContractServiceStub(cls.channel)

    @classmethod
    def stop_daemon(cls):
        e2e.stop_billingd(cls.daemon, cls.channel)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_daemon()
        finally:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def execute(cls, command, business_date="2026-01-10", key=None):
        return cls.contracts.Execute(
            cspb.ContractCommandRequest(
                idempotency_key=key or new_key(), business_date=business_date,
                command=command),
            timeout=TIMEOUT)

    @classmethod
    def record_scenario(cls):
        cls.customers.CreateCustomer(
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key=new_key(), business_date="2026-01-02",
                customer=customer_pb2.Customer(customer_id=CUSTOMER,
                                               name="Imprimerie Durand")),
            timeout=TIMEOUT)
        cls.answers = {}
        cls.answers["article"] = cls.execute(cpb.ContractCommand(
            customer_id="@reference",
            define_article=cpb.DefineArticle(article=cpb.Article(
                article_code="MAINT", label="Maintenance",
                vat_rate_bp=2000))))
        cls.answers["contract"] = cls.execute(cpb.ContractCommand(
            customer_id=CUSTOMER,
            create_contract=cpb.CreateContract(contract=cpb.Contract(
                contract_ref="K1", contract_family="MAINT",
                billing_family="SERV", start_date="2026-01-01"))))
        cls.answers["flat"] = cls.execute(cpb.ContractCommand(
            customer_id=CUSTOMER,
            create_rule=cpb.CreateRule(rule=cpb.BillingRule(
                contract_ref="K1", rule_id="R1", rule_type=cpb.RULE_TYPE_FLAT,
                object_ids=["EQ-1"], article_code="MAINT",
                unit_price_micros=100_000000, cost_price_micros=60_000000,
                periodicity=cpb.PERIODICITY_MONTHLY,
                timing=cpb.BILLING_TIMING_IN_ADVANCE,
                start_date="2026-01-15"))))
        cls.answers["meter"] = cls.execute(cpb.ContractCommand(
            customer_id=CUSTOMER,
            create_rule=cpb.CreateRule(rule=cpb.BillingRule(
                contract_ref="K1", rule_id="METER",
                rule_type=cpb.RULE_TYPE_CONSUMED_UNITS,
                object_ids=["COPIER-1"], article_code="MAINT",
                unit_price_micros=50000,
                periodicity=cpb.PERIODICITY_MONTHLY))))
        for date, value, kind in (
                ("2026-01-02", 1_000_000, cpb.READING_KIND_INSTALLATION),
                ("2026-02-28", 1_250_000, cpb.READING_KIND_REGULAR)):
            cls.answers[f"reading {date}"] = cls.execute(cpb.ContractCommand(
                customer_id=CUSTOMER,
                record_reading=cpb.RecordReading(reading=cpb.Reading(
                    contract_ref="K1", rule_id="METER", object_id="COPIER-1",
                    reading_date=date, value_milli=value, kind=kind))))
        cls.increase_command = cpb.ContractCommand(
            customer_id=CUSTOMER,
            schedule_increase=cpb.ScheduleIncrease(
                contract_ref="K1", rule_id="R1",
                increase=cpb.PriceIncrease(
                    effective_date="2026-03-01",
                    kind=cpb.INCREASE_KIND_CUSTOM_PERCENT, percent_bp=300,
                    reason="3 % from March")))
        cls.increase_key = new_key()
        cls.answers["increase"] = cls.execute(cls.increase_command,
                                              key=cls.increase_key)

    def due(self, **selection):
        return self.contracts.GetDue(
            cspb.GetDueRequest(customer_id=CUSTOMER, as_of_date="2026-04-01",
                               **selection),
            timeout=TIMEOUT)

    def assert_due(self, report):
        self.assertEqual(report.currency, "EUR")
        self.assertEqual(report.amount_minor, 31550)
        by_rule = {r.rule_id: r for r in report.rules}
        self.assertEqual(sorted(by_rule), ["METER", "R1"])
        flat = by_rule["R1"]
        self.assertEqual(flat.status, cpb.DUE_STATUS_DUE)
        self.assertTrue(flat.catch_up)
        self.assertEqual(
            [(l.period_start, l.period_end, l.unit_price_micros,
              l.amount_minor, l.price_source.seq) for l in flat.lines],
            [("2026-01-15", "2026-02-14", 100_000000, 10000, 0),
             ("2026-02-15", "2026-03-14", 100_000000, 10000, 0),
             ("2026-03-15", "2026-04-14", 103_000000, 10300, 1)])
        self.assertEqual(flat.lines[2].price_source.effective_date,
                         "2026-03-01")
        meter = by_rule["METER"]
        self.assertEqual(meter.status, cpb.DUE_STATUS_DUE)
        self.assertEqual(len(meter.lines), 1)
        line = meter.lines[0]
        self.assertEqual(line.object_id, "COPIER-1")
        self.assertEqual(line.quantity_milli, 250_000)
        self.assertEqual(line.amount_minor, 1250)
        self.assertEqual((line.period_start, line.period_end),
                         ("2026-01-01", "2026-03-31"))
        self.assertEqual(line.from_reading.value_milli, 1_000_000)
        self.assertEqual(line.to_reading.value_milli, 1_250_000)

    # -- cases ------------------------------------------------------------

    def test_answers_carry_what_each_command_changed(self):
        a = self.answers
        self.assertEqual(a["article"].article.version, 1)
        self.assertEqual(a["contract"].contract.holder_id, CUSTOMER)
        self.assertEqual(a["flat"].rule.next_theoretical_date, "2026-01-15")
        self.assertEqual(a["meter"].rule.timing,
                         cpb.BILLING_TIMING_IN_ARREARS)
        self.assertEqual(a["meter"].rule.next_theoretical_date, "2026-02-01")
        self.assertEqual(a["reading 2026-02-28"].reading.seq, 2)
        change = a["increase"].increases[0].change
        self.assertEqual((change.seq, change.old_price_micros,
                          change.new_price_micros),
                         (1, 100_000000, 103_000000))

    def test_due_as_of_april_first(self):
        self.assert_due(self.due())

    def test_due_for_one_rule(self):
        report = self.due(contract_ref="K1", rule_id="METER")
        self.assertEqual([r.rule_id for r in report.rules], ["METER"])
        self.assertEqual(report.amount_minor, 1250)

    def test_increase_history_and_readings(self):
        history = self.contracts.GetIncreaseHistory(
            cspb.GetIncreaseHistoryRequest(
                customer_id=CUSTOMER, contract_ref="K1", rule_id="R1",
                as_of_date="2026-02-15"),
            timeout=TIMEOUT)
        self.assertEqual(history.price_micros, 100_000000)
        self.assertEqual(len(history.entries), 1)
        self.assertTrue(history.entries[0].scheduled)
        readings = self.contracts.ListReadings(
            cspb.ListReadingsRequest(customer_id=CUSTOMER,
                                     object_id="COPIER-1"),
            timeout=TIMEOUT)
        self.assertEqual([r.value_milli for r in readings.readings],
                         [1_000_000, 1_250_000])
        self.assertEqual(readings.meter.installed_value_milli, 1_000_000)

    def test_same_key_twice_records_once(self):
        again = self.execute(self.increase_command, key=self.increase_key)
        self.assertEqual(again, self.answers["increase"])
        rule = self.contracts.GetRule(
            cspb.GetRuleRequest(customer_id=CUSTOMER, contract_ref="K1",
                                rule_id="R1"),
            timeout=TIMEOUT)
        self.assertEqual(len(rule.price_history), 1)

    def test_bad_input_is_refused_with_the_field_and_changes_nothing(self):
        before = self.contracts.GetContract(
            cspb.GetContractRequest(customer_id=CUSTOMER, contract_ref="K1"),
            timeout=TIMEOUT)
        cases = [
            (cpb.ContractCommand(
                customer_id=CUSTOMER,
                create_rule=cpb.CreateRule(rule=cpb.BillingRule(
                    contract_ref="K1", rule_id="BAD",
                    rule_type=cpb.RULE_TYPE_FLAT, object_ids=["EQ-1"],
                    article_code="MAINT", unit_price_micros=-1,
                    periodicity=cpb.PERIODICITY_MONTHLY,
                    timing=cpb.BILLING_TIMING_IN_ADVANCE))),
             "rule.unit_price_micros: -0.000001 is negative"),
            (cpb.ContractCommand(
                customer_id=CUSTOMER,
                create_rule=cpb.CreateRule(rule=cpb.BillingRule(
                    contract_ref="K1", rule_id="BAD",
                    rule_type=cpb.RULE_TYPE_FLAT, object_ids=["EQ-1"],
                    article_code="MAINT",
                    timing=cpb.BILLING_TIMING_IN_ADVANCE))),
             "rule.periodicity: is required (monthly, bimonthly, quarterly, "
             "half-yearly or yearly)"),
            (cpb.ContractCommand(
                customer_id=CUSTOMER,
                record_reading=cpb.RecordReading(reading=cpb.Reading(
                    contract_ref="K1", rule_id="METER", object_id="COPIER-9",
                    reading_date="2026-03-01", value_milli=1,
                    kind=cpb.READING_KIND_REGULAR))),
             'reading.object_id: "COPIER-9" is not covered by rule "METER" '
             "(objects: COPIER-1)"),
            (cpb.ContractCommand(
                customer_id=CUSTOMER,
                schedule_increase=cpb.ScheduleIncrease(
                    contract_ref="K1", rule_id="R1",
                    increase=cpb.PriceIncrease(
                        effective_date="2026-05-01",
                        kind=cpb.INCREASE_KIND_SYNTEC,
                        syntec=cpb.SyntecFormula(a_micros=150000,
                                                 b_micros=800000)))),
             "increase.syntec.b_micros: a + b = 0.150000 + 0.800000 = "
             "0.950000, not 1"),
        ]
        for command, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(grpc.RpcError) as caught:
                    self.execute(command)
                self.assertEqual(caught.exception.code(),
                                 grpc.StatusCode.INVALID_ARGUMENT)
                # The detail, then the rejection's name: " [NAME]".
                detail, _, name = caught.exception.details().rpartition(" [")
                self.assertEqual(detail, message)
                self.assertRegex(name, r"^[A-Z0-9_]+\]$")
        after = self.contracts.GetContract(
            cspb.GetContractRequest(customer_id=CUSTOMER, contract_ref="K1"),
            timeout=TIMEOUT)
        self.assertEqual(after, before)
        self.assert_due(self.due())

    def test_billingctl_shows_the_same_total(self):
        r = subprocess.run(
            [e2e.billingctl_path(), "--server", self.daemon.address, "due",
             "--customer", CUSTOMER, "--date", "2026-04-01"],
            capture_output=True, text=True, timeout=CTL_TIMEOUT_S,
            stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("total due 315.50 EUR", r.stdout)
        self.assertIn("K1/R1  flat  article MAINT  DUE (catch-up)  303.00",
                      r.stdout)

    # Runs last (unittest sorts by name): the state after a restart on the
    # same data_dir gives the same due computation.
    def test_zz_restart_keeps_everything(self):
        type(self).stop_daemon()
        type(self).start_daemon()
        self.assert_due(self.due())


if __name__ == "__main__":
    unittest.main()
