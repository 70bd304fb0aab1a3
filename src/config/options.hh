#pragma once
// The configuration of `fedihost serve`: ONE table of options (name, type, default,
// help, section) drives the TOML file reader, the command-line parser, the effective
// configuration printed by `fedihost config check`, and docs/configuration.md.
// Order of precedence: command line > environment (secrets) > file > default.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hh"

namespace fedihost::config {

enum class Type { String, Integer, Boolean, StringList };
using Value = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

struct Option {
  std::string section;   ///< TOML table ("" for the top level)
  std::string key;       ///< TOML key within it
  std::string flag;      ///< command-line flag ("--listen"); none for secrets (never on a command line)
  Type type = Type::String;
  Value defaultValue;
  std::string defaultDoc;  ///< how a computed default reads in the docs ("one per core"); else the value
  std::string help;
  bool secret = false;     ///< from a file or a systemd credential only, redacted when printed
  std::int64_t min = 0, max = 0;      ///< Integer: the allowed range
  std::vector<std::string> choices;   ///< String: the allowed values (empty: any)

  /// "server.listen" ("data_dir" at the top level).
  std::string name() const { return section.empty() ? key : section + "." + key; }
  /// FEDIHOST_<KEY>_FILE: the environment variable naming a file holding a secret.
  std::string envName() const;
  /// <key with dashes>: the systemd credential (in $CREDENTIALS_DIRECTORY) holding a secret.
  std::string credentialName() const;
};

enum class Origin { Default, File, Environment, Credential, CommandLine };
std::string_view toString(Origin o);

struct Setting {
  Value value;
  Origin origin = Origin::Default;
  std::string detail;  ///< where it came from: "fedihost.toml:12", the file of a secret
};

/// The effective values of a table of options.
class Config {
 public:
  explicit Config(const std::vector<Option>& options);
  const std::vector<Option>& options() const { return *options_; }
  const Option* option(std::string_view name) const;

  /// A value by its name ("server.listen"); throws AbortError(Internal) for an unknown
  /// name or another type (a programming error).
  const std::string& string(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::vector<std::string>& strings(std::string_view name) const;
  const Setting& setting(std::string_view name) const;

  void set(std::string_view name, Value value, Origin origin, std::string detail = {});

  /// The effective configuration as TOML: every option, secrets redacted, each value's origin in a comment.
  std::string render() const;

 private:
  const std::vector<Option>* options_;
  std::map<std::string, Setting, std::less<>> values_;
};

/// Reads a TOML document into `config`. Unknown sections and keys, wrong types, values out
/// of range, a secret written in clear: Invalid, the message naming "<source>:<line>" and the key.
Result<void> readToml(Config& config, std::string_view text, const std::string& source);
Result<void> readTomlFile(Config& config, const std::filesystem::path& file);

using Getenv = std::function<const char*(const char*)>;
/// Secrets from the environment, for each secret option not given on the command line:
/// the file named by FEDIHOST_<KEY>_FILE, else $CREDENTIALS_DIRECTORY/<credential name> if present.
Result<void> readSecretsFromEnvironment(Config& config, const Getenv& getenv);

/// The table's options as command-line flags of `app`; apply() copies those given into a Config.
class CommandLine {
 public:
  CommandLine(CLI::App& app, const std::vector<Option>& options);
  void apply(Config& config) const;

 private:
  struct Slot {
    const Option* option;
    CLI::Option* cli = nullptr;
    std::string text;
    std::int64_t integer = 0;
    bool boolean = false;
    std::vector<std::string> list;
  };
  std::deque<Slot> slots_;
};

/// The Markdown table of the options (docs/configuration.md holds it between markers).
std::string markdownTable(const std::vector<Option>& options);

/// The options of `fedihost serve`.
const std::vector<Option>& serveOptions();

}  // namespace fedihost::config
