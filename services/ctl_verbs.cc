#include "services/ctl_verbs.h"

#include <grpcpp/generic/generic_stub.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "engine/core/money.h"
#include "google/protobuf/util/json_util.h"

namespace billing::ctl {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;

// --- the table's vocabulary ---

Flag Flag::Absent(std::string v) const {
  Flag f = *this;
  f.absent = std::move(v);
  return f;
}
Flag Flag::Given(std::string v) const {
  Flag f = *this;
  f.given = std::move(v);
  return f;
}
Flag Flag::Group(std::string g) const {
  Flag f = *this;
  f.group = std::move(g);
  return f;
}
Flag Flag::Mode(int m) const {
  Flag f = *this;
  f.mode |= m;
  return f;
}
Flag Flag::Parts(std::vector<std::string> p, std::string form_text) const {
  Flag f = *this;
  f.parts = std::move(p);
  f.form = std::move(form_text);
  return f;
}

namespace {

Flag MakeFlag(std::string name, std::string field, std::string help, int mode) {
  Flag f;
  f.name = std::move(name);
  f.field = std::move(field);
  f.help = std::move(help);
  f.mode = mode;
  return f;
}

}  // namespace

Flag Req(std::string name, std::string field, std::string help) {
  return MakeFlag(std::move(name), std::move(field), std::move(help),
                  kRequired);
}
Flag Opt(std::string name, std::string field, std::string help) {
  return MakeFlag(std::move(name), std::move(field), std::move(help),
                  kOptional);
}
Flag Switch(std::string name, std::string field, std::string help) {
  return MakeFlag(std::move(name), std::move(field), std::move(help), kSwitch);
}
Flag Const(std::string field, std::string value) {
  return MakeFlag("", std::move(field), "", kOptional).Absent(std::move(value));
}

std::vector<Flag> AddressFlags(const std::string& at, std::vector<Flag> head) {
  head.push_back(Opt("--address-line", at + ".lines",
                     "Billing address line (repeat for up to 3 lines)"));
  head.push_back(Opt("--postal-code", at + ".postal_code", "Postal code"));
  head.push_back(Opt("--city", at + ".city", "City"));
  head.push_back(
      Opt("--country", at + ".country_code", "ISO 3166 alpha-2, e.g. FR"));
  return head;
}

ExitCode UsageFail(const absl::Status& status) {
  std::cerr << "error: " << status.message() << std::endl;
  return 2;
}

// --- enums by name ---

namespace {

// CLI spellings kept where they differ from the dashed value name.
const std::pair<absl::string_view, absl::string_view> kSpellings[] = {
    {"BILLING_TIMING_IN_ADVANCE", "advance"},
    {"BILLING_TIMING_IN_ARREARS", "arrears"},
    {"BILL_TO_MODE_INVOICE_BILL_TO", "invoice"},
    {"BILL_TO_MODE_POST_TO_BILL_TO", "post"},
    {"INCREASE_KIND_CUSTOM_PERCENT", "custom"},
};

// RuleType -> "RULE_TYPE_": the prefix of every value's name.
std::string EnumPrefix(const EnumDescriptor& type) {
  std::string out;
  for (char c : type.name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && !out.empty()) {
      out += '_';
    }
    out += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return out + "_";
}

std::string DashedName(const EnumValueDescriptor& value) {
  for (const auto& [name, spelling] : kSpellings) {
    if (value.name() == name) return std::string(spelling);
  }
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, EnumPrefix(*value.type()));
  std::string out = absl::AsciiStrToLower(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

// Every value a person may name: all but *_UNSPECIFIED.
std::vector<std::string> EnumChoices(const EnumDescriptor& type) {
  std::vector<std::string> out;
  for (int i = 0; i < type.value_count(); ++i) {
    if (!absl::EndsWith(type.value(i)->name(), "_UNSPECIFIED")) {
      out.push_back(DashedName(*type.value(i)));
    }
  }
  return out;
}

absl::StatusOr<int> EnumByCliName(const EnumDescriptor& type,
                                  const std::string& flag,
                                  const std::string& text) {
  for (int i = 0; i < type.value_count(); ++i) {
    const EnumValueDescriptor& v = *type.value(i);
    if (!absl::EndsWith(v.name(), "_UNSPECIFIED") && DashedName(v) == text) {
      return v.number();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: \"%s\" is not one of: %s", flag, text,
                      absl::StrJoin(EnumChoices(type), " | ")));
}

}  // namespace

std::string EnumCliName(const EnumDescriptor& type, int number) {
  const EnumValueDescriptor* v = type.FindValueByNumber(number);
  return v != nullptr ? DashedName(*v) : absl::StrCat(number);
}

// --- text into fields ---

namespace {

// Decimals of an integer field by the unit its name ends in; -1 for a whole
// number.
int UnitDecimals(absl::string_view field, int minor_exponent) {
  if (absl::EndsWith(field, "_micros")) return 6;
  if (absl::EndsWith(field, "_milli")) return 3;
  if (absl::EndsWith(field, "_bp")) return 2;
  if (absl::EndsWith(field, "_minor")) return minor_exponent;
  return -1;
}

absl::StatusOr<int64_t> ParseInteger(const FieldDescriptor& field,
                                     const std::string& flag,
                                     const std::string& text,
                                     int minor_exponent) {
  const int decimals = UnitDecimals(field.name(), minor_exponent);
  if (decimals >= 0) {
    return ParseFixedPoint(
        text, decimals, flag,
        absl::StrFormat("a number with at most %d decimals", decimals));
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: \"%s\" is not a whole number", flag, text));
  }
  return v;
}

absl::Status SetInteger(Message* m, const FieldDescriptor* f,
                        const std::string& flag, const std::string& text,
                        int64_t v) {
  const Reflection* r = m->GetReflection();
  const bool add = f->is_repeated();
  auto out_of_range = [&] {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: \"%s\" is out of range", flag, text));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      if (v < INT32_MIN || v > INT32_MAX) return out_of_range();
      add ? r->AddInt32(m, f, static_cast<int32_t>(v))
          : r->SetInt32(m, f, static_cast<int32_t>(v));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT32:
      if (v < 0 || v > UINT32_MAX) return out_of_range();
      add ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
          : r->SetUInt32(m, f, static_cast<uint32_t>(v));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_UINT64:
      if (v < 0) return out_of_range();
      add ? r->AddUInt64(m, f, static_cast<uint64_t>(v))
          : r->SetUInt64(m, f, static_cast<uint64_t>(v));
      return absl::OkStatus();
    default:
      add ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
  }
}

