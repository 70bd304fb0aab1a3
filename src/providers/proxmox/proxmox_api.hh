#pragma once
// The Proxmox VE API as the "proxmox" machine provider uses it: request
// building (form encoding, cloud-init values, UPIDs) as pure functions, and a
// client of `/api2/json` over the project's HTTP client (net/http.hh) that
// unwraps {"data": …}, turns Proxmox's error answers into errors, retries a
// locked guest with backoff and waits for tasks. Only parameters declared by
// the published schema are sent (docs/providers.md, "proxmox").
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hh"
#include "net/http.hh"

namespace fedihost::providers::proxmox {

namespace json = boost::json;
using std::chrono::milliseconds;

/// Parameters of one call, in order (sent as given).
using Form = std::vector<std::pair<std::string, std::string>>;

/// application/x-www-form-urlencoded: `k=v&…`, each percent-encoded (RFC 3986 unreserved kept, space as %20).
std::string formEncode(const Form& form);

/// The value of `sshkeys`: the keys one per line, then URL-encoded as the
/// schema's "urlencoded" format requires (Proxmox checks the decoded form value
/// against [-%a-zA-Z0-9_.!~*'()]* and URL-decodes it once more). The form
/// encoding then encodes it a second time ('%' as %25).
std::string sshKeysValue(const std::vector<std::string>& keys);

/// `ipconfig0` of a VM (format pve-qm-ipconfig): "ip=<address>/<prefix>,gw=<gateway>".
std::string ipconfigValue(const std::string& address, int prefixLength, const std::string& gateway);

/// `net0` of a container: "name=eth0,bridge=<bridge>,ip=<address>/<prefix>,gw=<gateway>".
std::string lxcNetValue(const std::string& bridge, const std::string& address, int prefixLength,
                        const std::string& gateway);

/// A task's unique id, "UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:"
/// (pid, pstart, starttime in hex; pid 8 digits, pstart 8, starttime 8).
struct Upid {
  std::string node, type, id, user;
  std::uint64_t pid = 0, pstart = 0, starttime = 0;
};
std::optional<Upid> parseUpid(const std::string& upid);

/// The name of a guest derived from a resource: "fh-<deployment>-<name>", lower
/// case, every character outside [a-z0-9-] as '-', valid as Proxmox's dns-name (≤ 63).
std::string guestName(const std::string& deployment, const std::string& name);

/// A tag derived from an identity key: "fh-" + 16 hex digits of SHA-256(key) (pve-tag-list).
std::string identityTag(const std::string& key);

/// The line of a guest's description naming the resource it belongs to.
std::string identityLine(const std::string& key);
/// The identity key a description names ("" if none).
std::string identityOf(const std::string& description);

/// The disk size in GiB of a drive value ("local-lvm:vm-101-disk-0,size=8G"); nullopt without a size.
std::optional<double> driveSizeGiB(const std::string& drive);
/// The address of an ipconfig or net value ("ip=10.0.0.5/24,gw=…" → "10.0.0.5").
std::string addressOf(const std::string& netValue);

/// An error answer of Proxmox: status, its message (the body's "message", else the
/// reason phrase) and per-parameter errors of a 400.
struct ApiFailure {
  long status = 0;
  std::string message;
  json::object errors;
};
ApiFailure failureOf(const net::HttpResponse& response);
/// True for a 500 that means the guest is locked (a task or a backup holds it): worth retrying.
bool isLocked(const ApiFailure& f);

struct ClientOptions {
  std::string apiUrl;      ///< "https://host:8006" (no trailing slash)
  std::string tokenId;     ///< "USER@REALM!TOKENID"
  std::string tokenSecret;
  net::TlsOptions tls;
  milliseconds timeout{15000};        ///< each HTTP call
  milliseconds taskTimeout{600000};   ///< each task
  milliseconds poll{1000};            ///< between task status reads
  int lockRetries = 8;                ///< 500 "locked" answers retried, backoff doubling
  milliseconds lockBackoff{500};      ///< first wait (capped at 8 s)
  std::function<void(milliseconds)> sleep;  ///< tests: how to wait (default: this thread sleeps)
};

/// A client of one cluster's `/api2/json`.
class Client {
 public:
  explicit Client(ClientOptions o);

  /// One call; GET and DELETE carry `params` in the query, POST and PUT as a form body.
  /// Returns "data" of the answer. A locked guest (500) is retried with backoff;
  /// other failures are errors naming the call and Proxmox's message.
  Result<json::value> call(const std::string& method, const std::string& path, const Form& params = {});
  /// Like call, but a failure is returned as ApiFailure (callers that act on specific answers).
  Result<json::value> callRaw(const std::string& method, const std::string& path, const Form& params,
                              ApiFailure* failure);
  /// Waits until the task is stopped: OK if its exitstatus is "OK", otherwise a
  /// Provider error with the exit status and the end of the task's log.
  Result<void> waitTask(const std::string& node, const std::string& upid);
  /// call() then, if the answer is a UPID, waitTask() on it (a null answer: done at once).
  Result<json::value> callAndWait(const std::string& method, const std::string& node, const std::string& path,
                                  const Form& params = {});

  const ClientOptions& options() const { return o_; }

 private:
  Result<net::HttpResponse> send(const std::string& method, const std::string& path, const Form& params);
  void sleepFor(milliseconds d) const;
  ClientOptions o_;
};

}  // namespace fedihost::providers::proxmox
