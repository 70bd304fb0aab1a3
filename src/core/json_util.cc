#include "core/json_util.hh"

#include <algorithm>
#include <set>
#include <vector>

#include "core/result.hh"

namespace fedihost::jsonutil {
namespace {

void write(const json::value& v, std::string& out, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(d * indent), ' ');
  };
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      std::vector<const json::key_value_pair*> members;
      for (auto& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (auto* kv : members) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        out += json::serialize(json::string(kv->key()));
        out += indent < 0 ? ":" : ": ";
        write(kv->value(), out, indent, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (auto& e : a) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        write(e, out, indent, depth + 1);
      }
      newline(depth);
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string canonical(const json::value& v) {
  std::string out;
  write(v, out, 2, 0);
  out += '\n';
  return out;
}

std::string canonicalCompact(const json::value& v) {
  std::string out;
  write(v, out, -1, 0);
  return out;
}

json::value parseTrusted(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) throw AbortError({ErrorKind::Internal, "stored JSON is corrupt: " + ec.message(), {}});
  return v;
}

const char* kindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "something else";
}

std::vector<std::string> changedMembers(const json::object& a, const json::object& b) {
  std::set<std::string> names;
  for (auto& kv : a) {
    auto* other = b.if_contains(kv.key());
    if (!other || *other != kv.value()) names.insert(std::string(kv.key()));
  }
  for (auto& kv : b)
    if (!a.contains(kv.key())) names.insert(std::string(kv.key()));
  return {names.begin(), names.end()};
}

}  // namespace fedihost::jsonutil
