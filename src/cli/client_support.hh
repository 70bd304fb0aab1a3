#pragma once
// What the client commands share: the options every one takes (--server,
// --token, --output), where the server and the token come from (the
// credentials `login` saves), how API answers are checked, and how they are shown.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client.hh"
#include "core/result.hh"

namespace fedihost::cli {

/// The options every client command takes.
struct Common {
  std::string server;  ///< --server; empty: FEDIHOST_SERVER, else the saved server, else the default
  std::string token;   ///< --token; empty: FEDIHOST_TOKEN, else the saved token (for the saved server only)
  std::string output = "table";
};

/// What `login` saves: the server logged in to and the session token it gave.
struct Credentials {
  std::string server;  ///< empty for the token of the old `token` file, which named no server
  std::string token;
};

/// ~/.config/fedihost/credentials.json
std::filesystem::path credentialsFile();

/// The saved credentials; else the token of the old ~/.config/fedihost/token
/// (kept working, with no server); else nothing.
std::optional<Credentials> loadCredentials();

/// Saves credentials: the directory is made 0700, the file is written to a new
/// temporary file created 0600 (O_EXCL, O_NOFOLLOW) and renamed over the old
/// one; the old `token` file is removed (migrated). Throws AbortError on failure.
void saveCredentials(const Credentials& c);

/// Forgets the saved credentials (and the old `token` file); returns whether there were any.
bool forgetCredentials();

/// The server a command talks to: --server, FEDIHOST_SERVER, the saved one, or http://127.0.0.1:8080.
std::string resolveServer(const Common& c);

/// The token a command sends: --token, FEDIHOST_TOKEN, or the saved token when
/// the command talks to the server it was saved for (a token never goes to another server).
std::string resolveToken(const Common& c);

/// Adds --server, --token and -o/--output to a command.
void addCommonOptions(CLI::App* cmd, Common& c);

/// A client of the resolved server with the resolved token.
std::shared_ptr<client::Client> connect(const Common& c);

/// Ends the command with a message for a person (main prints it and exits 1).
[[noreturn]] void abortCommand(std::string message);

/// The answer's JSON body when its status is 2xx (null when empty); otherwise
/// throws AbortError with the problem's detail and field, and for 429 the wait.
boost::json::value expectOk(const client::HttpResponse& r);

/// A string member of a problem+json answer (e.g. "totp"), or empty.
std::string problemMember(const client::HttpResponse& r, std::string_view key);

/// How long Retry-After says to wait, for a person ("30 seconds"); empty when not said.
std::string retryAfterText(const client::HttpResponse& r);

/// A member as text: a string as is, null or missing as empty, anything else as JSON.
std::string str(const boost::json::value& v, std::string_view key);

/// The items of a list answer: {"items": [...]} or a bare array (empty otherwise).
const boost::json::array& itemsOf(const boost::json::value& v);

/// Every item of a list, following the pages' `next` cursors. `path` may hold a query.
boost::json::array listAll(client::Client& c, const std::string& path);

/// `s` percent-encoded as one segment of a URL path (or a query value).
std::string pathSegment(std::string_view s);

/// An aligned table with a header row.
/// Prints aligned columns. Cells wider than their column end in "…": the columns are narrowed,
/// widest first, to `maxWidth` (by default the terminal's width; 0: never narrowed, as in a pipe).
void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                std::size_t maxWidth = std::size_t(-1));
/// `s` cut to `width` terminal columns (ending in "…" when cut) and padded with spaces to it.
std::string fitWidth(std::string_view s, std::size_t width);

/// A JSON document on one line.
void printJson(const boost::json::value& v);

/// Asks on the terminal (the prompt on stderr) and reads a line from stdin;
/// nothing when stdin is not a terminal or is at its end.
std::optional<std::string> askOnTerminal(const std::string& prompt);

/// Follows a job's events (a refresh, an orphan scan, a bundle verification) with its progress
/// (`done/total unit`); returns the job as it ended. Throws if it failed.
boost::json::value followJob(client::Client& c, const boost::json::value& accepted, bool quiet,
                             std::string_view unit);

}  // namespace fedihost::cli
