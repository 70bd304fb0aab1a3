#include "config/options.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/private_file.hh"
#include "secrets/reference.hh"

namespace fedihost::config {
namespace {

[[noreturn]] void programmingError(const std::string& message) {
  throw AbortError({ErrorKind::Internal, message, {}});
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string tomlValue(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return quote(*s);
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  std::string out = "[";
  for (auto& e : std::get<std::vector<std::string>>(v)) out += (out.size() > 1 ? ", " : "") + quote(e);
  return out + "]";
}

std::string typeDoc(const Option& o) {
  switch (o.type) {
    case Type::String:
      if (!o.choices.empty()) {
        std::string s;
        for (auto& c : o.choices) s += (s.empty() ? "" : " \\| ") + ("`" + c + "`");
        return "one of " + s;
      }
      return o.secret ? "secret" : "string";
    case Type::Integer: return "integer " + std::to_string(o.min) + "–" + std::to_string(o.max);
    case Type::Boolean: return "boolean";
    case Type::StringList: return "list of strings";
  }
  return "";
}

std::string typeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number with a fraction";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

std::string expected(const Option& o) {
  switch (o.type) {
    case Type::String: return "a string";
    case Type::Integer: return "an integer";
    case Type::Boolean: return "true or false";
    case Type::StringList: return "an array of strings";
  }
  return "";
}

Error at(const std::string& source, const toml::source_region& where, const std::string& message) {
  return Error::invalid(source, source + ":" + std::to_string(where.begin.line) + ": " + message);
}

/// Checks a value against its option's range and choices; "" if fine, else why not.
std::string checkValue(const Option& o, const Value& v) {
  if (o.type == Type::Integer) {
    auto i = std::get<std::int64_t>(v);
    if (i < o.min || i > o.max)
      return o.name() + " must be from " + std::to_string(o.min) + " to " + std::to_string(o.max) + ", not " +
             std::to_string(i);
  }
  if (o.type == Type::String && !o.choices.empty()) {
    auto& s = std::get<std::string>(v);
    if (std::find(o.choices.begin(), o.choices.end(), s) == o.choices.end()) {
      std::string known;
      for (auto& c : o.choices) known += (known.empty() ? "" : ", ") + c;
      return o.name() + " must be one of " + known + ", not \"" + s + "\"";
    }
  }
  return {};
}

}  // namespace

std::string Option::envName() const { return "FEDIHOST_" + upper(key) + "_FILE"; }

std::string Option::credentialName() const {
  std::string s = key;
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

std::string_view toString(Origin o) {
  switch (o) {
    case Origin::Default: return "default";
    case Origin::File: return "file";
    case Origin::Environment: return "environment";
    case Origin::Credential: return "credential";
    case Origin::CommandLine: return "command line";
  }
  return "";
}

// ---------------------------------------------------------------- Config

Config::Config(const std::vector<Option>& options) : options_(&options) {
  for (auto& o : options) values_.emplace(o.name(), Setting{o.defaultValue, Origin::Default, {}});
}

const Option* Config::option(std::string_view name) const {
  for (auto& o : *options_)
    if (o.name() == name) return &o;
  return nullptr;
}

const Setting& Config::setting(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) programmingError("no configuration option " + std::string(name));
  return it->second;
}

const std::string& Config::string(std::string_view name) const {
  auto* v = std::get_if<std::string>(&setting(name).value);
  if (!v) programmingError(std::string(name) + " is not a string option");
  return *v;
}

std::int64_t Config::integer(std::string_view name) const {
  auto* v = std::get_if<std::int64_t>(&setting(name).value);
  if (!v) programmingError(std::string(name) + " is not an integer option");
  return *v;
}

bool Config::boolean(std::string_view name) const {
  auto* v = std::get_if<bool>(&setting(name).value);
  if (!v) programmingError(std::string(name) + " is not a boolean option");
  return *v;
}

const std::vector<std::string>& Config::strings(std::string_view name) const {
  auto* v = std::get_if<std::vector<std::string>>(&setting(name).value);
  if (!v) programmingError(std::string(name) + " is not a list option");
  return *v;
}

void Config::set(std::string_view name, Value value, Origin origin, std::string detail) {
  auto it = values_.find(name);
  if (it == values_.end()) programmingError("no configuration option " + std::string(name));
  if (value.index() != it->second.value.index()) programmingError(std::string(name) + ": a value of another type");
  it->second = Setting{std::move(value), origin, std::move(detail)};
}

std::string Config::render() const {
  std::ostringstream out;
  std::string section = "\x01";
  for (auto& o : *options_) {
    if (o.section != section) {
      section = o.section;
      if (!section.empty()) out << "\n[" << section << "]\n";
    }
    auto& s = setting(o.name());
    std::string origin(toString(s.origin));
    if (!s.detail.empty()) origin += " " + s.detail;
    if (o.secret) {
      bool set = !std::get<std::string>(s.value).empty();
      out << "# " << o.key << " = " << (set ? "(secret, redacted)" : "(not set)") << "  # " << origin << "\n";
    } else {
      out << o.key << " = " << tomlValue(s.value) << "  # " << origin << "\n";
    }
  }
  return out.str();
}

// ---------------------------------------------------------------- TOML

Result<void> readToml(Config& config, std::string_view text, const std::string& source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return at(source, e.source(), "not valid TOML: " + std::string(e.description()));
  }
  // Sections in the table's order, and the keys each one knows.
  std::map<std::string, std::vector<const Option*>> sections;
  for (auto& o : config.options()) sections[o.section].push_back(&o);
  auto knownKeys = [&](const std::string& section) {
    std::string s;
    for (auto* o : sections[section]) s += (s.empty() ? "" : ", ") + o->key;
    for (auto& [name, _] : sections)
      if (section.empty() && !name.empty()) s += ", [" + name + "]";
    return s;
  };

