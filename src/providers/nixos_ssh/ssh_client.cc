#include "providers/nixos_ssh/ssh_client.hh"

#include <libssh/libssh.h>

#include <cstring>

namespace fedihost::providers::nixos_ssh {
namespace {

struct ChannelDeleter {
  void operator()(ssh_channel_struct* c) const { ssh_channel_free(c); }
};
struct KeyDeleter {
  void operator()(ssh_key_struct* k) const { ssh_key_free(k); }
};
struct HashDeleter {
  void operator()(unsigned char* h) const { ssh_clean_pubkey_hash(&h); }
};
struct CharDeleter {
  void operator()(char* s) const { ssh_string_free_char(s); }
};
using Channel = std::unique_ptr<ssh_channel_struct, ChannelDeleter>;
using Key = std::unique_ptr<ssh_key_struct, KeyDeleter>;

}  // namespace

void SshConnection::SessionDeleter::operator()(ssh_session_struct* s) const {
  if (ssh_is_connected(s)) ssh_disconnect(s);
  ssh_free(s);
}

SshConnection::SshConnection(SshEndpoint endpoint, std::unique_ptr<ssh_session_struct, SessionDeleter> session)
    : endpoint_(std::move(endpoint)), session_(std::move(session)) {}
SshConnection::SshConnection(SshConnection&&) noexcept = default;
SshConnection& SshConnection::operator=(SshConnection&&) noexcept = default;
SshConnection::~SshConnection() = default;

std::string SshConnection::where() const {
  return endpoint_.user + "@" + endpoint_.host + ":" + std::to_string(endpoint_.port);
}

Result<SshConnection> SshConnection::open(const SshEndpoint& endpoint) {
  std::unique_ptr<ssh_session_struct, SessionDeleter> s(ssh_new());
  if (!s) return Error{ErrorKind::Internal, "ssh: cannot allocate a session", {}};
  const long timeoutSec = std::max<long>(1, static_cast<long>((endpoint.connectTimeout.count() + 999) / 1000));
  const unsigned port = static_cast<unsigned>(endpoint.port);
  const int verbosity = SSH_LOG_NOLOG;
  const int no = 0;
  if (ssh_options_set(s.get(), SSH_OPTIONS_HOST, endpoint.host.c_str()) != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_PORT, &port) != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_USER, endpoint.user.c_str()) != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &timeoutSec) != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != SSH_OK ||
      // No ~/.ssh/config, no known_hosts: the provider pins keys itself.
      ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no) != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_KNOWNHOSTS, "/dev/null") != SSH_OK ||
      ssh_options_set(s.get(), SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != SSH_OK)
    return Error{ErrorKind::Internal, std::string("ssh: bad options: ") + ssh_get_error(s.get()), {}};
  SshConnection c(endpoint, std::move(s));
  if (ssh_connect(c.session_.get()) != SSH_OK)
    return Error{ErrorKind::Unavailable, "ssh: cannot connect to " + c.where() + ": " + ssh_get_error(c.session_.get()),
                 {}};
  return c;
}

Result<std::string> SshConnection::hostKeyFingerprint() {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session_.get(), &raw) != SSH_OK)
    return Error{ErrorKind::Provider, "ssh: " + where() + " sent no host key: " + ssh_get_error(session_.get()), {}};
  Key key(raw);
  unsigned char* rawHash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &rawHash, &len) != 0)
    return Error{ErrorKind::Internal, "ssh: cannot hash the host key of " + where(), {}};
  std::unique_ptr<unsigned char, HashDeleter> hash(rawHash);
  std::unique_ptr<char, CharDeleter> text(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash.get(), len));
  if (!text) return Error{ErrorKind::Internal, "ssh: cannot format the host key fingerprint", {}};
  return std::string(text.get());
}

Result<void> SshConnection::authenticate(std::string_view privateKey) {
  const std::string pem(privateKey);
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_base64(pem.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK || !raw)
    return Error::invalid("settings.privateKey", "is not an unencrypted private key that libssh reads (OpenSSH or PEM)");
  Key key(raw);
  const int rc = ssh_userauth_publickey(session_.get(), nullptr, key.get());
  if (rc == SSH_AUTH_SUCCESS) return {};
  if (rc == SSH_AUTH_ERROR)
    return Error{ErrorKind::Unavailable, "ssh: authentication at " + where() + " failed: " + ssh_get_error(session_.get()),
                 {}};
  return Error{ErrorKind::Provider,
               "ssh: " + where() + " refused our " + std::string(ssh_key_type_to_char(ssh_key_type(key.get()))) +
                   " key (is its public half in the user's authorized_keys?)",
               {}};
}

Result<CommandResult> SshConnection::run(const std::string& command, std::string_view input,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto failed = [&](const std::string& what) -> Error {
    return {ErrorKind::Unavailable, "ssh: " + what + " at " + where() + ": " + ssh_get_error(session_.get()), {}};
  };
  Channel ch(ssh_channel_new(session_.get()));
  if (!ch) return failed("cannot make a channel");
  if (ssh_channel_open_session(ch.get()) != SSH_OK) return failed("cannot open a channel");
  if (ssh_channel_request_exec(ch.get(), command.c_str()) != SSH_OK) return failed("cannot run a command");
  for (std::size_t off = 0; off < input.size();) {
    const auto n = ssh_channel_write(ch.get(), input.data() + off, static_cast<uint32_t>(std::min<std::size_t>(input.size() - off, 32768)));
    if (n == SSH_ERROR) return failed("cannot write a command's input");
    off += static_cast<std::size_t>(n);
  }
  if (ssh_channel_send_eof(ch.get()) != SSH_OK) return failed("cannot close a command's input");
  CommandResult r;
  char buf[16384];
  // Both streams in turns, so that neither fills the channel's window while we wait on the other.
  while (!ssh_channel_is_eof(ch.get()) && !ssh_channel_is_closed(ch.get())) {
    if (std::chrono::steady_clock::now() > deadline) {
      ssh_channel_close(ch.get());
      return Error{ErrorKind::Unavailable,
                   "ssh: `" + command + "` at " + where() + " did not end within " + std::to_string(timeout.count()) +
                       " ms",
                   {}};
    }
    const int n = ssh_channel_read_timeout(ch.get(), buf, sizeof buf, 0, 200);
    if (n == SSH_ERROR) return failed("cannot read a command's output");
    if (n > 0) r.out.append(buf, static_cast<std::size_t>(n));
    int e;
    while ((e = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 1)) > 0) r.err.append(buf, static_cast<std::size_t>(e));
    if (e == SSH_ERROR) return failed("cannot read a command's error output");
  }
  // What is still buffered after the end of file.
  for (int is_stderr : {0, 1}) {
    int n;
    while ((n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, is_stderr)) > 0)
      (is_stderr ? r.err : r.out).append(buf, static_cast<std::size_t>(n));
  }
  // The exit status follows the end of file; ssh_channel_get_exit_status waits for it (or the close).
  r.exitStatus = ssh_channel_get_exit_status(ch.get());
  ssh_channel_close(ch.get());
  return r;
}

std::string shellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace fedihost::providers::nixos_ssh
