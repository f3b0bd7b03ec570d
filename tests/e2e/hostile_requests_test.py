"""Hostile unary requests at the gRPC edge.

billingd runs on the embedded journal; grpcio sends what a hostile client
would: strings far over their limits, and raw protobuf bytes whose `string`
fields are not UTF-8 (proto3 refuses to parse them, so no handler runs).

Expected, for every such request: INVALID_ARGUMENT naming the field, a
message of at most STATUS_MESSAGE_MAX bytes that quotes at most a short
prefix of the value, and nothing written (the customer list is unchanged).
The raw requests are valid messages built with the stubs in which a marker
is replaced by bad bytes of the same length, so that every length prefix
stays right and only the UTF-8 check can fail.
"""

import os
import shutil
import unittest

import grpc

import e2e_support as e2e

customer_pb2, customer_service_pb2, customer_service_grpc = e2e.import_stubs()

from billing.v1 import contract_service_pb2 as cspb  # noqa: E402
from billing.v1 import contract_service_pb2_grpc as csgrpc  # noqa: E402
from billing.v1 import contracts_pb2 as cpb  # noqa: E402
from billing.v1 import structure_pb2 as spb  # noqa: E402
from billing.v1 import structure_service_pb2 as sspb  # noqa: E402
from billing.v1 import structure_service_pb2_grpc as ssgrpc  # noqa: E402

TIMEOUT = e2e.CALL_TIMEOUT_S
CUSTOMER = "HOSTILE"
# The most bytes of a status message (services/status_map.h).
STATUS_MESSAGE_MAX = 1024
# The most bytes of an outside value a message quotes (engine/core/validation.h).
QUOTE_PREFIX_MAX = 40
# Replaced, in serialized requests, by bad bytes of the same length.
MARK = "QQQQQQ"
BAD_BYTES = {
    "xff": b"ab\xffcde",          # never valid in UTF-8
    "overlong": b"ab\xc0\xafde",  # "/" in two bytes (overlong)
    "surrogate": b"ab\xed\xa0\x80c",  # U+D800, a UTF-16 surrogate
}
CUSTOMER_SERVICE = "/billing.v1.CustomerService/"
STRUCTURE_SERVICE = "/billing.v1.BillingStructureService/"
CONTRACT_SERVICE = "/billing.v1.ContractService/"


def serialized_with(message, bad):
    """`message` serialized, its one MARK replaced by `bad` (same length)."""
    raw = message.SerializeToString()
    mark = MARK.encode()
    assert raw.count(mark) == 1, raw
    assert len(bad) == len(mark)
    return raw.replace(mark, bad)


class HostileRequestsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-hostile-")
        cls.daemon = e2e.Billingd(os.path.join(cls.workdir, "data"),
                                  cls.workdir)
        cls.channel = e2e.connect(grpc, cls.daemon)
        cls.customers = customer_service_grpc.CustomerServiceStub(cls.channel)
        cls.structure = ssgrpc.BillingStructureServiceStub(cls.channel)
        cls.contracts = csgrpc.ContractServiceStub(cls.channel)
        cls.customers.CreateCustomer(
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key="hostile-setup-1",
                customer=customer_pb2.Customer(customer_id=CUSTOMER,
                                               name="Hostile Tester")),
            timeout=TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        try:
            e2e.stop_billingd(cls.daemon, cls.channel)
        finally:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- helpers ----------------------------------------------------------

    def all_customers(self):
        return self.customers.ListCustomers(
            customer_service_pb2.ListCustomersRequest(page_size=1000),
            timeout=TIMEOUT)

    def refused(self, call, field, *also_in_message):
        """`call()` must fail INVALID_ARGUMENT naming `field`, change nothing
        and answer a short message; returns the message."""
        before = self.all_customers()
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        e = caught.exception
        message = e.details() or ""
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         f"{e.code()}: {message[:300]!r}")
        self.assertIn(field, message)
        for part in also_in_message:
            self.assertIn(part, message)
        self.assertLessEqual(len(message.encode()), STATUS_MESSAGE_MAX)
        self.assertEqual(self.all_customers(), before)
        return message

    def raw_call(self, method, payload):
        call = self.channel.unary_unary(method, request_serializer=None,
                                        response_deserializer=None)
        return lambda: call(payload, timeout=TIMEOUT)

    # -- finding 7: long strings -------------------------------------------

    # 8,000 characters, each one allowed in a code: only the length is
    # wrong. The message names the field and the length, and quotes at most
    # a short prefix (not 8,000 characters).
    def test_8000_character_customer_id_is_refused_with_a_short_message(self):
        long_id = "C" * 8000
        message = self.refused(
            lambda: self.customers.GetCustomer(
                customer_service_pb2.GetCustomerRequest(customer_id=long_id),
                timeout=TIMEOUT),
            "customer_id: ", "8000")
        self.assertNotIn("C" * (QUOTE_PREFIX_MAX + 1), message)

    def test_10kb_id_on_create_is_refused_naming_the_field(self):
        long_id = "C" * 10240
        message = self.refused(
            lambda: self.customers.CreateCustomer(
                customer_service_pb2.CreateCustomerRequest(
                    idempotency_key="hostile-long-id",
                    customer=customer_pb2.Customer(customer_id=long_id,
                                                   name="Long")),
                timeout=TIMEOUT),
            "customer.customer_id: ", "10240")
        self.assertNotIn("C" * (QUOTE_PREFIX_MAX + 1), message)

    def test_10kb_contract_family_is_refused_naming_the_field(self):
        family = "F" * 10240
        message = self.refused(
            lambda: self.contracts.Execute(
                cspb.ContractCommandRequest(
                    idempotency_key="hostile-long-family",
                    command=cpb.ContractCommand(
                        customer_id=CUSTOMER,
                        create_contract=cpb.CreateContract(
                            contract=cpb.Contract(
                                contract_ref="K1", contract_family=family,
                                billing_family="SERV",
                                start_date="2026-01-01")))),
                timeout=TIMEOUT),
            "contract.contract_family: ", "10240")
        self.assertNotIn("F" * (QUOTE_PREFIX_MAX + 1), message)

    def test_10kb_update_mask_path_is_quoted_short(self):
        path = "p" * 10240
        message = self.refused(
            lambda: self.customers.UpdateCustomer(
                customer_service_pb2.UpdateCustomerRequest(
                    idempotency_key="hostile-long-path",
                    customer=customer_pb2.Customer(customer_id=CUSTOMER),
                    update_mask={"paths": [path]}),
                timeout=TIMEOUT),
            "update_mask.paths[0]: ", "10240")
        self.assertNotIn("p" * (QUOTE_PREFIX_MAX + 1), message)

    def test_10kb_idempotency_key_entity_name_and_label_are_refused(self):
        big = "k" * 10240
        self.refused(
            lambda: self.customers.CreateCustomer(
                customer_service_pb2.CreateCustomerRequest(
                    idempotency_key=big,
                    customer=customer_pb2.Customer(customer_id="LONGKEY",
                                                   name="Long key")),
                timeout=TIMEOUT),
            "idempotency_key: ", "10240")
        self.refused(
            lambda: self.structure.CreateBillingEntity(
                sspb.CreateBillingEntityRequest(
                    idempotency_key="hostile-long-entity-name",
                    customer_id=CUSTOMER,
                    entity=spb.BillingEntity(entity_id="E1", name=big)),
                timeout=TIMEOUT),
            "entity.name: ", "10240")
        self.refused(
            lambda: self.structure.CreateObject(
                sspb.CreateObjectRequest(
                    idempotency_key="hostile-long-label",
                    customer_id=CUSTOMER,
                    object=spb.BillableObject(
                        object_id="A1", kind=spb.OBJECT_KIND_ACCOUNT,
                        label=big)),
                timeout=TIMEOUT),
            "object.label: ", "10240")

    # -- finding 8: non-UTF-8 in unary requests ----------------------------

    def check_each_bad_sequence(self, method, message, field):
        for name, bad in BAD_BYTES.items():
            with self.subTest(bad=name):
                self.refused(self.raw_call(method,
                                           serialized_with(message, bad)),
                             field, "UTF-8")

    def test_non_utf8_customer_name(self):
        self.check_each_bad_sequence(
            CUSTOMER_SERVICE + "CreateCustomer",
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key="hostile-utf8-name",
                customer=customer_pb2.Customer(customer_id="U1", name=MARK)),
            "customer.name: ")

    def test_non_utf8_customer_id(self):
        self.check_each_bad_sequence(
            CUSTOMER_SERVICE + "CreateCustomer",
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key="hostile-utf8-id",
                customer=customer_pb2.Customer(customer_id=MARK, name="U")),
            "customer.customer_id: ")
        self.check_each_bad_sequence(
            CUSTOMER_SERVICE + "GetCustomer",
            customer_service_pb2.GetCustomerRequest(customer_id=MARK),
            "customer_id: ")

    def test_non_utf8_idempotency_key(self):
        self.check_each_bad_sequence(
            CUSTOMER_SERVICE + "CreateCustomer",
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key=MARK,
                customer=customer_pb2.Customer(customer_id="U2", name="U")),
            "idempotency_key: ")

    def test_non_utf8_entity_name(self):
        self.check_each_bad_sequence(
            STRUCTURE_SERVICE + "CreateBillingEntity",
            sspb.CreateBillingEntityRequest(
                idempotency_key="hostile-utf8-entity", customer_id=CUSTOMER,
                entity=spb.BillingEntity(entity_id="E2", name=MARK)),
            "entity.name: ")

    def test_non_utf8_object_label(self):
        self.check_each_bad_sequence(
            STRUCTURE_SERVICE + "CreateObject",
            sspb.CreateObjectRequest(
                idempotency_key="hostile-utf8-label", customer_id=CUSTOMER,
                object=spb.BillableObject(object_id="A2",
                                          kind=spb.OBJECT_KIND_ACCOUNT,
                                          label=MARK)),
            "object.label: ")

    def test_non_utf8_contract_family(self):
        self.check_each_bad_sequence(
            CONTRACT_SERVICE + "Execute",
            cspb.ContractCommandRequest(
                idempotency_key="hostile-utf8-family",
                command=cpb.ContractCommand(
                    customer_id=CUSTOMER,
                    create_contract=cpb.CreateContract(contract=cpb.Contract(
                        contract_ref="K2", contract_family=MARK,
                        billing_family="SERV", start_date="2026-01-01")))),
            "command.create_contract.contract.contract_family: ")

    def test_non_utf8_increase_reason(self):
        self.check_each_bad_sequence(
            CONTRACT_SERVICE + "Execute",
            cspb.ContractCommandRequest(
                idempotency_key="hostile-utf8-reason",
                command=cpb.ContractCommand(
                    customer_id=CUSTOMER,
                    schedule_increase=cpb.ScheduleIncrease(
                        contract_ref="K1", rule_id="R1",
                        increase=cpb.PriceIncrease(
                            effective_date="2026-03-01",
                            kind=cpb.INCREASE_KIND_CUSTOM_PERCENT,
                            percent_bp=300, reason=MARK)))),
            "command.schedule_increase.increase.reason: ")

    # Bytes that are not a protobuf message at all name no field: the
    # request as a whole, and the message type it should have been.
    def test_bytes_that_are_no_message_name_the_request_type(self):
        self.refused(self.raw_call(CUSTOMER_SERVICE + "CreateCustomer",
                                   b"\xff\xff\xff\xff"),
                     "request: ", "billing.v1.CreateCustomerRequest")

    # The field of one refused request never leaks into the next answer:
    # a bad name, then bytes that are no message, then a good request.
    def test_a_refusal_does_not_leak_into_the_next_call(self):
        bad_name = serialized_with(
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key="hostile-leak-1",
                customer=customer_pb2.Customer(customer_id="U3", name=MARK)),
            BAD_BYTES["xff"])
        for _ in range(3):
            self.refused(self.raw_call(CUSTOMER_SERVICE + "CreateCustomer",
                                       bad_name), "customer.name: ")
            message = self.refused(
                self.raw_call(CUSTOMER_SERVICE + "CreateCustomer",
                              b"\xff\xff\xff\xff"), "request: ")
            self.assertNotIn("name", message)
        got = self.customers.GetCustomer(
            customer_service_pb2.GetCustomerRequest(customer_id=CUSTOMER),
            timeout=TIMEOUT)
        self.assertEqual(got.name, "Hostile Tester")

    # -- smaller findings --------------------------------------------------

    def test_invisible_names_are_refused(self):
        for name, text in (("three spaces", "   "),
                           ("zero-width space", "Acme\u200b"),
                           ("RTL override", "Acme\u202eCorp")):
            with self.subTest(name=name):
                self.refused(
                    lambda: self.customers.CreateCustomer(
                        customer_service_pb2.CreateCustomerRequest(
                            idempotency_key="hostile-invisible-" +
                            str(len(text)),
                            customer=customer_pb2.Customer(
                                customer_id="INVIS", name=text)),
                        timeout=TIMEOUT),
                    "customer.name: ")

    def test_object_kind_99_is_not_a_known_kind(self):
        self.refused(
            lambda: self.structure.CreateObject(
                sspb.CreateObjectRequest(
                    idempotency_key="hostile-kind-99", customer_id=CUSTOMER,
                    object=spb.BillableObject(object_id="K99", kind=99)),
                timeout=TIMEOUT),
            "object.kind: ", "99", "not a known")


if __name__ == "__main__":
    unittest.main(verbosity=2)