  auto readKey = [&](const std::string& section, const toml::key& key, const toml::node& node) -> Result<void> {
    const std::string name = section.empty() ? std::string(key.str()) : section + "." + std::string(key.str());
    const Option* o = nullptr;
    for (auto* candidate : sections[section])
      if (candidate->key == key.str()) o = candidate;
    if (!o)
      return at(source, key.source(),
                "unknown key " + name + (section.empty() ? " at the top level" : " in [" + section + "]") +
                    " (known: " + knownKeys(section) + ")");
    const std::string detail = source + ":" + std::to_string(key.source().begin.line);
    Value v;
    if (o->secret) {
      // A secret is never written in clear here: a reference to a file or a systemd credential.
      const auto* t = node.as_table();
      std::string kind, ref;
      if (t && t->size() == 1) {
        auto first = t->begin();  // its iterator holds the pair it gives
        auto&& [k, inner] = *first;
        kind = std::string(k.str());
        if (auto* s = inner.as_string()) ref = s->get();
      }
      if ((kind != "file" && kind != "credential") || ref.empty())
        return at(source, node.source(),
                  name + " is a secret: give { file = \"/path\" } or { credential = \"name\" }, or set " +
                      o->envName() + " (never the secret itself in this file)");
      auto clear = kind == "file" ? secrets::readSecretFile(ref, name)
                                  : secrets::readCredential(ref, name, std::getenv("CREDENTIALS_DIRECTORY"));
      if (!clear) return at(source, node.source(), name + ": " + clear.error().message);
      config.set(o->name(), Value(std::move(*clear)), Origin::File, detail + " (" + kind + " " + ref + ")");
      return {};
    }
    switch (o->type) {
      case Type::String:
        if (auto* s = node.as_string()) v = s->get();
        break;
      case Type::Integer:
        if (auto* i = node.as_integer()) v = i->get();
        break;
      case Type::Boolean:
        if (auto* b = node.as_boolean()) v = b->get();
        break;
      case Type::StringList:
        if (auto* a = node.as_array()) {
          std::vector<std::string> list;
          bool ok = true;
          for (auto& e : *a) {
            if (auto* s = e.as_string()) list.push_back(s->get());
            else ok = false;
          }
          if (ok) v = std::move(list);
        }
        break;
    }
    const bool typed = (o->type == Type::String && std::holds_alternative<std::string>(v) && node.is_string()) ||
                       (o->type == Type::Integer && std::holds_alternative<std::int64_t>(v)) ||
                       (o->type == Type::Boolean && std::holds_alternative<bool>(v)) ||
                       (o->type == Type::StringList && std::holds_alternative<std::vector<std::string>>(v));
    if (!typed) return at(source, node.source(), name + " must be " + expected(*o) + ", not " + typeName(node));
    if (auto why = checkValue(*o, v); !why.empty()) return at(source, node.source(), why);
    config.set(o->name(), std::move(v), Origin::File, detail);
    return {};
  };