// Stores `text` in field `f` of `m` (appends, on a repeated field).
absl::Status SetText(Message* m, const FieldDescriptor* f,
                     const std::string& flag, const std::string& text,
                     int minor_exponent) {
  const Reflection* r = m->GetReflection();
  const bool add = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      add ? r->AddString(m, f, text) : r->SetString(m, f, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text != "true" && text != "false") {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: \"%s\" is not one of: true | false", flag, text));
      }
      add ? r->AddBool(m, f, text == "true") : r->SetBool(m, f, text == "true");
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      auto v = EnumByCliName(*f->enum_type(), flag, text);
      if (!v.ok()) return v.status();
      add ? r->AddEnumValue(m, f, *v) : r->SetEnumValue(m, f, *v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::InternalError(
          absl::StrFormat("%s: field %s cannot take text", flag, f->name()));
    default: {
      auto v = ParseInteger(*f, flag, text, minor_exponent);
      if (!v.ok()) return v.status();
      return SetInteger(m, f, flag, text, *v);
    }
  }
}

absl::Status ReadJsonFile(const std::string& file, Message* m) {
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError("cannot read " + file);
  const std::string json((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  auto parsed = google::protobuf::util::JsonStringToMessage(json, m);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", std::string(parsed.message())));
  }
  return absl::OkStatus();
}

// --- a verb bound to its request message and to CLI11 ---

struct BoundFlag {
  Flag flag;
  std::vector<const FieldDescriptor*> path;   // request -> leaf
  std::vector<const FieldDescriptor*> parts;  // of the leaf's elements
  std::string mask_name;  // the root's field it changes ("" none)
  bool minor = false;     // a _minor value: needs the currency
  std::string value;
  std::vector<std::string> values;
  CLI::Option* option = nullptr;

  bool Given() const { return option != nullptr && option->count() > 0; }
  const std::string& Name() const {
    return flag.name.empty() ? flag.field : flag.name;
  }
  // What the flag stores: the values given, else the `absent` value (a fresh
  // key for the idempotency key).
  std::vector<std::string> Texts() const {
    if (Given()) {
      if (flag.mode & kSwitch) return {flag.given};
      return path.back()->is_repeated() ? values
                                        : std::vector<std::string>{value};
    }
    if (flag.field == "/idempotency_key") return {NewIdempotencyKey()};
    if (flag.absent.empty()) return {};
    return {flag.absent};
  }
};

struct BoundVerb {
  Verb verb;
  const MethodDescriptor* method = nullptr;
  std::vector<BoundFlag> flags;  // not resized once bound (CLI11 points in)
  CLI::Option* all = nullptr;    // kPaged: --all
};

[[noreturn]] void TableBug(const Verb& verb, const std::string& what) {
  std::cerr << "billingctl: verb \"" << absl::StrJoin(verb.path, " ")
            << "\": " << what << std::endl;
  std::abort();
}

const FieldDescriptor* FieldOf(const Verb& verb, const Descriptor& message,
                               const std::string& name) {
  const FieldDescriptor* f = message.FindFieldByName(name);
  if (f == nullptr) {
    TableBug(verb, absl::StrCat(message.full_name(), " has no field ", name));
  }
  return f;
}

// The fields from the request to the flag's leaf; checks the leaf's shape.
void ResolveFlag(const Verb& verb, const Descriptor& request, BoundFlag* b) {
  absl::string_view field = b->flag.field;
  std::string path(field);
  if (absl::ConsumePrefix(&field, "/")) {
    path = std::string(field);
  } else if (!verb.root.empty()) {
    path = absl::StrCat(verb.root, ".", field);
    b->mask_name = b->flag.field.substr(0, b->flag.field.find('.'));
  }
  const Descriptor* message = &request;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    if (message == nullptr) TableBug(verb, "a path goes through a scalar");
    const FieldDescriptor* f = FieldOf(verb, *message, std::string(name));
    b->path.push_back(f);
    message = f->message_type();
  }
  const FieldDescriptor* leaf = b->path.back();
  for (size_t i = 0; i + 1 < b->path.size(); ++i) {
    if (b->path[i]->is_repeated()) TableBug(verb, "a path goes through a list");
  }
  for (const std::string& part : b->flag.parts) {
    if (message == nullptr) TableBug(verb, "parts of a scalar");
    b->parts.push_back(FieldOf(verb, *message, part));
    b->minor |= absl::EndsWith(part, "_minor");
  }
  b->minor |= absl::EndsWith(leaf->name(), "_minor");
  if (b->minor && (verb.options & kCustomerCurrency) == 0) {
    TableBug(verb, b->Name() +
                       " is in minor units: the verb needs "
                       "kCustomerCurrency");
  }
  const bool is_message = leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  if (is_message != (!b->parts.empty() || (b->flag.mode & kJsonFile) != 0) ||
      ((b->flag.mode & kSwitch) != 0 && leaf->is_repeated())) {
    TableBug(verb, absl::StrCat(b->Name(), " does not fit ", leaf->name()));
  }
  if (b->flag.mode & kNotMasked) b->mask_name.clear();
}

