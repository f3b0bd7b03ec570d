#include "services/outside_text.h"

#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/core/validation.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/unknown_field_set.h"

namespace billing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t SequenceLength(absl::string_view s, size_t i) {
  uint32_t cp = 0;
  return DecodeUtf8(s, i, &cp);
}

bool IsBadText(absl::string_view s, absl::string_view also_bad) {
  return !IsValidUtf8(s) ||
         (!also_bad.empty() && absl::StrContains(s, also_bad));
}

std::string MapPath(absl::string_view path, const FieldDescriptor& field,
                    absl::string_view key) {
  return absl::StrCat(path, ".", field.name(), "[", QuoteValue(key), "]");
}

std::optional<std::string> BadInMapEntry(const Message& entry,
                                         absl::string_view path,
                                         const FieldDescriptor& map_field,
                                         absl::string_view also_bad) {
  const Descriptor* type = entry.GetDescriptor();
  const FieldDescriptor* key = type->map_key();
  const FieldDescriptor* value = type->map_value();
  const auto* reflection = entry.GetReflection();
  std::string key_text;
  if (key->type() == FieldDescriptor::TYPE_STRING) {
    key_text = reflection->GetString(entry, key);
    if (IsBadText(key_text, also_bad)) {
      return absl::StrCat(path, ".", map_field.name(), " key ",
                          QuoteValue(key_text));
    }
  }
  if (value->type() == FieldDescriptor::TYPE_STRING &&
      IsBadText(reflection->GetString(entry, value), also_bad)) {
    return MapPath(path, map_field, key_text);
  }
  if (value->type() == FieldDescriptor::TYPE_MESSAGE) {
    return FirstBadStringField(reflection->GetMessage(entry, value),
                               MapPath(path, map_field, key_text), also_bad);
  }
  return std::nullopt;
}

std::optional<std::string> BadInWireMapEntry(const FieldDescriptor& map_field,
                                             absl::string_view wire,
                                             absl::string_view path) {
  UnknownFieldSet entry;
  if (!entry.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return std::nullopt;
  }
  const Descriptor& type = *map_field.message_type();
  std::string key;
  for (int i = 0; i < entry.field_count(); ++i) {
    const UnknownField& u = entry.field(i);
    if (u.number() == 1 && u.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      key = u.length_delimited();
    }
  }
  if (type.map_key()->type() == FieldDescriptor::TYPE_STRING &&
      !IsValidUtf8(key)) {
    return absl::StrCat(path, ".", map_field.name(), " key ", QuoteValue(key));
  }
  const FieldDescriptor* value = type.map_value();
  for (int i = 0; i < entry.field_count(); ++i) {
    const UnknownField& u = entry.field(i);
    if (u.number() != 2 || u.type() != UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    if (value->type() == FieldDescriptor::TYPE_STRING &&
        !IsValidUtf8(u.length_delimited())) {
      return MapPath(path, map_field, key);
    }
    if (value->type() == FieldDescriptor::TYPE_MESSAGE) {
      return FirstBadStringFieldInWire(*value->message_type(),
                                       u.length_delimited(),
                                       MapPath(path, map_field, key));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string ReplaceNonUtf8(absl::string_view s, absl::string_view with) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = SequenceLength(s, i);
    if (len == 0) {
      absl::StrAppend(&out, with);
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::string BoundedText(absl::string_view text, size_t bytes_max) {
  if (!IsValidUtf8(text)) {
    std::string escaped = absl::CHexEscape(text);
    if (escaped.size() <= bytes_max) return escaped;
    return absl::StrCat(escaped.substr(0, bytes_max), "...");
  }
  if (text.size() <= bytes_max) return std::string(text);
  size_t end = 0;
  while (end < text.size()) {
    const size_t len = SequenceLength(text, end);
    if (end + len > bytes_max) break;
    end += len;
  }
  return absl::StrCat(text.substr(0, end), "...");
}

std::optional<std::string> FirstBadStringField(const Message& message,
                                               absl::string_view path,
                                               absl::string_view also_bad) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_map()) {
      for (int i = 0; i < reflection->FieldSize(message, f); ++i) {
        auto bad = BadInMapEntry(reflection->GetRepeatedMessage(message, f, i),
                                 path, *f, also_bad);
        if (bad.has_value()) return bad;
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      const int n = f->is_repeated() ? reflection->FieldSize(message, f) : 1;
      for (int i = 0; i < n; ++i) {
        const std::string v = f->is_repeated()
                                  ? reflection->GetRepeatedString(message, f, i)
                                  : reflection->GetString(message, f);
        if (IsBadText(v, also_bad)) return absl::StrCat(path, ".", f->name());
      }
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      const int n = f->is_repeated() ? reflection->FieldSize(message, f) : 1;
      for (int i = 0; i < n; ++i) {
        const Message& sub = f->is_repeated()
                                 ? reflection->GetRepeatedMessage(message, f, i)
                                 : reflection->GetMessage(message, f);
        auto bad = FirstBadStringField(sub, absl::StrCat(path, ".", f->name()),
                                       also_bad);
        if (bad.has_value()) return bad;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> FirstBadStringFieldInWire(const Descriptor& type,
                                                     absl::string_view wire,
                                                     absl::string_view path) {
  UnknownFieldSet fields;
  if (!fields.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return std::nullopt;
  }
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& u = fields.field(i);
    const FieldDescriptor* f = type.FindFieldByNumber(u.number());
    if (f == nullptr || u.type() != UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    const std::string& bytes = u.length_delimited();
    if (f->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(bytes)) {
      return absl::StrCat(path, ".", f->name());
    }
    if (f->is_map()) {
      auto bad = BadInWireMapEntry(*f, bytes, path);
      if (bad.has_value()) return bad;
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      auto bad = FirstBadStringFieldInWire(*f->message_type(), bytes,
                                           absl::StrCat(path, ".", f->name()));
      if (bad.has_value()) return bad;
    }
  }
  return std::nullopt;
}

}  // namespace billing