  for (auto&& [key, node] : doc) {
    std::string k(key.str());
    if (auto* table = node.as_table(); table && sections.count(k) && !k.empty()) {
      for (auto&& [innerKey, innerNode] : *table)
        if (auto ok = readKey(k, innerKey, innerNode); !ok) return ok;
      continue;
    }
    if (node.is_table() && !config.option(k))
      return at(source, key.source(), "unknown section [" + k + "] (known: " + knownKeys("") + ")");
    if (auto ok = readKey("", key, node); !ok) return ok;
  }
  return {};
}

Result<void> readTomlFile(Config& config, const std::filesystem::path& file) {
  auto text = files::readFile(file);
  if (!text) return Error::invalid("config", text.error().message);
  if (!*text) return Error::invalid("config", "no configuration file " + file.string());
  return readToml(config, **text, file.string());
}

// ---------------------------------------------------------------- environment

Result<void> readSecretsFromEnvironment(Config& config, const Getenv& getenv) {
  for (auto& o : config.options()) {
    if (!o.secret || config.setting(o.name()).origin == Origin::CommandLine) continue;
    const auto env = o.envName();
    if (const char* path = getenv(env.c_str()); path && *path) {
      auto clear = secrets::readSecretFile(path, o.name());
      if (!clear) return Error::invalid(o.name(), env + ": " + clear.error().message);
      config.set(o.name(), Value(std::move(*clear)), Origin::Environment, env + "=" + path);
      continue;
    }
    if (config.setting(o.name()).origin != Origin::Default) continue;  // the file named it
    const char* dir = getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) continue;
    auto path = std::filesystem::path(dir) / o.credentialName();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    auto clear = secrets::readSecretFile(path, o.name());
    if (!clear) return Error::invalid(o.name(), "credential " + o.credentialName() + ": " + clear.error().message);
    config.set(o.name(), Value(std::move(*clear)), Origin::Credential, o.credentialName());
  }
  return {};
}

// ---------------------------------------------------------------- command line

CommandLine::CommandLine(CLI::App& app, const std::vector<Option>& options) {
  for (auto& o : options) {
    if (o.flag.empty()) continue;
    auto& slot = slots_.emplace_back();
    slot.option = &o;
    std::string help = o.help;
    std::string def = o.defaultDoc.empty() ? tomlValue(o.defaultValue) : o.defaultDoc;
    if (o.type != Type::Boolean && def != "\"\"" && def != "[]") help += " [default: " + def + "]";
    help += " (file: " + o.name() + ")";
    switch (o.type) {
      case Type::String:
        slot.cli = app.add_option(o.flag, slot.text, help);
        if (!o.choices.empty()) slot.cli->check(CLI::IsMember(o.choices));
        break;
      case Type::Integer:
        slot.cli = app.add_option(o.flag, slot.integer, help)->check(CLI::Range(o.min, o.max));
        break;
      case Type::Boolean:
        slot.cli = app.add_flag(o.flag + ",!--no-" + o.flag.substr(2), slot.boolean, help);
        break;
      case Type::StringList:
        slot.cli = app.add_option(o.flag, slot.list, help);
        break;
    }
  }
}

void CommandLine::apply(Config& config) const {
  for (auto& slot : slots_) {
    if (slot.cli->count() == 0) continue;
    Value v;
    switch (slot.option->type) {
      case Type::String: v = slot.text; break;
      case Type::Integer: v = slot.integer; break;
      case Type::Boolean: v = slot.boolean; break;
      case Type::StringList: v = slot.list; break;
    }
    config.set(slot.option->name(), std::move(v), Origin::CommandLine, slot.option->flag);
  }
}

// ---------------------------------------------------------------- docs

std::string markdownTable(const std::vector<Option>& options) {
  std::ostringstream out;
  out << "| key | command line | type | default | meaning |\n|---|---|---|---|---|\n";
  for (auto& o : options) {
    std::string def = o.defaultDoc.empty() ? tomlValue(o.defaultValue) : o.defaultDoc;
    if (def == "\"\"" || def == "[]") def = "—";
    else if (o.defaultDoc.empty()) def = "`" + def + "`";
    std::string flag = o.flag.empty() ? "`" + o.envName() + "`, credential `" + o.credentialName() + "`"
                                      : "`" + o.flag + "`";
    if (o.type == Type::Boolean) flag += ", `--no-" + o.flag.substr(2) + "`";
    out << "| `" << o.name() << "` | " << flag << " | " << typeDoc(o) << " | " << def << " | " << o.help << " |\n";
  }
  return out.str();
}

}  // namespace fedihost::config