// One "A=B" value into a new element of the repeated message at the leaf.
absl::Status AddParts(Message* parent, const BoundFlag& b,
                      const std::string& text, int minor_exponent) {
  const std::vector<std::string> pieces =
      absl::StrSplit(text, absl::MaxSplits('=', b.parts.size() - 1));
  if (pieces.size() != b.parts.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: \"%s\" is not %s", b.Name(), text, b.flag.form));
  }
  Message* element = parent->GetReflection()->AddMessage(parent, b.path.back());
  for (size_t i = 0; i < pieces.size(); ++i) {
    absl::Status s =
        SetText(element, b.parts[i], b.Name(), pieces[i], minor_exponent);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FillFlag(const BoundFlag& b, int minor_exponent,
                      Message* request) {
  const std::vector<std::string> texts = b.Texts();
  if (texts.empty()) return absl::OkStatus();
  Message* parent = request;
  for (size_t i = 0; i + 1 < b.path.size(); ++i) {
    parent = parent->GetReflection()->MutableMessage(parent, b.path[i]);
  }
  const FieldDescriptor* leaf = b.path.back();
  for (const std::string& text : texts) {
    absl::Status s;
    if (b.flag.mode & kJsonFile) {
      s = ReadJsonFile(text,
                       parent->GetReflection()->MutableMessage(parent, leaf));
    } else if (!b.parts.empty()) {
      s = AddParts(parent, b, text, minor_exponent);
    } else {
      s = SetText(parent, leaf, b.Name(), text, minor_exponent);
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Fills the flags that do (`minor`) or do not need the currency's decimals.
absl::Status FillFlags(const BoundVerb& v, bool minor, int minor_exponent,
                       Message* request) {
  for (const BoundFlag& b : v.flags) {
    if (b.minor != minor) continue;
    absl::Status s = FillFlag(b, minor_exponent, request);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

bool NeedsCurrency(const BoundVerb& v) {
  for (const BoundFlag& b : v.flags) {
    if (b.minor && !b.Texts().empty()) return true;
  }
  return false;
}

// update_mask.paths: the root's fields given, in the table's order, once.
void FillUpdateMask(const BoundVerb& v, Message* request) {
  const Reflection* r = request->GetReflection();
  const FieldDescriptor* mask_field =
      request->GetDescriptor()->FindFieldByName("update_mask");
  Message* mask = r->MutableMessage(request, mask_field);
  const FieldDescriptor* paths =
      mask->GetDescriptor()->FindFieldByName("paths");
  std::vector<std::string> added;
  for (const BoundFlag& b : v.flags) {
    if (b.mask_name.empty() || !b.Given() ||
        std::find(added.begin(), added.end(), b.mask_name) != added.end()) {
      continue;
    }
    added.push_back(b.mask_name);
    mask->GetReflection()->AddString(mask, paths, b.mask_name);
  }
}

// The decimals of the currency of the request's customer (GetCustomer).
grpc::Status CustomerExponent(const Global& g, const Message& request,
                              int* exponent) {
  const Message* m = &request;
  const FieldDescriptor* command =
      m->GetDescriptor()->FindFieldByName("command");
  if (command != nullptr) m = &m->GetReflection()->GetMessage(*m, command);
  const FieldDescriptor* id =
      m->GetDescriptor()->FindFieldByName("customer_id");
  v1::GetCustomerRequest req;
  req.set_customer_id(m->GetReflection()->GetString(*m, id));
  v1::Customer customer;
  auto stub = v1::CustomerService::NewStub(g.Channel());
  grpc::Status s = stub->GetCustomer(g.Context().get(), req, &customer);
  if (!s.ok()) return s;
  auto currency = LookupCurrency(customer.currency(), "customer.currency");
  *exponent = currency.ok() ? currency->exponent : 2;
  return s;
}

// One unary call of `method`, whatever its messages.
grpc::Status CallUnary(const Global& g, const MethodDescriptor& method,
                       const Message& request, Message* response) {
  grpc::GenericStub stub(g.Channel());
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer sent(&slice, 1);
  grpc::ByteBuffer received;
  std::promise<grpc::Status> done;
  auto ctx = g.Context();
  stub.UnaryCall(
      ctx.get(),
      absl::StrCat("/", method.service()->full_name(), "/", method.name()),
      grpc::StubOptions(), &sent, &received,
      [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  (void)received.Dump(&slices);
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(bytes)) {
    return grpc::Status(
        grpc::StatusCode::INTERNAL,
        "the answer is not a " + response->GetDescriptor()->full_name());
  }
  return status;
}

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

// Calls, prints each answer; with --all, page after page.
ExitCode CallAndPrint(const Global& g, const BoundVerb& v, Message* request) {
  const bool all = v.all != nullptr && v.all->count() > 0;
  for (bool first = true;; first = false) {
    std::unique_ptr<Message> response = NewMessage(v.method->output_type());
    grpc::Status s = CallUnary(g, *v.method, *request, response.get());
    if (!s.ok()) return Fail(s);
    if (g.json) {
      std::cout << ToJson(*response) << std::endl;
    } else {
      v.verb.print(Answer{*request, *response, first, all});
    }
    if (!all) return 0;
    const FieldDescriptor* next =
        response->GetDescriptor()->FindFieldByName("next_page_token");
    const std::string token =
        response->GetReflection()->GetString(*response, next);
    if (token.empty()) return 0;
    request->GetReflection()->SetString(
        request, request->GetDescriptor()->FindFieldByName("page_token"),
        token);
  }
}

ExitCode Run(const Global& g, const BoundVerb& v) {
  std::unique_ptr<Message> request = NewMessage(v.method->input_type());
  absl::Status filled = FillFlags(v, false, 0, request.get());
  if (!filled.ok()) return UsageFail(filled);
  if (NeedsCurrency(v)) {
    int exponent = 2;
    grpc::Status s = CustomerExponent(g, *request, &exponent);
    if (!s.ok()) return Fail(s);
    filled = FillFlags(v, true, exponent, request.get());
    if (!filled.ok()) return UsageFail(filled);
  }
  if (v.verb.options & kUpdateMask) FillUpdateMask(v, request.get());
  return CallAndPrint(g, v, request.get());
}

// --- declaring the flags on CLI11 ---

std::string HelpOf(const BoundFlag& b) {
  const FieldDescriptor* leaf = b.path.back();
  if (!b.flag.help.empty() || leaf->enum_type() == nullptr) return b.flag.help;
  return absl::StrJoin(EnumChoices(*leaf->enum_type()), " | ");
}

CLI::Option* AddOption(CLI::App* cmd, BoundFlag* b) {
  if (b->flag.mode & kSwitch) {
    return cmd->add_flag(b->flag.name)->description(HelpOf(*b));
  }
  CLI::Option* o = b->path.back()->is_repeated()
                       ? cmd->add_option(b->flag.name, b->values, HelpOf(*b))
                       : cmd->add_option(b->flag.name, b->value, HelpOf(*b));
  if (b->flag.mode & kCommaList) o->delimiter(',');
  if (b->flag.mode & kRequired) o->required();
  return o;
}

// Flags of one group go in an option group that takes exactly one; flags
// whose fields share a oneof exclude each other.
void AddOptions(CLI::App* cmd, BoundVerb* v) {
  std::map<std::string, CLI::Option_group*> groups;
  for (BoundFlag& b : v->flags) {
    if (b.flag.name.empty()) continue;
    CLI::App* owner = cmd;
    if (!b.flag.group.empty()) {
      CLI::Option_group*& group = groups[b.flag.group];
      if (group == nullptr) {
        group = cmd->add_option_group(b.flag.group, "Exactly one of these");
        group->require_option(1);
      }
      owner = group;
    }
    b.option = AddOption(owner, &b);
  }
  for (BoundFlag& a : v->flags) {
    for (BoundFlag& b : v->flags) {
      const auto* oneof = a.path.back()->containing_oneof();
      if (&a != &b && a.option != nullptr && b.option != nullptr &&
          a.flag.group.empty() && oneof != nullptr &&
          oneof == b.path.back()->containing_oneof()) {
        a.option->excludes(b.option);
      }
    }
  }
  if (v->verb.options & kPaged) {
    v->all = cmd->add_flag("--all")->description("Follow every page");
  }
}

// The flags every command of its kind carries, after the table's own.
std::vector<Flag> CommonFlags(int options) {
  std::vector<Flag> out;
  if (options & kKeyFlag) {
    out.push_back(Opt("--key", "/idempotency_key",
                      "Idempotency key (default: a new random key); reuse it "
                      "to retry safely"));
  }
  if (options & kBusinessDateFlag) {
    out.push_back(Opt("--business-date", "/business_date",
                      "YYYY-MM-DD (default: the server's date)"));
  }
  return out;
}

std::shared_ptr<BoundVerb> Bind(const google::protobuf::FileDescriptor& file,
                                Verb verb) {
  auto v = std::make_shared<BoundVerb>();
  const std::vector<std::string> name = absl::StrSplit(verb.method, '.');
  const auto* service =
      name.size() == 2 ? file.FindServiceByName(name[0]) : nullptr;
  v->method = service != nullptr ? service->FindMethodByName(name[1]) : nullptr;
  if (v->method == nullptr) {
    TableBug(verb, absl::StrCat(file.name(), " has no method ", verb.method));
  }
  for (Flag& f : CommonFlags(verb.options)) verb.flags.push_back(std::move(f));
  v->flags.resize(verb.flags.size());
  for (size_t i = 0; i < verb.flags.size(); ++i) {
    v->flags[i].flag = verb.flags[i];
    ResolveFlag(verb, *v->method->input_type(), &v->flags[i]);
  }
  v->verb = std::move(verb);
  return v;
}

CLI::App* Child(CLI::App* parent, const std::string& name) {
  for (CLI::App* sub :
       parent->get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

}  // namespace

CLI::App* NounAt(CLI::App& app, const std::vector<std::string>& path,
                 const std::string& help) {
  CLI::App* at = &app;
  for (size_t i = 0; i < path.size(); ++i) {
    CLI::App* next = Child(at, path[i]);
    if (next == nullptr) {
      next = at->add_subcommand(path[i], i + 1 == path.size() ? help : "");
      next->require_subcommand(1);
    }
    at = next;
  }
  return at;
}

void RegisterVerbs(CLI::App& app, const Global& g, ExitCode* exit_code,
                   const google::protobuf::FileDescriptor& service_file,
                   const std::vector<Noun>& nouns, std::vector<Verb> verbs) {
  for (const Noun& n : nouns) NounAt(app, n.path, n.help);
  for (Verb& verb : verbs) {
    std::shared_ptr<BoundVerb> v = Bind(service_file, std::move(verb));
    const std::vector<std::string>& path = v->verb.path;
    CLI::App* parent =
        NounAt(app, std::vector<std::string>(path.begin(), path.end() - 1), "");
    CLI::App* cmd = parent->add_subcommand(path.back(), v->verb.help);
    AddOptions(cmd, v.get());
    cmd->callback([&g, exit_code, v] { *exit_code = Run(g, *v); });
  }
}

}  // namespace billing::ctl
