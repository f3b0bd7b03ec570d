#include "documents/invoice_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "documents/french_format.h"

namespace billing::documents {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string FieldPath(const std::string& prefix, const FieldDescriptor* f,
                      int index) {
  std::string path =
      prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
  if (index >= 0) absl::StrAppend(&path, "[", index, "]");
  return path;
}

// The path of the first string field (repeated and nested ones included)
// whose value is not valid UTF-8.
std::optional<std::string> FirstInvalidString(const Message& m,
                                              const std::string& prefix) {
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const bool repeated = f->is_repeated();
    const int n = repeated ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const int index = repeated ? i : -1;
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& v =
            repeated ? r->GetRepeatedStringReference(m, f, i, &scratch)
                     : r->GetStringReference(m, f, &scratch);
        if (!IsValidUtf8(v)) return FieldPath(prefix, f, index);
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& sub =
            repeated ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
        if (auto bad = FirstInvalidString(sub, FieldPath(prefix, f, index))) {
          return bad;
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::string> RenderInvoiceJson(const v1::InvoiceDocument& doc) {
  if (auto bad = FirstInvalidString(doc, "")) {
    return absl::InvalidArgumentError(
        absl::StrCat("documents: JSON of invoice ", CleanText(doc.number()),
                     ": ", *bad, " is not valid UTF-8"));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status =
      google::protobuf::util::MessageToJsonString(doc, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("documents: JSON of invoice ",
                                            CleanText(doc.number()), ": ",
                                            std::string(status.message())));
  }
  return out;
}

}  // namespace billing::documents
